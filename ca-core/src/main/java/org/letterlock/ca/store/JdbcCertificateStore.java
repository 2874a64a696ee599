package org.letterlock.ca.store;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.CertificateStore;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.KeyFamily;
import org.letterlock.ca.RevocationReason;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.GroupCommit;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.store.Transaction;
import org.letterlock.vault.KeyUri;

/** The CA's tables over JDBC (H2 and PostgreSQL): issuers, certificates with their revocation, mailbox pairs, last signed CRLs. */
public final class JdbcCertificateStore implements CertificateStore {
    private static final String CERTIFICATE_COLUMNS = "serial, issuer_id, profile, mailbox, subject, not_before, not_after, der, pair_id, "
            + "requested_by, issued_at, revoked_at, revocation_reason, revoked_by";
    private static final String ISSUER_COLUMNS = "id, kind, state, key_uri, subject, certificate, csr, created_at, ocsp_key_uri, ocsp_certificate";

    /** Enough to take a whole burst of issuance at once; a batch this size commits in a few milliseconds. */
    private static final int MAX_INSERT_BATCH = 256;

    private final DataSource dataSource;
    private final Jdbc jdbc;
    /** Certificates issued at the same time are stored in one transaction: one commit for all, not one each. */
    private final GroupCommit<NewCertificate> inserts;

    public JdbcCertificateStore(DataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbc = new Jdbc(dataSource);
        this.inserts = new GroupCommit<>(dataSource, "letterlock-ca-store", MAX_INSERT_BATCH, JdbcCertificateStore::insert);
    }

    // ---- issuers

