package org.letterlock.platform.audit;

import java.io.OutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import javax.sql.DataSource;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Signed checkpoints of the audit chain: the audit key in the vault signs (sequence number, chain hash, time), so a
 * chain rewritten after the fact no longer matches a checkpoint that only the vault could have signed.
 */
public final class AuditCheckpoints {
    private final DataSource dataSource;
    private final KeyVault vault;
    private final KeyUri key;

    public AuditCheckpoints(DataSource dataSource, KeyVault vault, KeyUri key) {
        this.dataSource = dataSource;
        this.vault = vault;
        this.key = key;
    }

    /** Creates the audit key on first start. */
    public void ensureKey(KeySpec spec) {
        if (!vault.contains(key)) {
            vault.createKey(key, spec);
        }
    }

    /** The bytes a checkpoint signature covers. */
    public static byte[] signedContent(long seq, String hash, Instant signedAt) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, signedAt);
        return ("letterlock-audit-checkpoint/v1\n" + seq + "\n" + hash + "\n" + micros + "\n").getBytes(StandardCharsets.UTF_8);
    }

    long latestSeq() {
        try (Connection connection = dataSource.getConnection()) {
            return latestSeq(connection);
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** Signs the current head unless it is checkpointed already; returns the head's sequence number. */
    long checkpointHead(Instant now) {
        Instant signedAt = AuditRecord.truncate(now);
        try (Connection connection = dataSource.getConnection()) {
            long seq;
            String hash;
            try (PreparedStatement head = connection.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
                 ResultSet row = head.executeQuery()) {
                row.next();
                seq = row.getLong(1);
                hash = row.getString(2);
            }
            if (seq == 0 || seq <= latestSeq(connection)) {
                return seq;
            }
            ContentSigner signer = vault.signer(key);
            try (OutputStream out = signer.getOutputStream()) {
                out.write(signedContent(seq, hash, signedAt));
            }
            byte[] signature = signer.getSignature();
            String algorithm = new DefaultAlgorithmNameFinder().getAlgorithmName(signer.getAlgorithmIdentifier());
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO audit_checkpoint (seq, hash, signed_at, key_uri, algorithm, signature) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setLong(1, seq);
                insert.setString(2, hash);
                insert.setObject(3, signedAt.atOffset(ZoneOffset.UTC));
                insert.setString(4, key.toString());
                insert.setString(5, algorithm);
                insert.setString(6, Base64.getEncoder().encodeToString(signature));
                insert.executeUpdate();
            }
            return seq;
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        } catch (IOException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "could not sign an audit checkpoint: " + e.getMessage(), e);
        }
    }

    private static long latestSeq(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint");
             ResultSet row = query.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }
}
