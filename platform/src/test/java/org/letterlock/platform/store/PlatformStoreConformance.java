package org.letterlock.platform.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.letterlock.platform.audit.AuditCheckpoints;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditLog;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.AuditVerification;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.AdminAccount;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.MailboxIdentity;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The platform's stores (audit log, identities, accounts) behave the same on every database. Each database's test
 * extends this; the platform is started the way the server starts it, on a memory vault.
 */
public abstract class PlatformStoreConformance {
    @TempDir
    Path dataDir;

    protected final MovableClock clock = new MovableClock();
    protected Letterlock platform;

    protected abstract Map<String, String> database(Path dataDir);

    protected Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>(database(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.audit.checkpoint-every", "10");
        settings.put("letterlock.db.pool-size", "4");
        return settings;
    }

    @BeforeEach
    void start() {
        Map<String, String> settings = settings();
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
    }

    @AfterEach
    void stop() {
        platform.close();
    }

    private AuditRecord append(int i) {
        return platform.auditLog().record(new AuditEvent("tester", "test.action", "object-" + i, Outcome.ALLOWED, "detail " + i));
    }

    private void appendMany(int count) {
        for (int i = 0; i < count; i++) {
            append(i);
        }
    }

    /** Runs {@code ;}-separated statements one by one. */
    private void sql(String statements) throws SQLException {
        try (Connection connection = platform.database().dataSource().getConnection(); Statement s = connection.createStatement()) {
            for (String statement : statements.split(";")) {
                s.execute(statement.trim());
            }
        }
    }

    @Test
    void firstStartCreatesTheFirstAdministratorWithAPrivateCredentialFile() throws Exception {
        Path credential = platform.initialCredential().orElseThrow();
        assertThat(Files.getPosixFilePermissions(credential)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        Map<String, String> lines = Files.readAllLines(credential).stream().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
        Optional<AdminAccount> admin = platform.admins().authenticate(lines.get("username"), lines.get("password").toCharArray());
        assertThat(admin).isPresent();
        assertThat(admin.get().roles()).containsExactly(Role.CA_ADMIN);
    }

    @Test
    void auditChainOfSequentialAndConcurrentAppendsVerifies() {
        appendMany(25);
        List<CompletableFuture<AuditRecord>> concurrent = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            concurrent.add(platform.auditLog().recordAsync(new AuditEvent("t" + (i % 7), "concurrent", "o" + i, Outcome.DENIED, "")));
        }
        List<Long> seqs = concurrent.stream().map(CompletableFuture::join).map(AuditRecord::seq).sorted().toList();
        assertThat(seqs).doesNotHaveDuplicates().hasSize(400);
        assertThat(platform.auditLog().batchCount()).as("group commit batches").isLessThan(platform.auditLog().appendedCount());
        platform.auditLog().checkpointNow();
        AuditVerification verification = platform.auditVerifier().verify();
        assertThat(verification.problem()).isEmpty();
        assertThat(verification.intact()).isTrue();
        assertThat(verification.recordsChecked()).isGreaterThanOrEqualTo(425);
        assertThat(verification.checkpointsVerified()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void twoNodesAppendingToOneDatabaseKeepOneChain() {
        AuditCheckpoints secondNodeCheckpoints = new AuditCheckpoints(platform.database().dataSource(), platform.vault(),
                org.letterlock.vault.KeyUri.of("letterlock", "audit-checkpoint"));
        try (AuditLog secondNode = new AuditLog(platform.database().dataSource(), clock, secondNodeCheckpoints, 1_000_000, Duration.ofDays(1))) {
            List<CompletableFuture<AuditRecord>> pending = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                AuditLog node = i % 2 == 0 ? platform.auditLog() : secondNode;
                pending.add(node.recordAsync(new AuditEvent("node-" + (i % 2), "test.cluster", "o" + i, Outcome.ALLOWED, "")));
            }
            List<Long> seqs = pending.stream().map(CompletableFuture::join).map(AuditRecord::seq).toList();
            assertThat(seqs).doesNotHaveDuplicates();
        }
        platform.auditLog().checkpointNow();
        AuditVerification verification = platform.auditVerifier().verify();
        assertThat(verification.problem()).isEmpty();
        assertThat(verification.recordsChecked()).isGreaterThanOrEqualTo(600);
    }

    @Test
    void everyKeyUseIsAudited() throws Exception {
        long before = platform.auditLog().appendedCount();
        var key = org.letterlock.vault.KeyUri.of("letterlock", "audited-key");
        platform.vault().createKey(key, org.letterlock.vault.KeySpec.EC_P256);
        var signer = platform.vault().signer(key);
        signer.getOutputStream().write(42);
        signer.getSignature();
        // A TLS key is recorded when a listener takes it into service, not per handshake.
        platform.vault().tlsServerContext(key, List::of);
        assertThat(platform.auditLog().appendedCount() - before).isEqualTo(3);
        try (Connection connection = platform.database().dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT action FROM audit_record WHERE target = ? ORDER BY seq")) {
            query.setString(1, key.toString());
            var rows = query.executeQuery();
            List<String> actions = new ArrayList<>();
            while (rows.next()) {
                actions.add(rows.getString(1));
            }
            assertThat(actions).containsExactly("vault.create-key", "vault.sign", "vault.tls-context");
        }
    }

    /** A way of tampering with a chain of 30 records (checkpoints every 10) and the first record the verifier must name. */
    static Stream<Arguments> tampering() {
        return Stream.of(
                Arguments.of("edited/detail", "UPDATE audit_record SET detail = 'nothing happened' WHERE seq = 17", 17L, "edited"),
                Arguments.of("edited/outcome", "UPDATE audit_record SET outcome = 'DENIED' WHERE seq = 5", 5L, "edited"),
                Arguments.of("edited/actor", "UPDATE audit_record SET actor = 'someone-else' WHERE seq = 22", 22L, "edited"),
                Arguments.of("deleted/middle", "DELETE FROM audit_record WHERE seq = 12", 12L, "deleted"),
                Arguments.of("deleted/tail-past-checkpoint", "DELETE FROM audit_record WHERE seq >= 25", 25L, "deleted"),
                Arguments.of("reordered/seq-swapped", "UPDATE audit_record SET seq = -8 WHERE seq = 8; UPDATE audit_record SET seq = 8 WHERE seq = 9; UPDATE audit_record SET seq = 9 WHERE seq = -8", 8L, "record 8"),
                Arguments.of("checkpoint/forged", "UPDATE audit_checkpoint SET hash = '" + "a".repeat(64) + "' WHERE seq = 20", 20L, "checkpoint"));
    }

    @ParameterizedTest(name = "detects/{0}")
    @MethodSource("tampering")
    void verifierNamesTheFirstTamperedRecord(String name, String tamper, long firstBad, String problemWord) throws SQLException {
        long base = platform.auditLog().appendedCount();
        assertThat(base).as("records from start-up").isLessThan(10);
        appendMany(30 - (int) base);
        platform.auditLog().checkpointNow();
        assertThat(platform.auditVerifier().verify().intact()).isTrue();

        sql(tamper);

        AuditVerification verification = platform.auditVerifier().verify();
        assertThat(verification.intact()).isFalse();
        assertThat(verification.firstBadSeq()).as(verification.problem()).isEqualTo(firstBad);
        assertThat(verification.problem()).contains(problemWord);
    }

    @Test
    void aChainRewrittenConsistentlyIsCaughtByTheNextSignedCheckpoint() throws SQLException {
        long base = platform.auditLog().appendedCount();
        appendMany(30 - (int) base);
        platform.auditLog().checkpointNow();
        // An attacker with database access edits record 15 and recomputes every hash after it, head included.
        sql("UPDATE audit_record SET detail = 'rewritten' WHERE seq = 15");
        rehashFrom(15);

        AuditVerification verification = platform.auditVerifier().verify();
        assertThat(verification.intact()).isFalse();
        assertThat(verification.problem()).contains("rewritten");
        assertThat(verification.firstBadSeq()).isEqualTo(11);
    }

    private void rehashFrom(long from) throws SQLException {
        try (Connection connection = platform.database().dataSource().getConnection()) {
            String previous;
            try (PreparedStatement q = connection.prepareStatement("SELECT hash FROM audit_record WHERE seq = ?")) {
                q.setLong(1, from - 1);
                var row = q.executeQuery();
                row.next();
                previous = row.getString(1);
            }
            List<Object[]> rows = new ArrayList<>();
            try (PreparedStatement q = connection.prepareStatement("SELECT seq, recorded_at, actor, action, target, outcome, detail FROM audit_record WHERE seq >= ? ORDER BY seq")) {
                q.setLong(1, from);
                var row = q.executeQuery();
                while (row.next()) {
                    rows.add(new Object[] {row.getLong(1), row.getObject(2, java.time.OffsetDateTime.class).toInstant(),
                            new AuditEvent(row.getString(3), row.getString(4), row.getString(5), Outcome.valueOf(row.getString(6)), row.getString(7))});
                }
            }
            for (Object[] r : rows) {
                String hash = AuditRecord.chainHash((Long) r[0], (Instant) r[1], (AuditEvent) r[2], previous);
                try (PreparedStatement u = connection.prepareStatement("UPDATE audit_record SET prev_hash = ?, hash = ? WHERE seq = ?")) {
                    u.setString(1, previous);
                    u.setString(2, hash);
                    u.setLong(3, (Long) r[0]);
                    u.executeUpdate();
                }
                previous = hash;
            }
            try (PreparedStatement u = connection.prepareStatement("UPDATE audit_head SET hash = ? WHERE id = 1")) {
                u.setString(1, previous);
                u.executeUpdate();
            }
        }
    }

    @Test
    void deletingEveryCheckpointBeforeRewritingIsCaught() throws Exception {
        List<CompletableFuture<AuditRecord>> pending = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            pending.add(platform.auditLog().recordAsync(new AuditEvent("bulk", "test.bulk", "o" + i, Outcome.ALLOWED, "")));
        }
        pending.forEach(CompletableFuture::join);
        platform.auditLog().checkpointNow();
        assertThat(platform.auditVerifier().verify().intact()).isTrue();
        // Without checkpoints a rewritten chain would be consistent in itself; their absence must not pass.
        sql("DELETE FROM audit_checkpoint");
        sql("UPDATE audit_record SET detail = 'rewritten' WHERE seq = 15");
        rehashFrom(15);
        AuditVerification verification = platform.auditVerifier().verify();
        assertThat(verification.intact()).isFalse();
        assertThat(verification.problem()).contains("checkpoints deleted");
        assertThat(verification.firstBadSeq()).isEqualTo(1);
    }

    @Test
    void controlCharactersInAuditTextNeitherFailTheBatchNorBreakTheChain() {
        List<CompletableFuture<AuditRecord>> pending = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(platform.auditLog().recordAsync(new AuditEvent("caller", "test.nul", "path/\u0000/" + i, Outcome.DENIED, "line\nbreak\u0000")));
        }
        List<AuditRecord> records = pending.stream().map(CompletableFuture::join).toList();
        assertThat(records.get(0).event().target()).doesNotContain("\u0000").contains("\\u0000");
        platform.auditLog().checkpointNow();
        assertThat(platform.auditVerifier().verify().intact()).isTrue();
    }

