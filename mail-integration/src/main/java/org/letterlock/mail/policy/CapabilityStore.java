package org.letterlock.mail.policy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.letterlock.mail.smime.SmimeCapabilities;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;

/**
 * S/MIME capabilities learned from signed mail, per address and issuing CA (the CA's name as RFC 4514 writes it). A
 * record replaces the stored one only when its signingTime is newer (RFC 8551 2.7.1), so a replayed older message
 * changes nothing.
 */
public final class CapabilityStore {
    /** Capabilities as stored, with the signingTime of the signature that announced them. */
    public record Learned(SmimeCapabilities capabilities, Instant signingTime) {
    }

    private final Jdbc jdbc;

    public CapabilityStore(DataSource dataSource) {
        this.jdbc = new Jdbc(dataSource);
    }

    /** Stores what a signature announced, unless what is stored was signed at the same time or later; true when stored. */
    public boolean record(String address, String issuer, SmimeCapabilities capabilities, Instant signingTime, String signerSha256, Instant now) {
        String mailbox = address.toLowerCase(Locale.ROOT);
        try (Connection connection = jdbc.dataSource().getConnection()) {
            connection.setAutoCommit(true);
            if (replaceOlder(connection, mailbox, issuer, capabilities, signingTime, signerSha256, now)) {
                return true;
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO gateway_smime_capabilities"
                    + " (address, issuer, capabilities, signing_time, signer_sha256, recorded_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, mailbox);
                insert.setString(2, issuer);
                insert.setBytes(3, capabilities.encoded());
                insert.setObject(4, Jdbc.utc(signingTime));
                insert.setString(5, signerSha256);
                insert.setObject(6, Jdbc.utc(now));
                insert.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (!StorageFailure.duplicateKey(e)) {
                    throw e;
                }
            }
            // Another node inserted the first row between our UPDATE and INSERT: ours still wins if it is newer.
            return replaceOlder(connection, mailbox, issuer, capabilities, signingTime, signerSha256, now);
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    private static boolean replaceOlder(Connection connection, String mailbox, String issuer, SmimeCapabilities capabilities, Instant signingTime,
                                        String signerSha256, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE gateway_smime_capabilities SET capabilities = ?, signing_time = ?, signer_sha256 = ?,"
                + " recorded_at = ? WHERE address = ? AND issuer = ? AND signing_time < ?")) {
            update.setBytes(1, capabilities.encoded());
            update.setObject(2, Jdbc.utc(signingTime));
            update.setString(3, signerSha256);
            update.setObject(4, Jdbc.utc(now));
            update.setString(5, mailbox);
            update.setString(6, issuer);
            update.setObject(7, Jdbc.utc(signingTime));
            return update.executeUpdate() > 0;
        }
    }

    /** What certificates from {@code issuer} for {@code address} are known to read, if anything was learned. */
    public Optional<Learned> find(String address, String issuer) {
        return jdbc.query("SELECT capabilities, signing_time FROM gateway_smime_capabilities WHERE address = ? AND issuer = ?", s -> {
            s.setString(1, address.toLowerCase(Locale.ROOT));
            s.setString(2, issuer);
        }, row -> new Learned(SmimeCapabilities.decode(row.getBytes(1)), Jdbc.instant(row, 2))).stream().findFirst();
    }
}
