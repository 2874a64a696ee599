package org.letterlock.escrow.store;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.letterlock.ca.Certificates;
import org.letterlock.escrow.ArchivedKey;
import org.letterlock.escrow.EscrowStore;
import org.letterlock.escrow.RecoveryKey;
import org.letterlock.escrow.RecoveryRequest;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.store.Transaction;
import org.letterlock.vault.KeyUri;

/** Escrow's tables over JDBC (H2 and PostgreSQL). */
public final class JdbcEscrowStore implements EscrowStore {
    private static final String ARCHIVE_COLUMNS = "id, mailbox, certificate_serial, recovery_key_id, origin, key_spec, public_key_sha256, sealed, created_at, "
            + "created_by, signature";
    private static final String RECOVERY_COLUMNS = "id, mailbox, reason, requested_by, state, approvals_needed, created_at, expires_at, closed_at, "
            + "release_key_id, release_signature, request_key_id, request_signature";

    private final Jdbc jdbc;

    public JdbcEscrowStore(DataSource dataSource) {
        this.jdbc = new Jdbc(dataSource);
    }

    @Override
    public List<RecoveryKey> recoveryKeys() {
        return jdbc.query("SELECT id, state, key_uri, certificate, integrity_key_uri, created_at FROM escrow_recovery_key ORDER BY created_at, id", s -> {
        }, r -> new RecoveryKey(r.getString(1), RecoveryKey.State.valueOf(r.getString(2)), KeyUri.parse(r.getString(3)), Certificates.holder(r.getBytes(4)),
                KeyUri.parse(r.getString(5)), Jdbc.instant(r, 6)));
    }

    @Override
    public void insertRecoveryKey(RecoveryKey key) {
        jdbc.update("INSERT INTO escrow_recovery_key (id, state, key_uri, certificate, integrity_key_uri, created_at) VALUES (?, ?, ?, ?, ?, ?)", s -> {
            s.setString(1, key.id());
            s.setString(2, key.state().name());
            s.setString(3, key.key().toString());
            s.setBytes(4, Certificates.der(key.certificate()));
            s.setString(5, key.integrityKey().toString());
            s.setObject(6, Jdbc.utc(key.createdAt()));
        });
    }

    @Override
    public void setRecoveryKeyState(String id, RecoveryKey.State state) {
        jdbc.update("UPDATE escrow_recovery_key SET state = ? WHERE id = ?", s -> {
            s.setString(1, state.name());
            s.setString(2, id);
        });
    }

