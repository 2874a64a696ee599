package org.letterlock.keyserver.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.letterlock.keyserver.KeyserverStore;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.keyserver.Wkd;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.store.Transaction;

/** The keyserver's tables over JDBC (H2 and PostgreSQL). */
public final class JdbcKeyserverStore implements KeyserverStore {
    private static final String KEY_COLUMNS = "k.fingerprint, k.key_id, k.version, k.algorithm, k.bits, k.key_created_at, k.expires_at, k.revoked, k.full_key, "
            + "k.published_key, k.uploaded_at, k.updated_at";

    private final Jdbc jdbc;

    public JdbcKeyserverStore(DataSource dataSource) {
        this.jdbc = new Jdbc(dataSource);
    }

    /** Keys a lookup by key ID answers with at most, the first stored first. */
    static final int KEYS_PER_KEY_ID = 100;

    /** The primary key with this fingerprint if there is one, else the first key stored with such a subkey. */
    @Override
    public Optional<StoredKey> byFingerprint(String fingerprint) {
        List<StoredKey> primary = jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint = ?", s -> s.setString(1, fingerprint),
                JdbcKeyserverStore::key);
        if (!primary.isEmpty()) {
            return withParts(primary).stream().findFirst();
        }
        // An encryption subkey needs no back-signature, so others may bind it to keys of theirs: the key that carried it first answers.
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k JOIN keyserver_subkey s ON s.key_fingerprint = k.fingerprint "
                + "WHERE s.fingerprint = ? ORDER BY k.uploaded_at, k.fingerprint LIMIT 1", s -> s.setString(1, fingerprint), JdbcKeyserverStore::key)).stream().findFirst();
    }

    @Override
    public List<StoredKey> byKeyId(String keyId) {
        // Bounded: a subkey bound to thousands of keys (encryption subkeys need no back-signature) must not make one lookup load them all.
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint IN (SELECT fingerprint FROM keyserver_key WHERE key_id = ? "
                + "UNION SELECT key_fingerprint FROM keyserver_subkey WHERE key_id = ?) ORDER BY k.uploaded_at, k.fingerprint LIMIT " + KEYS_PER_KEY_ID, s -> {
                    s.setString(1, keyId);
                    s.setString(2, keyId);
                }, JdbcKeyserverStore::key));
    }

    @Override
    public List<StoredKey> byPublishedAddress(String address) {
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint IN (SELECT key_fingerprint FROM keyserver_user_id "
                + "WHERE address = ? AND published_at IS NOT NULL) ORDER BY k.updated_at DESC", s -> s.setString(1, address), JdbcKeyserverStore::key));
    }

    @Override
    public List<StoredKey> publishedInDomain(String domain) {
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint IN (SELECT key_fingerprint FROM keyserver_user_id "
                + "WHERE domain = ? AND published_at IS NOT NULL) ORDER BY k.fingerprint", s -> s.setString(1, domain), JdbcKeyserverStore::key));
    }

    @Override
    public List<StoredKey> byWkd(String domain, String hash) {
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint IN (SELECT key_fingerprint FROM keyserver_user_id "
                + "WHERE domain = ? AND wkd_hash = ? AND published_at IS NOT NULL) ORDER BY k.updated_at DESC", s -> {
                    s.setString(1, domain);
                    s.setString(2, hash);
                }, JdbcKeyserverStore::key));
    }

    private static StoredKey key(ResultSet r) throws SQLException {
        return new StoredKey(r.getString(1), r.getString(2), r.getInt(3), r.getInt(4), r.getInt(5), Jdbc.instant(r, 6), Optional.ofNullable(Jdbc.instant(r, 7)),
                r.getBoolean(8), r.getBytes(9), r.getBytes(10), Jdbc.instant(r, 11), Jdbc.instant(r, 12), List.of(), List.of());
    }

    /** Fills in user IDs and subkeys with one query each for all the keys. */
    private List<StoredKey> withParts(List<StoredKey> keys) {
        if (keys.isEmpty()) {
            return keys;
        }
        String in = String.join(", ", keys.stream().map(k -> "?").toList());
        Jdbc.Binder fingerprints = s -> {
            for (int i = 0; i < keys.size(); i++) {
                s.setString(i + 1, keys.get(i).fingerprint());
            }
        };
        Map<String, List<StoredKey.UserId>> userIds = jdbc.query("SELECT key_fingerprint, user_id, address, published_at FROM keyserver_user_id WHERE key_fingerprint IN ("
                + in + ") ORDER BY user_id", fingerprints, r -> Map.entry(r.getString(1), new StoredKey.UserId(r.getString(2), Optional.ofNullable(r.getString(3)),
                Optional.ofNullable(Jdbc.instant(r, 4))))).stream().collect(Collectors.groupingBy(Map.Entry::getKey, Collectors.mapping(Map.Entry::getValue,
                Collectors.toList())));
        Map<String, List<StoredKey.Subkey>> subkeys = jdbc.query("SELECT key_fingerprint, fingerprint, key_id FROM keyserver_subkey WHERE key_fingerprint IN (" + in
                + ") ORDER BY fingerprint", fingerprints, r -> Map.entry(r.getString(1), new StoredKey.Subkey(r.getString(2), r.getString(3)))).stream()
                .collect(Collectors.groupingBy(Map.Entry::getKey, Collectors.mapping(Map.Entry::getValue, Collectors.toList())));
        List<StoredKey> full = new ArrayList<>(keys.size());
        for (StoredKey k : keys) {
            full.add(new StoredKey(k.fingerprint(), k.keyId(), k.version(), k.algorithm(), k.bits(), k.keyCreatedAt(), k.expiresAt(), k.revoked(), k.fullKey(),
                    k.publishedKey(), k.uploadedAt(), k.updatedAt(), userIds.getOrDefault(k.fingerprint(), List.of()), subkeys.getOrDefault(k.fingerprint(), List.of())));
        }
        return full;
    }

    @Override
    public boolean save(StoredKey key, Optional<Instant> expectedUpdatedAt) {
        try {
            return Transaction.run(jdbc.dataSource(), connection -> {
                if (expectedUpdatedAt.isPresent()) {
                    try (PreparedStatement s = connection.prepareStatement("UPDATE keyserver_key SET key_id = ?, version = ?, algorithm = ?, bits = ?, key_created_at = ?, "
                            + "expires_at = ?, revoked = ?, full_key = ?, published_key = ?, uploaded_at = ?, updated_at = ? WHERE fingerprint = ? AND updated_at = ?")) {
                        bindKey(s, key, 1);
                        s.setString(12, key.fingerprint());
                        s.setObject(13, Jdbc.utc(expectedUpdatedAt.get()));
                        if (s.executeUpdate() != 1) {
                            connection.rollback();
                            return false;
                        }
                    }
                }
                try (KeyInserts inserts = new KeyInserts(connection)) {
                    if (expectedUpdatedAt.isEmpty() && !inserts.keyRows(List.of(key)).get(0)) {
                        connection.rollback();
                        return false;
                    }
                    execute(connection, "DELETE FROM keyserver_subkey WHERE key_fingerprint = ?", key.fingerprint());
                    execute(connection, "DELETE FROM keyserver_user_id WHERE key_fingerprint = ?", key.fingerprint());
                    inserts.parts(List.of(key));
                }
                return true;
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    @Override
    public List<Boolean> insertNew(List<StoredKey> keys) {
        try {
            return Transaction.run(jdbc.dataSource(), connection -> {
                try (KeyInserts inserts = new KeyInserts(connection)) {
                    List<Boolean> inserted = inserts.keyRows(keys);
                    List<StoredKey> fresh = new ArrayList<>(keys.size());
                    for (int i = 0; i < keys.size(); i++) {
                        if (inserted.get(i)) {
                            fresh.add(keys.get(i));
                        }
                    }
                    inserts.parts(fresh);
                    return inserted;
                }
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** The statements that add a key: prepared once per transaction, however many keys it writes. */
    private static final class KeyInserts implements AutoCloseable {
        private final PreparedStatement keyRow;
        private final PreparedStatement subkeyRows;
        private final PreparedStatement userIdRows;

        KeyInserts(Connection connection) throws SQLException {
            keyRow = connection.prepareStatement("INSERT INTO keyserver_key (key_id, version, algorithm, bits, key_created_at, expires_at, "
                    + "revoked, full_key, published_key, uploaded_at, updated_at, fingerprint) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
                    + "(SELECT 1 FROM keyserver_key WHERE fingerprint = ?) AND NOT EXISTS (SELECT 1 FROM keyserver_blocked WHERE fingerprint = ?)");
            subkeyRows = connection.prepareStatement("INSERT INTO keyserver_subkey (fingerprint, key_id, key_fingerprint) VALUES (?, ?, ?)");
            userIdRows = connection.prepareStatement("INSERT INTO keyserver_user_id (key_fingerprint, user_id, address, domain, wkd_hash, published_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?)");
        }

        /**
         * Each key's row, in order, unless a key with its fingerprint is stored already or earlier in the list, or the
         * fingerprint is blocked (false: nothing written; a block made meanwhile by another node holds too). One batch: one round trip to the database, however many keys.
         */
        List<Boolean> keyRows(List<StoredKey> keys) throws SQLException {
            for (StoredKey key : keys) {
                bindKey(keyRow, key, 1);
                keyRow.setString(12, key.fingerprint());
                keyRow.setString(13, key.fingerprint());
                keyRow.setString(14, key.fingerprint());
                keyRow.addBatch();
            }
            return java.util.Arrays.stream(keyRow.executeBatch()).mapToObj(count -> count == 1).toList();
        }

        /** The rows of the keys' subkeys and user IDs. */
        void parts(List<StoredKey> keys) throws SQLException {
            for (StoredKey key : keys) {
                for (StoredKey.Subkey subkey : key.subkeys()) {
                    subkeyRows.setString(1, subkey.fingerprint());
                    subkeyRows.setString(2, subkey.keyId());
                    subkeyRows.setString(3, key.fingerprint());
                    subkeyRows.addBatch();
                }
                for (StoredKey.UserId userId : key.userIds()) {
                    userIdRows.setString(1, key.fingerprint());
                    userIdRows.setString(2, userId.text());
                    userIdRows.setString(3, userId.address().orElse(null));
                    userIdRows.setString(4, userId.address().map(a -> a.substring(a.lastIndexOf('@') + 1)).orElse(null));
                    userIdRows.setString(5, userId.address().map(a -> Wkd.hash(a.substring(0, a.lastIndexOf('@')))).orElse(null));
                    userIdRows.setObject(6, userId.publishedAt().map(Jdbc::utc).orElse(null));
                    userIdRows.addBatch();
                }
            }
            subkeyRows.executeBatch();
            userIdRows.executeBatch();
        }

        @Override
        public void close() throws SQLException {
            try (keyRow; subkeyRows; userIdRows) {
                // closes all three, whichever fails
            }
        }
    }

    private static void bindKey(PreparedStatement s, StoredKey key, int first) throws SQLException {
        s.setString(first, key.keyId());
        s.setInt(first + 1, key.version());
        s.setInt(first + 2, key.algorithm());
        s.setInt(first + 3, key.bits());
        s.setObject(first + 4, Jdbc.utc(key.keyCreatedAt()));
        s.setObject(first + 5, key.expiresAt().map(Jdbc::utc).orElse(null));
        s.setBoolean(first + 6, key.revoked());
        s.setBytes(first + 7, key.fullKey());
        s.setBytes(first + 8, key.publishedKey());
        s.setObject(first + 9, Jdbc.utc(key.uploadedAt()));
        s.setObject(first + 10, Jdbc.utc(key.updatedAt()));
    }

    private static void execute(Connection connection, String sql, String value) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setString(1, value);
            s.executeUpdate();
        }
    }

    @Override
    public void insertToken(String tokenHash, Purpose purpose, Optional<String> keyFingerprint, String address, Instant createdAt, Instant expiresAt) {
        jdbc.update("INSERT INTO keyserver_token (token_hash, purpose, key_fingerprint, address, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)", s -> {
            s.setString(1, tokenHash);
            s.setString(2, purpose.name());
            s.setString(3, keyFingerprint.orElse(null));
            s.setString(4, address);
            s.setObject(5, Jdbc.utc(createdAt));
            s.setObject(6, Jdbc.utc(expiresAt));
        });
    }

    @Override
    public List<StoredKey> byAddress(String address) {
        return withParts(jdbc.query("SELECT " + KEY_COLUMNS + " FROM keyserver_key k WHERE k.fingerprint IN (SELECT key_fingerprint FROM keyserver_user_id "
                + "WHERE address = ?)", s -> s.setString(1, address), JdbcKeyserverStore::key));
    }

    @Override
    public boolean delete(String fingerprint, Instant at) {
        try {
            return Transaction.run(jdbc.dataSource(), connection -> {
                try (PreparedStatement s = connection.prepareStatement("INSERT INTO keyserver_deleted (fingerprint, deleted_at) VALUES (?, ?)")) {
                    s.setString(1, fingerprint);
                    s.setObject(2, Jdbc.utc(at));
                    s.executeUpdate();
                }
                try (PreparedStatement s = connection.prepareStatement("DELETE FROM keyserver_key WHERE fingerprint = ?")) {
                    s.setString(1, fingerprint);
                    return s.executeUpdate() == 1;
                }
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    @Override
    public Optional<byte[]> publishedKey(String primaryFingerprint) {
        return jdbc.query("SELECT published_key FROM keyserver_key WHERE fingerprint = ?", s -> s.setString(1, primaryFingerprint), r -> r.getBytes(1))
                .stream().findFirst();
    }

    @Override
    public java.util.Set<String> changedSince(Instant since) {
        return new java.util.HashSet<>(jdbc.query("SELECT fingerprint FROM keyserver_key WHERE updated_at >= ? UNION SELECT fingerprint FROM keyserver_deleted "
                + "WHERE deleted_at >= ?", s -> {
                    s.setObject(1, Jdbc.utc(since));
                    s.setObject(2, Jdbc.utc(since));
                }, r -> r.getString(1)));
    }

    @Override
    public void block(String fingerprint, String by, String reason, Instant at) {
        jdbc.update("INSERT INTO keyserver_blocked (fingerprint, blocked_by, blocked_at, reason) SELECT ?, ?, ?, ? WHERE NOT EXISTS "
                + "(SELECT 1 FROM keyserver_blocked WHERE fingerprint = ?)", s -> {
                    s.setString(1, fingerprint);
                    s.setString(2, by);
                    s.setObject(3, Jdbc.utc(at));
                    s.setString(4, reason);
                    s.setString(5, fingerprint);
                });
    }

    @Override
    public boolean blocked(String fingerprint) {
        return !jdbc.query("SELECT 1 FROM keyserver_blocked WHERE fingerprint = ?", s -> s.setString(1, fingerprint), r -> r.getInt(1)).isEmpty();
    }

    @Override
    public Optional<Token> useToken(String tokenHash, Purpose purpose, Instant now) {
        int used = jdbc.update("UPDATE keyserver_token SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", s -> {
            s.setObject(1, Jdbc.utc(now));
            s.setString(2, tokenHash);
            s.setString(3, purpose.name());
            s.setObject(4, Jdbc.utc(now));
        });
        if (used != 1) {
            return Optional.empty();
        }
        return jdbc.query("SELECT purpose, key_fingerprint, address FROM keyserver_token WHERE token_hash = ?", s -> s.setString(1, tokenHash),
                r -> new Token(Purpose.valueOf(r.getString(1)), Optional.ofNullable(r.getString(2)), r.getString(3))).stream().findFirst();
    }

    @Override
    public int tokensSince(String address, Purpose purpose, Instant since) {
        return jdbc.query("SELECT COUNT(*) FROM keyserver_token WHERE address = ? AND purpose = ? AND created_at > ?", s -> {
            s.setString(1, address);
            s.setString(2, purpose.name());
            s.setObject(3, Jdbc.utc(since));
        }, r -> r.getInt(1)).get(0);
    }

}