    @Override
    public void insertIssuer(IssuerRecord issuer) {
        try {
            Transaction.run(dataSource, connection -> {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ca_issuer (" + ISSUER_COLUMNS + ", crl_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")) {
                    insert.setString(1, issuer.id());
                    insert.setString(2, issuer.kind().name());
                    insert.setString(3, issuer.state().name());
                    insert.setString(4, issuer.key().map(KeyUri::toString).orElse(null));
                    insert.setString(5, issuer.subject());
                    insert.setBytes(6, issuer.certificate().map(Certificates::der).orElse(null));
                    insert.setBytes(7, issuer.csr().orElse(null));
                    insert.setObject(8, utc(issuer.createdAt()));
                    insert.setString(9, issuer.ocspKey().map(KeyUri::toString).orElse(null));
                    insert.setBytes(10, issuer.ocspCertificate().map(Certificates::der).orElse(null));
                    insert.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            // SQLSTATE 23505: another node took this issuer id first (two rollovers at once).
            if (StorageFailure.duplicateKey(e)) {
                throw new LetterlockException(ErrorType.CONFLICT, "issuer " + issuer.id() + " was just made by another node; reload the issuers");
            }
            throw StorageFailure.of(e);
        }
    }

    @Override
    public List<String> activate(String id, X509CertificateHolder certificate) {
        try {
            return Transaction.run(dataSource, connection -> {
                // Locking every issuing CA's row first makes activations on several nodes take turns, so the last one
                // sees, and retires, the one of its kind before it: never two ACTIVE of a kind, never none.
                List<String> active = new ArrayList<>();
                Map<String, OffsetDateTime> activeSince = new java.util.HashMap<>();
                Map<String, String> kinds = new java.util.HashMap<>();
                OffsetDateTime created = null;
                boolean pending = false;
                try (PreparedStatement lock = connection.prepareStatement("SELECT id, state, created_at, kind FROM ca_issuer WHERE kind <> 'ROOT' FOR UPDATE");
                     ResultSet rows = lock.executeQuery()) {
                    while (rows.next()) {
                        String state = rows.getString(2);
                        kinds.put(rows.getString(1), rows.getString(4));
                        if (rows.getString(1).equals(id)) {
                            pending = IssuerRecord.State.PENDING.name().equals(state);
                            created = rows.getObject(3, OffsetDateTime.class);
                        } else if (IssuerRecord.State.ACTIVE.name().equals(state)) {
                            active.add(rows.getString(1));
                            activeSince.put(rows.getString(1), rows.getObject(3, OffsetDateTime.class));
                        }
                    }
                }
                String kind = kinds.get(id);
                active.removeIf(other -> !kinds.get(other).equals(kind));
                activeSince.keySet().retainAll(active);
                if (!pending) {
                    throw new LetterlockException(ErrorType.CONFLICT, "issuer " + id + " is not waiting for a certificate (activated meanwhile?)");
                }
                // Of two rollovers that activate out of order, the later one's issuer stays: the earlier one would otherwise retire it.
                for (Map.Entry<String, OffsetDateTime> other : activeSince.entrySet()) {
                    if (other.getValue().isAfter(created)) {
                        throw new LetterlockException(ErrorType.CONFLICT, "issuer " + other.getKey() + ", made after " + id + ", is active already");
                    }
                }
                try (PreparedStatement retire = connection.prepareStatement("UPDATE ca_issuer SET state = 'RETIRED' WHERE id = ?")) {
                    for (String other : active) {
                        retire.setString(1, other);
                        retire.executeUpdate();
                    }
                }
                try (PreparedStatement activate = connection.prepareStatement("UPDATE ca_issuer SET certificate = ?, state = 'ACTIVE' WHERE id = ?")) {
                    activate.setBytes(1, Certificates.der(certificate));
                    activate.setString(2, id);
                    activate.executeUpdate();
                }
                return active;
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    @Override
    public void setState(String id, IssuerRecord.State state) {
        update("UPDATE ca_issuer SET state = ? WHERE id = ?", s -> {
            s.setString(1, state.name());
            s.setString(2, id);
        });
    }

    @Override
    public void setOcspResponder(String id, KeyUri key, X509CertificateHolder certificate) {
        update("UPDATE ca_issuer SET ocsp_key_uri = ?, ocsp_certificate = ? WHERE id = ?", s -> {
            s.setString(1, key.toString());
            s.setBytes(2, Certificates.der(certificate));
            s.setString(3, id);
        });
    }

    @Override
    public List<IssuerRecord> issuers() {
        return query("SELECT " + ISSUER_COLUMNS + " FROM ca_issuer ORDER BY CASE WHEN kind = 'ROOT' THEN 0 ELSE 1 END, created_at, id", s -> { }, JdbcCertificateStore::issuer);
    }

    /** The next CRL number of an issuer, taken under a row lock so two nodes never sign the same number. */
    @Override
    public long nextCrlNumber(String issuerId) {
        try {
            return Transaction.run(dataSource, connection -> {
                try (PreparedStatement bump = connection.prepareStatement("UPDATE ca_issuer SET crl_number = crl_number + 1 WHERE id = ?");
                     PreparedStatement read = connection.prepareStatement("SELECT crl_number FROM ca_issuer WHERE id = ?")) {
                    bump.setString(1, issuerId);
                    if (bump.executeUpdate() != 1) {
                        throw new IllegalStateException("no issuer " + issuerId);
                    }
                    read.setString(1, issuerId);
                    try (ResultSet row = read.executeQuery()) {
                        row.next();
                        return row.getLong(1);
                    }
                }
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    // ---- certificates

    /** Stores a certificate and, if given, creates its pair first; both or neither. */
    @Override
    public void insertCertificate(IssuedCertificate certificate, String keyHash, Optional<String> newPairMailbox) {
        try {
            inserts.write(new NewCertificate(certificate, keyHash, newPairMailbox));
        } catch (SQLException e) {
            // SQLSTATE 23505: the unique index on (pair_id, profile) caught a second certificate of one profile in a pair.
            if (StorageFailure.duplicateKey(e) && certificate.pairId().isPresent()) {
                throw new LetterlockException(ErrorType.CONFLICT, "pair " + certificate.pairId().get() + " has a " + certificate.profile()
                        + " certificate already; renew the pair instead");
            }
            throw StorageFailure.of(e);
        }
    }

    private record NewCertificate(IssuedCertificate certificate, String keyHash, Optional<String> newPairMailbox) {
    }

    /** The pairs first, since a certificate names its pair; each table's rows as one JDBC batch. */
    private static void insert(Connection connection, List<NewCertificate> batch) throws SQLException {
        if (batch.stream().anyMatch(n -> n.newPairMailbox().isPresent())) {
            try (PreparedStatement pair = connection.prepareStatement("INSERT INTO ca_pair (id, mailbox, created_at) VALUES (?, ?, ?)")) {
                for (NewCertificate added : batch) {
                    if (added.newPairMailbox().isPresent()) {
                        pair.setString(1, added.certificate().pairId().orElseThrow());
                        pair.setString(2, added.newPairMailbox().get());
                        pair.setObject(3, utc(added.certificate().issuedAt()));
                        pair.addBatch();
                    }
                }
                pair.executeBatch();
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ca_certificate (" + CERTIFICATE_COLUMNS
                + ", notices_sent, key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?)")) {
            for (NewCertificate added : batch) {
                IssuedCertificate certificate = added.certificate();
                insert.setString(1, certificate.serialHex());
                insert.setString(2, certificate.issuerId());
                insert.setString(3, certificate.profile());
                insert.setString(4, certificate.mailbox().orElse(null));
                insert.setString(5, certificate.subject());
                insert.setObject(6, utc(certificate.notBefore()));
                insert.setObject(7, utc(certificate.notAfter()));
                insert.setBytes(8, certificate.der());
                insert.setString(9, certificate.pairId().orElse(null));
                insert.setString(10, certificate.requestedBy());
                insert.setObject(11, utc(certificate.issuedAt()));
                insert.setString(12, added.keyHash());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    @Override
    public Optional<IssuedCertificate> certificate(BigInteger serial) {
        return query("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate WHERE serial = ?", s -> s.setString(1, IssuedCertificate.hex(serial)),
                JdbcCertificateStore::certificate).stream().findFirst();
    }

    @Override
    public Optional<String> pairMailbox(String pairId) {
        return query("SELECT mailbox FROM ca_pair WHERE id = ?", s -> s.setString(1, pairId), r -> r.getString(1)).stream().findFirst();
    }

    @Override
    public List<IssuedCertificate> pair(String pairId) {
        return query("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate WHERE pair_id = ? ORDER BY issued_at, profile DESC, serial",
                s -> s.setString(1, pairId), JdbcCertificateStore::certificate);
    }

    /** Certificates of a mailbox (or all, when null), newest first, at most {@code limit}. */
    @Override
    public List<IssuedCertificate> search(String mailbox, String profile, Boolean revoked, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate WHERE 1 = 1");
        if (mailbox != null) {
            sql.append(" AND mailbox = ?");
        }
        if (profile != null) {
            sql.append(" AND profile = ?");
        }
        if (revoked != null) {
            sql.append(revoked ? " AND revoked_at IS NOT NULL" : " AND revoked_at IS NULL");
        }
        sql.append(" ORDER BY issued_at DESC, serial LIMIT ?");
        return query(sql.toString(), s -> {
            int i = 1;
            if (mailbox != null) {
                s.setString(i++, mailbox);
            }
            if (profile != null) {
                s.setString(i++, profile);
            }
            s.setInt(i, limit);
        }, JdbcCertificateStore::certificate);
    }

    /** Marks a certificate revoked unless it is already; true if this call revoked it. */
    @Override
    public boolean revoke(BigInteger serial, Instant at, RevocationReason reason, String by) {
        try {
            return Transaction.run(dataSource, connection -> {
                try (PreparedStatement revoke = connection.prepareStatement(
                        "UPDATE ca_certificate SET revoked_at = ?, revocation_reason = ?, revoked_by = ? WHERE serial = ? AND revoked_at IS NULL")) {
                    revoke.setObject(1, utc(at));
                    revoke.setInt(2, reason.code());
                    revoke.setString(3, by);
                    revoke.setString(4, IssuedCertificate.hex(serial));
                    if (revoke.executeUpdate() != 1) {
                        return false;
                    }
                }
                if (reason == RevocationReason.KEY_COMPROMISE) {
                    try (PreparedStatement read = connection.prepareStatement("SELECT der FROM ca_certificate WHERE serial = ?")) {
                        read.setString(1, IssuedCertificate.hex(serial));
                        try (ResultSet row = read.executeQuery()) {
                            row.next();
                            listCompromisedKey(connection, row.getBytes(1), serial, at);
                        }
                    }
                }
                return true;
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** The first revocation for keyCompromise lists a key; later ones for the same key leave it. */
    private static int listCompromisedKey(Connection connection, byte[] certificateDer, BigInteger serial, Instant at) throws SQLException {
        String keyHash = keyHash(certificateDer);
        if (keyHash.equals(UNREADABLE_KEY)) {
            return 0;
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ca_compromised_key (key_hash, serial, revoked_at) SELECT ?, ?, ? "
                + "WHERE NOT EXISTS (SELECT 1 FROM ca_compromised_key WHERE key_hash = ?)")) {
            insert.setString(1, keyHash);
            insert.setString(2, IssuedCertificate.hex(serial));
            insert.setObject(3, utc(at));
            insert.setString(4, keyHash);
            return insert.executeUpdate();
        }
    }

    /** The canonical key hash of a certificate's public key; UNREADABLE_KEY for one that cannot be read, which no CSR's key matches. */
    private static String keyHash(byte[] certificateDer) {
        try {
            return KeyFamily.canonicalKeyHash(org.bouncycastle.asn1.x509.Certificate.getInstance(certificateDer).getSubjectPublicKeyInfo());
        } catch (IllegalArgumentException e) {
            return UNREADABLE_KEY;
        }
    }

    private static final String UNREADABLE_KEY = "-";

    @Override
    public List<IssuedCertificate> unrevokedWithKey(String keyHash) {
        return query("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate WHERE key_hash = ? AND revoked_at IS NULL", s -> s.setString(1, keyHash),
                JdbcCertificateStore::certificate);
    }

    @Override
    public List<IssuedCertificate> unrevokedWithCompromisedKeys(int limit) {
        return query("SELECT " + prefixed("c") + " FROM ca_compromised_key k JOIN ca_certificate c ON c.key_hash = k.key_hash WHERE c.revoked_at IS NULL "
                + "ORDER BY c.serial LIMIT ?", s -> s.setInt(1, limit), JdbcCertificateStore::certificate);
    }

    @Override
    public int fillKeyHashes(int batch) {
        int filled = 0;
        try (Connection reader = dataSource.getConnection()) {
            // One streamed read (PostgreSQL streams only inside a transaction with a fetch size), written back in batches of their own.
            reader.setAutoCommit(false);
            try (PreparedStatement query = reader.prepareStatement("SELECT serial, der FROM ca_certificate WHERE key_hash IS NULL")) {
                query.setFetchSize(batch);
                try (ResultSet row = query.executeQuery()) {
                    java.util.TreeMap<String, String> hashes = new java.util.TreeMap<>();
                    while (row.next()) {
                        hashes.put(row.getString(1), keyHash(row.getBytes(2)));
                        if (hashes.size() == batch) {
                            filled += writeKeyHashes(hashes);
                        }
                    }
                    filled += writeKeyHashes(hashes);
                }
            } finally {
                reader.rollback();
            }
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
        return filled;
    }

    /** Writes and clears {@code hashes}; in serial order, so that nodes filling at once lock rows in one order and never deadlock. */
    private int writeKeyHashes(java.util.TreeMap<String, String> hashes) throws SQLException {
        if (hashes.isEmpty()) {
            return 0;
        }
        int written = Transaction.run(dataSource, connection -> {
            int count = 0;
            try (PreparedStatement fill = connection.prepareStatement("UPDATE ca_certificate SET key_hash = ? WHERE serial = ? AND key_hash IS NULL")) {
                for (Map.Entry<String, String> entry : hashes.entrySet()) {
                    fill.setString(1, entry.getValue());
                    fill.setString(2, entry.getKey());
                    count += fill.executeUpdate();
                }
            }
            return count;
        });
        hashes.clear();
        return written;
    }

    private static String prefixed(String alias) {
        return alias + "." + CERTIFICATE_COLUMNS.replace(", ", ", " + alias + ".");
    }

    @Override
    public Optional<BigInteger> compromisedKey(String keyHash) {
        return query("SELECT serial FROM ca_compromised_key WHERE key_hash = ?", s -> s.setString(1, keyHash), row -> new BigInteger(row.getString(1), 16))
                .stream().findFirst();
    }

    @Override
    public int listCompromisedKeys() {
        // Per issuer, so the (issuer_id, revoked_at) index finds the revoked rows instead of a scan of every certificate.
        List<IssuedCertificate> unlisted = new ArrayList<>();
        for (IssuerRecord issuer : issuers()) {
            unlisted.addAll(query("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate c WHERE c.issuer_id = ? AND c.revoked_at IS NOT NULL "
                    + "AND c.revocation_reason = ? AND NOT EXISTS (SELECT 1 FROM ca_compromised_key k WHERE k.serial = c.serial)", s -> {
                        s.setString(1, issuer.id());
                        s.setInt(2, RevocationReason.KEY_COMPROMISE.code());
                    }, JdbcCertificateStore::certificate));
        }
        int listed = 0;
        try {
            for (IssuedCertificate certificate : unlisted) {
                listed += Transaction.run(dataSource, connection -> listCompromisedKey(connection, certificate.der(), certificate.serial(),
                        certificate.revocation().orElseThrow().at()));
            }
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
        return listed;
    }

    /**
     * The revoked, unexpired certificates of an issuer, revoked at or after {@code since} (everything when null),
     * streamed to {@code sink} so a CRL of a million entries is not a list in memory twice.
     */
    @Override
    public void revoked(String issuerId, Instant since, Instant notExpiredAt, Consumer<RevokedEntry> sink) {
        String sql = "SELECT serial, revoked_at, revocation_reason FROM ca_certificate WHERE issuer_id = ? AND revoked_at IS NOT NULL AND not_after > ?"
                + (since == null ? "" : " AND revoked_at >= ?");
        try (Connection connection = dataSource.getConnection()) {
            // PostgreSQL streams rows only inside a transaction with a fetch size.
            connection.setAutoCommit(false);
            try (PreparedStatement query = connection.prepareStatement(sql)) {
                query.setFetchSize(5000);
                query.setString(1, issuerId);
                query.setObject(2, utc(notExpiredAt));
                if (since != null) {
                    query.setObject(3, utc(since));
                }
                try (ResultSet row = query.executeQuery()) {
                    while (row.next()) {
                        sink.accept(new RevokedEntry(new BigInteger(row.getString(1), 16), row.getObject(2, OffsetDateTime.class).toInstant(),
                                RevocationReason.ofCode(row.getInt(3))));
                    }
                }
            } finally {
                connection.commit();
            }
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** Serials revoked at or after {@code since}: how other nodes' OCSP caches learn of revocations. */
    @Override
    public List<RecentRevocation> revokedSince(Instant since) {
        return query("SELECT issuer_id, serial FROM ca_certificate WHERE revoked_at >= ?", s -> s.setObject(1, utc(since)),
                r -> new RecentRevocation(r.getString(1), new BigInteger(r.getString(2), 16)));
    }

    /** Unrevoked certificates with an owner that expire before {@code before} and have had fewer than {@code notices} notices. */
    @Override
    public List<IssuedCertificate> expiring(Instant now, Instant before, int notices, int limit) {
        return query("SELECT " + CERTIFICATE_COLUMNS + " FROM ca_certificate WHERE revoked_at IS NULL AND mailbox IS NOT NULL AND not_after > ? "
                + "AND not_after <= ? AND notices_sent < ? ORDER BY not_after LIMIT ?", s -> {
                    s.setObject(1, utc(now));
                    s.setObject(2, utc(before));
                    s.setInt(3, notices);
                    s.setInt(4, limit);
                }, JdbcCertificateStore::certificate);
    }

    /** Records that the {@code notices}-th notice went out; false if another node got there first. */
    @Override
    public boolean noticeSent(BigInteger serial, int notices) {
        return update("UPDATE ca_certificate SET notices_sent = ? WHERE serial = ? AND notices_sent < ?", s -> {
            s.setInt(1, notices);
            s.setString(2, IssuedCertificate.hex(serial));
            s.setInt(3, notices);
        }) == 1;
    }

    @Override
    public void releaseNotice(BigInteger serial, int notices) {
        update("UPDATE ca_certificate SET notices_sent = ? WHERE serial = ? AND notices_sent = ?", s -> {
            s.setInt(1, notices - 1);
            s.setString(2, IssuedCertificate.hex(serial));
            s.setInt(3, notices);
        });
    }

    @Override
    public long count() {
        return query("SELECT COUNT(*) FROM ca_certificate", s -> { }, r -> r.getLong(1)).get(0);
    }

    // ---- CRLs

    /** Keeps a newly signed CRL, unless a higher-numbered one of the same kind is stored already (another node's). */
    @Override
    public void saveCrl(StoredCrl crl) {
        try {
            Transaction.run(dataSource, connection -> {
                // Saves of one issuer's CRLs take turns on its row, so each sees the last one's number: a lower one never replaces a higher.
                try (PreparedStatement lock = connection.prepareStatement("SELECT id FROM ca_issuer WHERE id = ? FOR UPDATE")) {
                    lock.setString(1, crl.issuerId());
                    lock.executeQuery().close();
                }
                try (PreparedStatement replace = connection.prepareStatement("UPDATE ca_crl SET number = ?, base_number = ?, this_update = ?, next_update = ?, "
                        + "der = ? WHERE issuer_id = ? AND delta = ? AND number < ?")) {
                    bindCrl(replace, 1, crl);
                    replace.setString(6, crl.issuerId());
                    replace.setBoolean(7, crl.delta());
                    replace.setLong(8, crl.number());
                    if (replace.executeUpdate() == 1) {
                        return null;
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ca_crl (number, base_number, this_update, next_update, der, issuer_id, "
                        + "delta) SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ca_crl WHERE issuer_id = ? AND delta = ?)")) {
                    bindCrl(insert, 1, crl);
                    insert.setString(6, crl.issuerId());
                    insert.setBoolean(7, crl.delta());
                    insert.setString(8, crl.issuerId());
                    insert.setBoolean(9, crl.delta());
                    insert.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** number, base_number, this_update, next_update and der, from parameter {@code first} on. */
    private static void bindCrl(PreparedStatement statement, int first, StoredCrl crl) throws SQLException {
        statement.setLong(first, crl.number());
        if (crl.baseNumber().isPresent()) {
            statement.setLong(first + 1, crl.baseNumber().get());
        } else {
            statement.setNull(first + 1, Types.BIGINT);
        }
        statement.setObject(first + 2, utc(crl.thisUpdate()));
        statement.setObject(first + 3, utc(crl.nextUpdate()));
        statement.setBytes(first + 4, crl.der());
    }

    @Override
    public Optional<StoredCrl> crl(String issuerId, boolean delta) {
        return query("SELECT issuer_id, delta, number, base_number, this_update, next_update, der FROM ca_crl WHERE issuer_id = ? AND delta = ?", s -> {
            s.setString(1, issuerId);
            s.setBoolean(2, delta);
        }, r -> {
            long base = r.getLong(4);
            Optional<Long> baseNumber = r.wasNull() ? Optional.empty() : Optional.of(base);
            return new StoredCrl(r.getString(1), r.getBoolean(2), r.getLong(3), baseNumber, r.getObject(5, OffsetDateTime.class).toInstant(),
                    r.getObject(6, OffsetDateTime.class).toInstant(), r.getBytes(7));
        }).stream().findFirst();
    }

    // ---- plumbing

    private int update(String sql, Jdbc.Binder binder) {
        return jdbc.update(sql, binder);
    }

    private <T> List<T> query(String sql, Jdbc.Binder binder, Jdbc.RowReader<T> reader) {
        return jdbc.query(sql, binder, reader);
    }

    private static IssuedCertificate certificate(ResultSet row) throws SQLException {
        OffsetDateTime revokedAt = row.getObject(12, OffsetDateTime.class);
        Optional<IssuedCertificate.Revocation> revocation = revokedAt == null ? Optional.empty()
                : Optional.of(new IssuedCertificate.Revocation(revokedAt.toInstant(), RevocationReason.ofCode(row.getInt(13)), row.getString(14)));
        return new IssuedCertificate(new BigInteger(row.getString(1), 16), row.getString(2), row.getString(3), Optional.ofNullable(row.getString(4)),
                row.getString(5), row.getObject(6, OffsetDateTime.class).toInstant(), row.getObject(7, OffsetDateTime.class).toInstant(),
                row.getBytes(8), Optional.ofNullable(row.getString(9)), row.getString(10), row.getObject(11, OffsetDateTime.class).toInstant(), revocation);
    }

    private static IssuerRecord issuer(ResultSet row) throws SQLException {
        byte[] certificate = row.getBytes(6);
        byte[] ocspCertificate = row.getBytes(10);
        String ocspKey = row.getString(9);
        return new IssuerRecord(row.getString(1), IssuerRecord.Kind.valueOf(row.getString(2)), IssuerRecord.State.valueOf(row.getString(3)),
                Optional.ofNullable(row.getString(4)).map(KeyUri::parse), row.getString(5), Optional.ofNullable(certificate).map(Certificates::holder),
                Optional.ofNullable(row.getBytes(7)), row.getObject(8, OffsetDateTime.class).toInstant(),
                Optional.ofNullable(ocspKey).map(KeyUri::parse), Optional.ofNullable(ocspCertificate).map(Certificates::holder));
    }


    private static OffsetDateTime utc(Instant instant) {
        return Jdbc.utc(instant);
    }
}
