package org.letterlock.platform.audit;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import javax.sql.DataSource;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.letterlock.platform.store.StorageFailure;

/**
 * Walks the whole chain in order and reports the first record that was edited, deleted or reordered: a record whose
 * stored hash is not the hash of its content (edited), a gap in sequence numbers (deleted), a record whose previous
 * hash is not its predecessor's (reordered or a predecessor replaced), a signed checkpoint that the chain no longer
 * reaches (rewritten or truncated). The checkpoint key's public half comes from the vault, never from the database.
 */
public final class AuditVerifier {
    private static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();
    private final DataSource dataSource;
    private final PublicKey checkpointKey;
    private final long maxRecordsBetweenCheckpoints;

    /**
     * @param maxRecordsBetweenCheckpoints more records than this without a signed checkpoint means checkpoints were
     *                                     deleted (the writer signs one every {@code checkpoint-every} records, at
     *                                     most one batch late)
     */
    public AuditVerifier(DataSource dataSource, PublicKey checkpointKey, long maxRecordsBetweenCheckpoints) {
        this.dataSource = dataSource;
        this.checkpointKey = checkpointKey;
        this.maxRecordsBetweenCheckpoints = maxRecordsBetweenCheckpoints;
    }

    private record Checkpoint(long seq, String hash, Instant signedAt, String algorithm, byte[] signature) {
    }

    public AuditVerification verify() {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return verify(connection);
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    private AuditVerification verify(Connection connection) throws SQLException {
        Deque<Checkpoint> checkpoints = loadCheckpoints(connection);
        long verifiedCheckpoints = 0;
        for (Checkpoint checkpoint : checkpoints) {
            if (!signatureValid(checkpoint)) {
                return AuditVerification.broken(0, 0, checkpoint.seq(), "checkpoint at record " + checkpoint.seq() + " has a signature the audit key did not make");
            }
        }
        long expectedSeq = 1;
        long lastCheckpointSeq = 0;
        String previousHash = AuditRecord.GENESIS_HASH;
        long checked = 0;
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT seq, recorded_at, actor, action, target, outcome, detail, prev_hash, hash FROM audit_record ORDER BY seq")) {
            query.setFetchSize(1000);
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    long seq = row.getLong(1);
                    if (seq != expectedSeq) {
                        return AuditVerification.broken(checked, verifiedCheckpoints, expectedSeq, seq > expectedSeq
                                ? "record " + expectedSeq + (seq - expectedSeq > 1 ? " to " + (seq - 1) : "") + " deleted"
                                : "record " + seq + " out of order");
                    }
                    Instant at = row.getObject(2, OffsetDateTime.class).toInstant();
                    Outcome outcome;
                    try {
                        outcome = Outcome.valueOf(row.getString(6));
                    } catch (IllegalArgumentException e) {
                        return AuditVerification.broken(checked, verifiedCheckpoints, seq, "record " + seq + " edited (unknown outcome)");
                    }
                    AuditEvent event = new AuditEvent(row.getString(3), row.getString(4), row.getString(5), outcome, row.getString(7));
                    String storedPrev = row.getString(8);
                    String storedHash = row.getString(9);
                    String recomputed = AuditRecord.chainHash(seq, at, event, storedPrev);
                    if (!recomputed.equals(storedHash)) {
                        return AuditVerification.broken(checked, verifiedCheckpoints, seq, "record " + seq + " edited: its content does not match its hash");
                    }
                    if (!storedPrev.equals(previousHash)) {
                        return AuditVerification.broken(checked, verifiedCheckpoints, seq,
                                "record " + seq + " does not follow record " + (seq - 1) + ": records reordered, replaced or deleted before it");
                    }
                    checked++;
                    previousHash = storedHash;
                    while (!checkpoints.isEmpty() && checkpoints.peekFirst().seq() == seq) {
                        Checkpoint checkpoint = checkpoints.removeFirst();
                        if (!checkpoint.hash().equals(storedHash)) {
                            return AuditVerification.broken(checked, verifiedCheckpoints, firstDivergence(connection, checkpoint),
                                    "chain up to record " + seq + " was rewritten: it no longer matches the checkpoint signed at " + checkpoint.signedAt());
                        }
                        verifiedCheckpoints++;
                        lastCheckpointSeq = seq;
                    }
                    if (seq - lastCheckpointSeq > maxRecordsBetweenCheckpoints) {
                        return AuditVerification.broken(checked, verifiedCheckpoints, lastCheckpointSeq + 1, "records " + (lastCheckpointSeq + 1) + " to " + seq
                                + " have no signed checkpoint though one is due every " + maxRecordsBetweenCheckpoints + " records at most: checkpoints deleted");
                    }
                    expectedSeq++;
                }
            }
        }
        long lastSeq = expectedSeq - 1;
        if (!checkpoints.isEmpty()) {
            return AuditVerification.broken(checked, verifiedCheckpoints, lastSeq + 1,
                    "records " + (lastSeq + 1) + " to " + checkpoints.peekLast().seq() + " deleted: a signed checkpoint covers them");
        }
        long headSeq = headSeq(connection);
        if (headSeq != lastSeq) {
            return AuditVerification.broken(checked, verifiedCheckpoints, Math.min(headSeq, lastSeq) + 1,
                    headSeq > lastSeq ? "records " + (lastSeq + 1) + " to " + headSeq + " deleted from the end" : "chain head does not match the last record");
        }
        return AuditVerification.ok(checked, verifiedCheckpoints);
    }

    /** A rewritten chain is consistent in itself; the earliest record after the last good checkpoint is where it may start. */
    private static long firstDivergence(Connection connection, Checkpoint broken) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint WHERE seq < ?")) {
            query.setLong(1, broken.seq());
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getLong(1) + 1;
            }
        }
    }

    private boolean signatureValid(Checkpoint checkpoint) {
        try {
            Signature signature = Signature.getInstance(checkpoint.algorithm(), PROVIDER);
            signature.initVerify(checkpointKey);
            signature.update(AuditCheckpoints.signedContent(checkpoint.seq(), checkpoint.hash(), checkpoint.signedAt()));
            return signature.verify(checkpoint.signature());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static Deque<Checkpoint> loadCheckpoints(Connection connection) throws SQLException {
        Deque<Checkpoint> checkpoints = new ArrayDeque<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT seq, hash, signed_at, algorithm, signature FROM audit_checkpoint ORDER BY seq");
             ResultSet row = query.executeQuery()) {
            while (row.next()) {
                byte[] signature;
                try {
                    signature = Base64.getDecoder().decode(row.getString(5));
                } catch (IllegalArgumentException e) {
                    signature = new byte[0];
                }
                checkpoints.add(new Checkpoint(row.getLong(1), row.getString(2), row.getObject(3, OffsetDateTime.class).toInstant(), row.getString(4), signature));
            }
        }
        return checkpoints;
    }

    private static long headSeq(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT seq FROM audit_head WHERE id = 1");
             ResultSet row = query.executeQuery()) {
            return row.next() ? row.getLong(1) : -1;
        }
    }
}