    @Override
    public void insertArchive(ArchivedKey archive) {
        try {
            Transaction.run(jdbc.dataSource(), connection -> {
                try (PreparedStatement s = connection.prepareStatement("INSERT INTO escrow_archive (" + ARCHIVE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    s.setString(1, archive.id());
                    s.setString(2, archive.mailbox());
                    s.setString(3, archive.certificateSerial().toString(16));
                    s.setString(4, archive.recoveryKeyId());
                    s.setString(5, archive.origin().name());
                    s.setString(6, archive.keySpec());
                    s.setBytes(7, archive.publicKeySha256());
                    s.setBytes(8, archive.sealed());
                    s.setObject(9, Jdbc.utc(archive.createdAt()));
                    s.setString(10, archive.createdBy());
                    s.setBytes(11, archive.signature());
                    s.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            if (StorageFailure.duplicateKey(e)) {
                throw new LetterlockException(ErrorType.CONFLICT, "the key of certificate " + archive.certificateSerial().toString(16) + " is archived already");
            }
            throw StorageFailure.of(e);
        }
    }

    @Override
    public List<ArchivedKey> archives(String mailbox) {
        return jdbc.query("SELECT " + ARCHIVE_COLUMNS + " FROM escrow_archive WHERE mailbox = ? ORDER BY created_at, id", s -> s.setString(1, mailbox),
                JdbcEscrowStore::archive);
    }

    @Override
    public Optional<ArchivedKey> archiveOfCertificate(BigInteger serial) {
        return jdbc.query("SELECT " + ARCHIVE_COLUMNS + " FROM escrow_archive WHERE certificate_serial = ?", s -> s.setString(1, serial.toString(16)),
                JdbcEscrowStore::archive).stream().findFirst();
    }

    private static ArchivedKey archive(ResultSet r) throws SQLException {
        return new ArchivedKey(r.getString(1), r.getString(2), new BigInteger(r.getString(3), 16), r.getString(4), ArchivedKey.Origin.valueOf(r.getString(5)),
                r.getString(6), r.getBytes(7), r.getBytes(8), Jdbc.instant(r, 9), r.getString(10), r.getBytes(11));
    }

    @Override
    public void insertRecovery(RecoveryRequest request) {
        jdbc.update("INSERT INTO escrow_recovery (" + RECOVERY_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s -> {
            s.setString(1, request.id());
            s.setString(2, request.mailbox());
            s.setString(3, request.reason());
            s.setString(4, request.requestedBy());
            s.setString(5, request.state().name());
            s.setInt(6, request.approvalsNeeded());
            s.setObject(7, Jdbc.utc(request.createdAt()));
            s.setObject(8, Jdbc.utc(request.expiresAt()));
            s.setObject(9, request.closedAt().map(Jdbc::utc).orElse(null));
            s.setString(10, request.releaseSeal().map(RecoveryRequest.Seal::recoveryKeyId).orElse(null));
            s.setBytes(11, request.releaseSeal().map(RecoveryRequest.Seal::signature).orElse(null));
            s.setString(12, request.requestSeal().map(RecoveryRequest.Seal::recoveryKeyId).orElse(null));
            s.setBytes(13, request.requestSeal().map(RecoveryRequest.Seal::signature).orElse(null));
        });
    }

    @Override
    public Optional<RecoveryRequest> recovery(String id) {
        return withDecisions(jdbc.query("SELECT " + RECOVERY_COLUMNS + " FROM escrow_recovery WHERE id = ?", s -> s.setString(1, id), JdbcEscrowStore::recovery))
                .stream().findFirst();
    }

    @Override
    public List<RecoveryRequest> recoveries(Optional<RecoveryRequest.State> state, Optional<String> requestedBy, int limit) {
        List<String> conditions = new ArrayList<>();
        state.ifPresent(x -> conditions.add("state = ?"));
        requestedBy.ifPresent(x -> conditions.add("requested_by = ?"));
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        return withDecisions(jdbc.query("SELECT " + RECOVERY_COLUMNS + " FROM escrow_recovery" + where + " ORDER BY created_at DESC, id LIMIT " + limit, s -> {
            int next = 1;
            if (state.isPresent()) {
                s.setString(next++, state.get().name());
            }
            if (requestedBy.isPresent()) {
                s.setString(next, requestedBy.get());
            }
        }, JdbcEscrowStore::recovery));
    }

    @Override
    public List<RecoveryRequest> overdue(Instant now) {
        return withDecisions(jdbc.query("SELECT " + RECOVERY_COLUMNS + " FROM escrow_recovery WHERE state IN ('PENDING', 'RELEASED') AND expires_at <= ?",
                s -> s.setObject(1, Jdbc.utc(now)), JdbcEscrowStore::recovery));
    }

    private static RecoveryRequest recovery(ResultSet r) throws SQLException {
        return new RecoveryRequest(r.getString(1), r.getString(2), r.getString(3), r.getString(4), RecoveryRequest.State.valueOf(r.getString(5)), r.getInt(6),
                Jdbc.instant(r, 7), Jdbc.instant(r, 8), Optional.ofNullable(Jdbc.instant(r, 9)), List.of(), seal(r, 12, 13), seal(r, 10, 11));
    }

    /** A decision from its columns agent, approved, comment, decided_at, key_id, signature, starting at {@code first}. */
    private static RecoveryRequest.Decision decision(ResultSet r, int first) throws SQLException {
        return new RecoveryRequest.Decision(r.getString(first), r.getBoolean(first + 1), Optional.ofNullable(r.getString(first + 2)), Jdbc.instant(r, first + 3),
                seal(r, first + 4, first + 5));
    }

    private static Optional<RecoveryRequest.Seal> seal(ResultSet r, int keyColumn, int signatureColumn) throws SQLException {
        String key = r.getString(keyColumn);
        byte[] signature = r.getBytes(signatureColumn);
        return key == null || signature == null ? Optional.empty() : Optional.of(new RecoveryRequest.Seal(key, signature));
    }

    private List<RecoveryRequest> withDecisions(List<RecoveryRequest> requests) {
        if (requests.isEmpty()) {
            return requests;
        }
        String placeholders = String.join(", ", requests.stream().map(r -> "?").toList());
        Map<String, List<RecoveryRequest.Decision>> decisions = jdbc.query("SELECT recovery_id, agent, approved, comment, decided_at, key_id, signature FROM escrow_decision "
                + "WHERE recovery_id IN (" + placeholders + ") ORDER BY decided_at, agent", s -> {
                    for (int i = 0; i < requests.size(); i++) {
                        s.setString(i + 1, requests.get(i).id());
                    }
                }, r -> Map.entry(r.getString(1), decision(r, 2)))
                .stream().collect(Collectors.groupingBy(Map.Entry::getKey, Collectors.mapping(Map.Entry::getValue, Collectors.toList())));
        List<RecoveryRequest> filled = new ArrayList<>(requests.size());
        for (RecoveryRequest r : requests) {
            filled.add(r.withDecisions(decisions.getOrDefault(r.id(), List.of())));
        }
        return filled;
    }

    /** The request row is locked while the decision and its effect are written, so a denial and the last approval never both win. */
    @Override
    public Optional<RecoveryRequest.State> decide(String recoveryId, RecoveryRequest.Decision decision, Instant now, Instant releaseExpiry,
                                                  java.util.function.Function<RecoveryRequest, RecoveryRequest.Seal> sealRelease) {
        try {
            return Transaction.run(jdbc.dataSource(), connection -> {
                Optional<Integer> needed = lockOpen(connection, recoveryId, now);
                if (needed.isEmpty()) {
                    return Optional.<RecoveryRequest.State>empty();
                }
                try (PreparedStatement s = connection.prepareStatement("INSERT INTO escrow_decision (recovery_id, agent, approved, comment, decided_at, key_id, signature) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    s.setString(1, recoveryId);
                    s.setString(2, decision.agent());
                    s.setBoolean(3, decision.approved());
                    s.setString(4, decision.comment().orElse(null));
                    s.setObject(5, Jdbc.utc(decision.at()));
                    s.setString(6, decision.seal().map(RecoveryRequest.Seal::recoveryKeyId).orElse(null));
                    s.setBytes(7, decision.seal().map(RecoveryRequest.Seal::signature).orElse(null));
                    s.executeUpdate();
                }
                long approvals;
                long denials;
                try (PreparedStatement s = connection.prepareStatement("SELECT approved, COUNT(*) FROM escrow_decision WHERE recovery_id = ? GROUP BY approved")) {
                    Map<Boolean, Long> counts = Jdbc.query(s, b -> b.setString(1, recoveryId), r -> Map.entry(r.getBoolean(1), r.getLong(2))).stream()
                            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
                    approvals = counts.getOrDefault(true, 0L);
                    denials = counts.getOrDefault(false, 0L);
                }
                RecoveryRequest.State next = denials > 0 ? RecoveryRequest.State.DENIED
                        : approvals >= needed.get() ? RecoveryRequest.State.RELEASED : RecoveryRequest.State.PENDING;
                if (next != RecoveryRequest.State.PENDING) {
                    Optional<RecoveryRequest.Seal> seal = next == RecoveryRequest.State.RELEASED
                            ? Optional.of(sealRelease.apply(released(connection, recoveryId, releaseExpiry))) : Optional.empty();
                    try (PreparedStatement s = connection.prepareStatement("UPDATE escrow_recovery SET state = ?, closed_at = ?, expires_at = ?, release_key_id = ?, "
                            + "release_signature = ? WHERE id = ?")) {
                        s.setString(1, next.name());
                        s.setObject(2, next == RecoveryRequest.State.DENIED ? Jdbc.utc(now) : null);
                        s.setObject(3, Jdbc.utc(next == RecoveryRequest.State.RELEASED ? releaseExpiry : now));
                        s.setString(4, seal.map(RecoveryRequest.Seal::recoveryKeyId).orElse(null));
                        s.setBytes(5, seal.map(RecoveryRequest.Seal::signature).orElse(null));
                        s.setString(6, recoveryId);
                        s.executeUpdate();
                    }
                }
                return Optional.of(next);
            });
        } catch (SQLException e) {
            if (StorageFailure.duplicateKey(e)) {
                throw new LetterlockException(ErrorType.CONFLICT, decision.agent() + " has decided on this request already");
            }
            throw StorageFailure.of(e);
        }
    }

    /** The approvals needed if the request is PENDING and unexpired at {@code now}, its row locked until the transaction ends. */
    private static Optional<Integer> lockOpen(Connection connection, String recoveryId, Instant now) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT state, expires_at, approvals_needed FROM escrow_recovery WHERE id = ? FOR UPDATE")) {
            List<Optional<Integer>> open = Jdbc.query(s, b -> b.setString(1, recoveryId),
                    r -> RecoveryRequest.State.PENDING.name().equals(r.getString(1)) && Jdbc.instant(r, 2).isAfter(now) ? Optional.of(r.getInt(3)) : Optional.empty());
            return open.isEmpty() ? Optional.empty() : open.get(0);
        }
    }

    /** The request as its release will store it, read in the deciding transaction: RELEASED until {@code releaseExpiry}, with every decision. */
    private static RecoveryRequest released(Connection connection, String recoveryId, Instant releaseExpiry) throws SQLException {
        RecoveryRequest stored;
        try (PreparedStatement s = connection.prepareStatement("SELECT " + RECOVERY_COLUMNS + " FROM escrow_recovery WHERE id = ?")) {
            stored = Jdbc.query(s, b -> b.setString(1, recoveryId), JdbcEscrowStore::recovery).get(0);
        }
        List<RecoveryRequest.Decision> decisions;
        try (PreparedStatement s = connection.prepareStatement("SELECT agent, approved, comment, decided_at, key_id, signature FROM escrow_decision WHERE recovery_id = ? "
                + "ORDER BY decided_at, agent")) {
            decisions = Jdbc.query(s, b -> b.setString(1, recoveryId), r -> decision(r, 1));
        }
        return new RecoveryRequest(stored.id(), stored.mailbox(), stored.reason(), stored.requestedBy(), RecoveryRequest.State.RELEASED, stored.approvalsNeeded(),
                stored.createdAt(), releaseExpiry, Optional.empty(), decisions, stored.requestSeal(), Optional.empty());
    }

    @Override
    public boolean deliver(String recoveryId, Instant now) {
        return jdbc.update("UPDATE escrow_recovery SET state = 'DELIVERED', closed_at = ? WHERE id = ? AND state = 'RELEASED' AND expires_at > ?", s -> {
            s.setObject(1, Jdbc.utc(now));
            s.setString(2, recoveryId);
            s.setObject(3, Jdbc.utc(now));
        }) == 1;
    }

    @Override
    public boolean transition(String recoveryId, RecoveryRequest.State from, RecoveryRequest.State to, Instant at) {
        return jdbc.update("UPDATE escrow_recovery SET state = ?, closed_at = ? WHERE id = ? AND state = ?", s -> {
            s.setString(1, to.name());
            s.setObject(2, Jdbc.utc(at));
            s.setString(3, recoveryId);
            s.setString(4, from.name());
        }) == 1;
    }

}