    @Test
    void aBurstOfBadTokensDoesNotStarveThePool() throws Exception {
        platform.identities().register("eve@example.org", "eve");
        String token = tokenFromOutbox("eve@example.org");
        platform.identities().verify(token);
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            attempts.add(CompletableFuture.runAsync(() -> {
                try {
                    platform.identities().verify(token);
                } catch (LetterlockException expected) {
                    assertThat(expected.type()).isEqualTo(ErrorType.CONFLICT);
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new)).get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(platform.auditLog().record(new AuditEvent("tester", "still.writing", "x", Outcome.ALLOWED, "")).seq()).isPositive();
    }

    @Test
    void checkpointsAreSignedEveryConfiguredNumberOfRecords() throws Exception {
        appendMany(35);
        // The writer signs after the batch that crosses the threshold; give it a moment to catch up.
        for (int i = 0; i < 50 && platform.auditVerifier().verify().checkpointsVerified() < 3; i++) {
            Thread.sleep(100);
        }
        assertThat(platform.auditVerifier().verify().checkpointsVerified()).isGreaterThanOrEqualTo(3);
    }

    private String tokenFromOutbox(String address) throws Exception {
        return Outbox.verificationToken(dataDir, address);
    }

    /** An officer gives a mailbox to another owner: audited, still verified, and the former owner cannot register it back. */
    @Test
    void aMailboxIsTransferredToAnotherOwner() throws Exception {
        platform.identities().register("gina@example.org", "gina");
        platform.identities().verify(tokenFromOutbox("gina@example.org"));

        MailboxIdentity moved = platform.identities().transfer("gina@Example.ORG", "hank");
        assertThat(moved.owner()).isEqualTo("hank");
        assertThat(moved.verified()).as("the address was proved; who holds it is the officer's call").isTrue();
        assertThat(platform.identities().find("gina@example.org")).hasValueSatisfying(m -> assertThat(m.owner()).isEqualTo("hank"));
        List<AuditRecord> transfers = platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().action().equals("identity.transfer")
                && r.event().target().equals("mailbox:gina@example.org")).toList();
        assertThat(transfers).singleElement().satisfies(r -> assertThat(r.event().detail()).isEqualTo("owner gina -> hank"));

        assertThat(platform.identities().transfer("gina@example.org", "hank").owner()).isEqualTo("hank");
        assertThat(platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().action().equals("identity.transfer")
                && r.event().target().equals("mailbox:gina@example.org"))).as("no change, no record").hasSize(1);
        assertThatThrownBy(() -> platform.identities().register("gina@example.org", "gina")).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
        assertThatThrownBy(() -> platform.identities().transfer("nobody-here@example.org", "hank")).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.NOT_FOUND));
        assertThatThrownBy(() -> platform.identities().transfer("gina@example.org", " ")).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST));
    }

    @Test
    void mailboxIsVerifiedByTheTokenMailedToIt() throws Exception {
        MailboxIdentity registered = platform.identities().register("Alice@Example.ORG", "alice");
        assertThat(registered.address()).isEqualTo("alice@example.org");
        assertThat(registered.verified()).isFalse();
        String token = tokenFromOutbox("alice@example.org");

        MailboxIdentity verified = platform.identities().verify(token);
        assertThat(verified.verified()).isTrue();
        assertThat(platform.identities().find("alice@example.org").orElseThrow().verified()).isTrue();
        assertThatThrownBy(() -> platform.identities().verify(token))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
    }

    /** Only verified mailboxes of exactly that domain: not its subdomains, not a domain that merely ends the same; '_' and '%' are no wildcards. */
    @Test
    void verifiedMailboxesAreListedByDomain() throws Exception {
        for (String address : List.of("bob@example.org", "alice@example.org", "carol@sub.example.org", "dave@otherexample.org")) {
            platform.identities().register(address, "someone");
            platform.identities().verify(tokenFromOutbox(address));
        }
        platform.identities().register("frank@example.org", "frank");
        assertThat(platform.identities().verifiedIn("Example.ORG")).containsExactly("alice@example.org", "bob@example.org");
        assertThat(platform.identities().verifiedIn("example_org")).isEmpty();
        assertThat(platform.identities().verifiedIn("example%")).isEmpty();
    }

    static Stream<Arguments> badTokens() {
        return Stream.of(
                Arguments.of("rejects/malformed", "short!", ErrorType.BAD_REQUEST),
                Arguments.of("rejects/unknown", "A".repeat(43), ErrorType.NOT_FOUND));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    void badTokensAreRefusedAndAudited(String name, String token, ErrorType expected) {
        long before = platform.auditLog().appendedCount();
        assertThatThrownBy(() -> platform.identities().verify(token))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(expected));
        assertThat(platform.auditLog().appendedCount()).isEqualTo(before + 1);
    }

    @Test
    void expiredTokenIsGoneAndLeavesTheMailboxUnverified() throws Exception {
        platform.identities().register("bob@example.org", "bob");
        String token = tokenFromOutbox("bob@example.org");
        clock.advance(Duration.ofHours(25));
        assertThatThrownBy(() -> platform.identities().verify(token))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.GONE));
        assertThat(platform.identities().find("bob@example.org").orElseThrow().verified()).isFalse();
    }

    /**
     * An audit log that cannot take the record stops the change: no account is created or disabled, and no mailbox
     * verified, without its record.
     */
    @Test
    void aChangeTheAuditLogCannotRecordIsNotMade() throws Exception {
        org.letterlock.platform.audit.AuditRecorder refusing = new org.letterlock.platform.audit.AuditRecorder() {
            @Override
            public AuditRecord record(AuditEvent event) {
                throw new LetterlockException(ErrorType.UNAVAILABLE, "the audit log is not keeping up");
            }

            @Override
            public java.util.concurrent.CompletableFuture<AuditRecord> recordAsync(AuditEvent event) {
                return java.util.concurrent.CompletableFuture.failedFuture(new LetterlockException(ErrorType.UNAVAILABLE, "the audit log is not keeping up"));
            }

            @Override
            public java.util.concurrent.CompletableFuture<AuditRecord> recordAsyncIfRoom(AuditEvent event) {
                return recordAsync(event);
            }
        };
        org.letterlock.platform.identity.AdminAccounts unrecorded = new org.letterlock.platform.identity.AdminAccounts(platform.database().dataSource(),
                new org.letterlock.platform.identity.PasswordHasher(), refusing, clock);
        platform.identities().register("unrecorded@example.org", "uma");
        String token = tokenFromOutbox("unrecorded@example.org");
        org.letterlock.platform.identity.MailboxIdentities unrecordedMailboxes = new org.letterlock.platform.identity.MailboxIdentities(
                platform.database().dataSource(), platform.mail(), refusing, clock, Duration.ofHours(1), java.net.URI.create("https://letterlock.example.org"));
        assertThatThrownBy(() -> unrecordedMailboxes.verify(token)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.UNAVAILABLE));
        assertThat(platform.identities().find("unrecorded@example.org")).hasValueSatisfying(m -> assertThat(m.verified()).as("not verified unrecorded").isFalse());
        assertThat(platform.identities().verify(token).verified()).as("the token was not spent").isTrue();
        assertThatThrownBy(() -> unrecorded.create("unrecorded", EnumSet.of(Role.AUDITOR), Optional.empty()))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.UNAVAILABLE));
        assertThat(platform.admins().find("unrecorded")).isEmpty();
        platform.admins().create("still-enabled", EnumSet.of(Role.AUDITOR), Optional.empty());
        assertThatThrownBy(() -> unrecorded.disable("still-enabled")).isInstanceOf(LetterlockException.class);
        assertThat(platform.admins().find("still-enabled")).hasValueSatisfying(a -> assertThat(a.disabled()).isFalse());
    }

    /** The same new address or admin name twice at once: one wins, the other gets a 409, never a 503. */
    @Test
    void registrationsAtOnceGetAConflictNotAStorageFailure() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                String address = "race" + round + "@example.org";
                String admin = "racer-" + round;
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Future<?>> calls = new java.util.ArrayList<>();
                for (String owner : List.of("one", "two")) {
                    calls.add(pool.submit(() -> {
                        together.await();
                        platform.identities().register(address, owner);
                        return null;
                    }));
                }
                java.util.concurrent.CyclicBarrier adminsTogether = new java.util.concurrent.CyclicBarrier(2);
                for (int i = 0; i < 2; i++) {
                    calls.add(pool.submit(() -> {
                        adminsTogether.await();
                        platform.admins().create(admin, java.util.Set.of(org.letterlock.platform.identity.Role.AUDITOR), java.util.Optional.empty());
                        return null;
                    }));
                }
                int refused = 0;
                for (java.util.concurrent.Future<?> call : calls) {
                    try {
                        call.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOfSatisfying(LetterlockException.class, l -> assertThat(l.type()).as(l.getMessage()).isEqualTo(ErrorType.CONFLICT));
                        refused++;
                    }
                }
                assertThat(refused).as("round " + round).isEqualTo(2);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAddressBelongsToOneOwner() {
        platform.identities().register("carol@example.org", "carol");
        assertThatThrownBy(() -> platform.identities().register("CAROL@example.org", "mallory"))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
    }

    @Test
    void accountsAuthenticateOnlyWithTheRightPasswordWhileEnabled() {
        AdminAccounts.Created created = platform.admins().create("auditor-1", EnumSet.of(Role.AUDITOR), Optional.empty());
        assertThat(platform.admins().authenticate("auditor-1", created.password())).isPresent();
        assertThat(platform.admins().authenticate("auditor-1", "wrong password!!".toCharArray())).isEmpty();
        assertThat(platform.admins().authenticate("nobody", created.password())).isEmpty();
        assertThatThrownBy(() -> platform.admins().create("auditor-1", EnumSet.of(Role.AUDITOR), Optional.empty()))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
        platform.admins().disable("auditor-1");
        assertThat(platform.admins().authenticate("auditor-1", created.password())).isEmpty();
    }

    @Test
    void anUpdateReturnsTheRowsItChangedAsItLeftThem() throws SQLException {
        sql("CREATE TABLE returning_probe (id VARCHAR(8) PRIMARY KEY, state VARCHAR(16) NOT NULL, ready BOOLEAN NOT NULL);"
                + "INSERT INTO returning_probe VALUES ('a', 'pending', TRUE);INSERT INTO returning_probe VALUES ('b', 'pending', FALSE)");
        Jdbc jdbc = new Jdbc(platform.database().dataSource());
        String advance = "UPDATE returning_probe SET state = CASE WHEN ready THEN 'valid' ELSE 'processing' END WHERE id = ? AND state = 'pending'";
        String[] columns = {"state", "ready"};
        Jdbc.RowReader<String> reader = row -> row.getString(1) + "/" + row.getBoolean(2);
        assertThat(jdbc.updateReturning(advance, columns, s -> s.setString(1, "a"), reader)).containsExactly("valid/true");
        assertThat(jdbc.updateReturning(advance, columns, s -> s.setString(1, "b"), reader)).containsExactly("processing/false");
        assertThat(jdbc.updateReturning(advance, columns, s -> s.setString(1, "a"), reader)).as("no longer pending: nothing changed").isEmpty();
        assertThat(jdbc.updateReturning(advance, columns, s -> s.setString(1, "zz"), reader)).isEmpty();
        assertThat(jdbc.query("SELECT state FROM returning_probe ORDER BY id", s -> { }, row -> row.getString(1))).containsExactly("valid", "processing");
        assertThatThrownBy(() -> jdbc.updateReturning("UPDATE returning_probe SET nowhere = 1", columns, s -> { }, reader))
                .isInstanceOf(LetterlockException.class);
    }

    /** Writers that arrive while a batch commits are committed together in the next one, each exactly once. */
    @Test
    void groupCommitBatchesWhatArrivesTogether() throws Exception {
        execute("CREATE TABLE group_probe (id INT PRIMARY KEY)");
        GroupCommitRun run = writeBehindOne(0, java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList(), PlatformStoreConformance::insertProbes);
        for (CompletableFuture<Void> write : run.writes().values()) {
            write.get();
        }
        assertThat(probeIds()).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, 20).boxed().toList());
        assertThat(run.batchSizes()).as("the first alone, the twenty that queued behind it in one more").containsExactly(1, 20);
    }

    /** One item that cannot be written fails alone: the rest of its batch is committed, and it leaves nothing behind. */
    @Test
    void groupCommitFailsOnlyTheItemThatFails() throws Exception {
        execute("CREATE TABLE group_probe (id INT PRIMARY KEY)");
        execute("INSERT INTO group_probe VALUES (7)");
        GroupCommitRun run = writeBehindOne(0, List.of(5, 6, 7, 8, 9), PlatformStoreConformance::insertProbes);
        for (Map.Entry<Integer, CompletableFuture<Void>> write : run.writes().entrySet()) {
            if (write.getKey() == 7) {
                assertThatThrownBy(() -> write.getValue().get())
                        .satisfies(e -> assertThat(StorageFailure.duplicateKey(thrownByWrite(e))).as("the duplicate's own error, as the stores test it").isTrue());
            } else {
                write.getValue().get();
            }
        }
        assertThat(probeIds()).containsExactly(0, 5, 6, 7, 8, 9);
        assertThat(run.batchSizes()).as("the first; the five together, which failed; then each of the five alone").containsExactly(1, 5, 1, 1, 1, 1, 1);
    }

    /** A failure that is not the items' (here a lost connection) fails the batch at once: nothing is run again item by item. */
    @Test
    void groupCommitFailsAWholeBatchAtOnceWhenTheDatabaseFails() throws Exception {
        execute("CREATE TABLE group_probe (id INT PRIMARY KEY)");
        GroupCommitRun run = writeBehindOne(0, List.of(1, 2, 3), (connection, ids) -> {
            if (ids.size() > 1) {
                throw new SQLException("connection lost", "08006");
            }
            insertProbes(connection, ids);
        });
        for (int id : List.of(1, 2, 3)) {
            assertThatThrownBy(() -> run.writes().get(id).get()).satisfies(e -> assertThat(thrownByWrite(e).getSQLState()).isEqualTo("08006"));
        }
        assertThat(probeIds()).containsExactly(0);
        assertThat(run.batchSizes()).as("the first; the three together, failed once for all").containsExactly(1, 3);
    }

    /** An interrupted writer withdraws a write no batch has taken; one already taken is waited for and reported committed. */
    @Test
    void groupCommitInterruptWithdrawsOnlyWhatNoBatchTook() throws Exception {
        execute("CREATE TABLE group_probe (id INT PRIMARY KEY)");
        java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        GroupCommit<Integer> commits = new GroupCommit<>(platform.database().dataSource(), "group-probe", 100, (connection, ids) -> {
            taken.countDown();
            await(release);
            insertProbes(connection, ids);
        });
        Map<Integer, String> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        Thread inBatch = outcomeOfWrite(commits, 1, outcomes);
        taken.await();
        Thread queued = outcomeOfWrite(commits, 2, outcomes);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (commits.queued() < 1) {
            assertThat(System.nanoTime() - deadline).as("the second write queued within 30 s").isNegative();
            Thread.sleep(10);
        }
        queued.interrupt();
        queued.join(10_000);
        assertThat(outcomes.get(2)).as("withdrawn before any batch took it").isEqualTo("SQLSTATE 57014");
        inBatch.interrupt();
        inBatch.join(300);
        assertThat(inBatch.isAlive()).as("a write in a batch is waited for, interrupt or not").isTrue();
        release.countDown();
        inBatch.join(10_000);
        assertThat(outcomes.get(1)).isEqualTo("committed, interrupt kept");
        assertThat(probeIds()).containsExactly(1);
    }

    /** Starts a thread writing {@code id}; its outcome lands in {@code outcomes}. */
    private static Thread outcomeOfWrite(GroupCommit<Integer> commits, int id, Map<Integer, String> outcomes) {
        Thread writer = new Thread(() -> {
            try {
                commits.write(id);
                outcomes.put(id, Thread.currentThread().isInterrupted() ? "committed, interrupt kept" : "committed");
            } catch (SQLException e) {
                outcomes.put(id, "SQLSTATE " + e.getSQLState());
            }
        });
        writer.start();
        return writer;
    }

    private record GroupCommitRun(List<Integer> batchSizes, Map<Integer, CompletableFuture<Void>> writes) {
    }

    /**
     * Writes {@code first} and holds its transaction open until {@code behind} are queued, each by a writer of its own;
     * each batch is written by {@code then}; returns every write (the first done) and the batch sizes the writer thread committed.
     */
    private GroupCommitRun writeBehindOne(int first, List<Integer> behind, GroupCommit.BatchWork<Integer> then) throws Exception {
        java.util.concurrent.CountDownLatch firstBatchStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch othersQueued = new java.util.concurrent.CountDownLatch(1);
        List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
        GroupCommit<Integer> commits = new GroupCommit<>(platform.database().dataSource(), "group-probe", 100, (connection, ids) -> {
            batchSizes.add(ids.size());
            firstBatchStarted.countDown();
            await(othersQueued);
            then.write(connection, ids);
        });
        Map<Integer, CompletableFuture<Void>> writes = new java.util.LinkedHashMap<>();
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newCachedThreadPool();
        writes.put(first, CompletableFuture.runAsync(() -> write(commits, first), writers));
        firstBatchStarted.await();
        for (int id : behind) {
            writes.put(id, CompletableFuture.runAsync(() -> write(commits, id), writers));
        }
        writers.shutdown();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (commits.queued() < behind.size()) {
            assertThat(System.nanoTime() - deadline).as("all %d writers queued within 30 s", behind.size()).isNegative();
            Thread.sleep(10);
        }
        othersQueued.countDown();
        writes.get(first).get();
        return new GroupCommitRun(batchSizes, writes);
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = platform.database().dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void insertProbes(Connection connection, List<Integer> ids) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO group_probe (id) VALUES (?)")) {
            for (int id : ids) {
                insert.setInt(1, id);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private List<Integer> probeIds() {
        return new Jdbc(platform.database().dataSource()).query("SELECT id FROM group_probe ORDER BY id", s -> { }, row -> row.getInt(1));
    }

    private static void write(GroupCommit<Integer> commits, int id) {
        try {
            commits.write(id);
        } catch (SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The SQLException {@link GroupCommit#write} threw, the outermost in the chain. */
    private static SQLException thrownByWrite(Throwable e) {
        for (Throwable at = e; at != null; at = at.getCause()) {
            if (at instanceof SQLException sql) {
                return sql;
            }
        }
        throw new AssertionError("no SQLException in " + e, e);
    }

    @Test
    void migrationsAreCurrentAfterStart() {
        assertThat(platform.database().pendingMigrations()).isEmpty();
        assertThat(platform.database().reachable()).isTrue();
    }
}
