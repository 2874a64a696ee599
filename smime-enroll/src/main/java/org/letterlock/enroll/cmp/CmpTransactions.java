package org.letterlock.enroll.cmp;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;

/**
 * CMP transactions in the database, so that every node of a cluster sees them: a transaction id starts one transaction
 * only, and certificates issued without implicit confirmation wait for the client's certConf.
 */
final class CmpTransactions {
    /** How long a transaction id stays taken: longer than any client retries. */
    static final Duration KEPT = Duration.ofDays(1);
    /**
     * How long issued certificates wait for certConf (RFC 9483 leaves the time to the PKI): a client confirms right
     * after the answer, so this only has to outlast its retries. Then the sweep revokes them.
     */
    static final Duration CONFIRM_WINDOW = Duration.ofMinutes(15);
    /** Expired rows are dropped by the request that finds the last purge this long ago. */
    private static final Duration PURGE_INTERVAL = Duration.ofMinutes(10);

    /**
     * A transaction as it was opened, with the certificates (by certReqId) that wait for confirmation, the senderNonce
     * of the answer that issued them (a certConf's recipNonce must repeat it) and when the wait ends.
     */
    record Transaction(String id, String mailbox, CmpSender.Protection protection, Optional<String> secretId, String state,
                       Map<Integer, BigInteger> awaiting, Optional<String> answerNonce, Optional<Instant> confirmBy) {
    }

    private static final String COLUMNS = "id, mailbox, protection, secret_id, state, certificates, answer_nonce, confirm_by";

    private final DataSource dataSource;
    private final Jdbc jdbc;
    private final Clock clock;
    private volatile Instant purgedAt = Instant.EPOCH;

    CmpTransactions(DataSource dataSource, Clock clock) {
        this.dataSource = dataSource;
        this.jdbc = new Jdbc(dataSource);
        this.clock = clock;
    }

    /** Opens transaction {@code id}; false when the id was taken (by a replay or a client reusing it). */
    boolean open(String id, String mailbox, CmpSender.Protection protection, Optional<String> secretId) {
        Instant now = clock.instant();
        purgeIfDue(now);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO cmp_transaction (id, mailbox, protection, secret_id, state, created_at, expires_at)"
                     + " VALUES (?, ?, ?, ?, 'open', ?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, mailbox);
            insert.setString(3, protection.name().toLowerCase(java.util.Locale.ROOT));
            insert.setString(4, secretId.orElse(null));
            insert.setObject(5, Jdbc.utc(now));
            insert.setObject(6, Jdbc.utc(now.plus(KEPT)));
            insert.executeUpdate();
            return true;
        } catch (SQLException e) {
            // SQLSTATE class 23: integrity constraint violation, here the primary key: the id is in use.
            if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
                return false;
            }
            throw StorageFailure.of(e);
        }
    }

    /**
     * Ends the transaction, or leaves it waiting for certConf of {@code awaiting} (certReqId to serial) for the
     * confirmation window; {@code answerNonce} is the senderNonce of the answer that issues them.
     */
    void issued(String id, Map<Integer, BigInteger> awaiting, byte[] answerNonce) {
        String certificates = awaiting.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().toString(16)).collect(Collectors.joining(","));
        jdbc.update("UPDATE cmp_transaction SET state = ?, certificates = ?, answer_nonce = ?, confirm_by = ? WHERE id = ?", s -> {
            s.setString(1, awaiting.isEmpty() ? "done" : "confirm");
            s.setString(2, certificates.isEmpty() ? null : certificates);
            s.setString(3, HexFormat.of().formatHex(answerNonce));
            s.setObject(4, awaiting.isEmpty() ? null : Jdbc.utc(clock.instant().plus(CONFIRM_WINDOW)));
            s.setString(5, id);
        });
    }

    /** Moves transaction {@code id} from {@code fromState} to {@code toState}; false when another request or node did first. */
    boolean move(String id, String fromState, String toState) {
        return jdbc.update("UPDATE cmp_transaction SET state = ? WHERE id = ? AND state = ?", s -> {
            s.setString(1, toState);
            s.setString(2, id);
            s.setString(3, fromState);
        }) == 1;
    }

    /** Ends transaction {@code id}; false when it was not waiting (confirmed already, or never). */
    boolean finish(String id, String fromState) {
        return move(id, fromState, "done");
    }

    /** Transactions whose certificates still wait for certConf after their window closed, oldest first, at most {@code limit}. */
    List<Transaction> unconfirmed(int limit) {
        return jdbc.query("SELECT " + COLUMNS + " FROM cmp_transaction WHERE state = 'confirm' AND confirm_by < ? ORDER BY confirm_by", s -> {
            s.setObject(1, Jdbc.utc(clock.instant()));
            s.setMaxRows(limit);
        }, CmpTransactions::transaction);
    }

    Optional<Transaction> find(String id) {
        Instant now = clock.instant();
        return jdbc.query("SELECT " + COLUMNS + " FROM cmp_transaction WHERE id = ? AND expires_at > ?", s -> {
            s.setString(1, id);
            s.setObject(2, Jdbc.utc(now));
        }, CmpTransactions::transaction).stream().findFirst();
    }

    private static Transaction transaction(java.sql.ResultSet row) throws SQLException {
        return new Transaction(row.getString(1), row.getString(2), CmpSender.Protection.valueOf(row.getString(3).toUpperCase(java.util.Locale.ROOT)),
                Optional.ofNullable(row.getString(4)), row.getString(5), awaiting(row.getString(6)), Optional.ofNullable(row.getString(7)),
                Optional.ofNullable(row.getObject(8, java.time.OffsetDateTime.class)).map(java.time.OffsetDateTime::toInstant));
    }

    private static Map<Integer, BigInteger> awaiting(String certificates) {
        Map<Integer, BigInteger> awaiting = new LinkedHashMap<>();
        if (certificates != null) {
            for (String entry : certificates.split(",")) {
                int equals = entry.indexOf('=');
                awaiting.put(Integer.parseInt(entry.substring(0, equals)), new BigInteger(entry.substring(equals + 1), 16));
            }
        }
        return awaiting;
    }

    private void purgeIfDue(Instant now) {
        if (purgedAt.plus(PURGE_INTERVAL).isAfter(now)) {
            return;
        }
        purgedAt = now;
        jdbc.update("DELETE FROM cmp_transaction WHERE expires_at < ?", s -> s.setObject(1, Jdbc.utc(now)));
    }
}
