package org.letterlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditLog;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.AuditVerification;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;

/**
 * Audit records per second appended through Letterlock's {@link AuditLog} with the hash chain intact, on an H2 file
 * database and on PostgreSQL: callers that each wait for their record ({@code record}, 1 to 64 threads), and one
 * producer keeping a bounded number of {@code recordAsync} records in flight. Next to it, on the same database and
 * interleaved with it: a plain JDBC loop committing one row per transaction (the floor) and plain JDBC batches of 1,000
 * rows per transaction (the ceiling). The target: 5,000 records/s sustained on PostgreSQL.
 */
public final class AuditAppend implements Benchmark {
    static final List<Integer> CALLERS = List.of(1, 8, 32, 64);
    static final int IN_FLIGHT = 2_000;
    static final int PLAIN_BATCH = 1_000;
    static final double TARGET = 5_000;
    /** Compared loads take turns in slices of about this length; long enough that group commit reaches its steady batch size. */
    static final Duration SLICE = Duration.ofSeconds(1);

    static final String PG_URL = "LETTERLOCK_TEST_PG_URL";
    static final String PG_USER = "LETTERLOCK_TEST_PG_USER";
    static final String PG_PASSWORD = "LETTERLOCK_TEST_PG_PASSWORD";

    static final String H2 = "H2 (file)";
    static final String POSTGRESQL = "PostgreSQL";

    /**
     * The scratch table of the plain JDBC peer: audit_record's columns as the platform's migration made them (copied,
     * not restated, so the peer follows schema changes), with its primary key and without the chain head.
     */
    static final List<String> PLAIN_TABLE = List.of(
            "CREATE TABLE bench_plain_record AS SELECT * FROM audit_record WHERE 1 = 0",
            "ALTER TABLE bench_plain_record ALTER COLUMN seq SET NOT NULL",
            "ALTER TABLE bench_plain_record ADD PRIMARY KEY (seq)");
    static final String PLAIN_INSERT = "INSERT INTO bench_plain_record (seq, recorded_at, actor, action, target, outcome, detail, prev_hash, hash) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * One audit cell and the peers measured in the same slices.
     *
     * @param recordsPerCommit audit records appended over the writer's transactions in the measured slices
     * @param verification     the verifier's finding on the whole chain right after the cell
     */
    record Cell(String database, String load, double auditRate, double recordsPerCommit, double plainRowRate, double plainBatchRate,
                AuditVerification verification, Duration verifyTime) {
    }

    @Override
    public String name() {
        return "audit-append";
    }

    @Override
    public String summary() {
        return "Audit records/s appended through AuditLog with the chain verified after each cell (record() from 1-64 threads, "
                + "recordAsync with " + String.format(Locale.ROOT, "%,d", IN_FLIGHT) + " in flight), on an H2 file and on PostgreSQL, "
                + "next to plain JDBC on the same database: 1 row per commit and 1,000 rows per commit.";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = postgresEnvironment(System.getenv());
        // Flyway and the platform log each start at INFO; the progress lines are what matters here.
        Logger.getLogger("").setLevel(Level.WARNING);
        Stream.of(Logger.getLogger("").getHandlers()).forEach(h -> h.setLevel(Level.WARNING));

        Map<String, String> settings = postgresSettings(postgres);
        Path base = options.dataDir().resolve("audit-append");
        Files.createDirectories(base);
        List<Cell> cells = new ArrayList<>();
        Map<String, String> products = new LinkedHashMap<>();

        Path h2Dir = Files.createTempDirectory(base, "h2-");
        try {
            Map<String, String> config = new LinkedHashMap<>();
            config.put("letterlock.data-dir", h2Dir.toString());
            config.put("letterlock.vault.type", "memory");
            options.progress().println("H2 file database in " + h2Dir.resolve("db"));
            cells.addAll(measureDatabase(H2, config, "", options, products));
        } finally {
            deleteTree(h2Dir);
        }

        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        String schema = "bench_" + HexFormat.of().formatHex(random);
        Path pgDir = Files.createTempDirectory(base, "pg-");
        try (Connection admin = DriverManager.getConnection(postgres.get(PG_URL), postgres.get(PG_USER), postgres.get(PG_PASSWORD));
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = new LinkedHashMap<>();
                config.put("letterlock.data-dir", pgDir.toString());
                config.put("letterlock.vault.type", "memory");
                config.put("letterlock.db.url", withSchema(postgres.get(PG_URL), schema));
                config.put("letterlock.db.user", postgres.get(PG_USER));
                config.put("letterlock.db.password-source", "env:" + PG_PASSWORD);
                options.progress().println("PostgreSQL " + settings.get("server_version") + ", schema " + schema + " (dropped at the end)");
                cells.addAll(measureDatabase(POSTGRESQL, config, postgres.get(PG_PASSWORD), options, products));
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        } finally {
            deleteTree(pgDir);
        }
        return results(cells, settings, products);
    }

    /**
     * The PostgreSQL connection the repository's tests use, from the environment ({@code ./letterlock test} sets it up);
     * missing variables are named in one message rather than failing halfway through the run.
     */
    static Map<String, String> postgresEnvironment(Map<String, String> environment) {
        return postgresEnvironment("audit-append", environment);
    }

    /** The same for any benchmark that measures on PostgreSQL, named in the message. */
    static Map<String, String> postgresEnvironment(String benchmark, Map<String, String> environment) {
        List<String> missing = new ArrayList<>();
        Map<String, String> found = new LinkedHashMap<>();
        for (String name : List.of(PG_URL, PG_USER, PG_PASSWORD)) {
            String value = environment.get(name);
            if (value == null || value.isBlank()) {
                missing.add(name);
            } else {
                found.put(name, value);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException(benchmark + " measures PostgreSQL too and takes its connection from the environment, but "
                    + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " not set. Export " + PG_URL
                    + " (e.g. jdbc:postgresql://127.0.0.1:5432/letterlock_test), " + PG_USER + " (e.g. letterlock_test) and " + PG_PASSWORD
                    + "; `./letterlock test` creates that role and database.");
        }
        if (!found.get(PG_URL).startsWith("jdbc:postgresql:")) {
            throw new IllegalStateException(PG_URL + " must be a jdbc:postgresql: URL, got '" + found.get(PG_URL) + "'");
        }
        return found;
    }

    /** The URL with the schema the run works in as the connection's current schema. */
    static String withSchema(String url, String schema) {
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** The server's version and the settings that decide what a commit costs; the run does not change them. */
    static Map<String, String> postgresSettings(Map<String, String> postgres) {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection connection = DriverManager.getConnection(postgres.get(PG_URL), postgres.get(PG_USER), postgres.get(PG_PASSWORD));
             Statement statement = connection.createStatement()) {
            for (String name : List.of("server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "full_page_writes")) {
                try (ResultSet row = statement.executeQuery("SHOW " + name)) {
                    row.next();
                    settings.put(name, row.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + postgres.get(PG_URL) + " as " + postgres.get(PG_USER) + ": "
                    + e.getMessage() + ". Is it running? Check with `pg_isready -h 127.0.0.1`; start it with `pg_ctlcluster 15 main start`.");
        }
        return settings;
    }

    private List<Cell> measureDatabase(String database, Map<String, String> config, String plainPassword, Options options,
                                       Map<String, String> products) throws Exception {
        LetterlockConfig settings = LetterlockConfig.load(key -> Optional.ofNullable(config.get(key)));
        List<Cell> cells = new ArrayList<>();
        try (Letterlock letterlock = Letterlock.start(settings);
             Connection rowConnection = DriverManager.getConnection(settings.dbUrl(), settings.dbUser(), plainPassword);
             Connection batchConnection = DriverManager.getConnection(settings.dbUrl(), settings.dbUser(), plainPassword)) {
            try (Statement statement = rowConnection.createStatement()) {
                for (String ddl : PLAIN_TABLE) {
                    statement.execute(ddl);
                }
            }
            DatabaseMetaData meta = rowConnection.getMetaData();
            products.put(database, meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion() + ", JDBC driver " + meta.getDriverVersion());
            PlainInserts plain = new PlainInserts(rowConnection, batchConnection);
            AuditLog log = letterlock.auditLog();
            AtomicLong counter = new AtomicLong();

            for (int callers : CALLERS) {
                List<Meter.Operation> perThread = new ArrayList<>();
                for (int t = 0; t < callers; t++) {
                    perThread.add(() -> log.record(event(counter.incrementAndGet())));
                }
                Meter.Load audit = new Meter.Load("audit-" + callers, perThread);
                String load = "record(), " + callers + (callers == 1 ? " caller" : " callers");
                cells.add(measureCell(database, load, nanos -> Meter.runFor(audit, nanos), plain, letterlock, options));
            }
            String load = "recordAsync, " + String.format(Locale.ROOT, "%,d", IN_FLIGHT) + " in flight";
            cells.add(measureCell(database, load, nanos -> appendAsync(log, counter, nanos), plain, letterlock, options));
        }
        return cells;
    }

    /** Warms the audit load and both peers up, measures them interleaved, then verifies the whole chain. */
    private static Cell measureCell(String database, String load, Meter.Timed audit, PlainInserts plain, Letterlock letterlock, Options options)
            throws Exception {
        List<Meter.Timed> loads = List.of(audit, plain::rowsFor, plain::batchesFor);
        for (Meter.Timed timed : loads) {
            if (!options.warmUp().isZero()) {
                timed.runFor(options.warmUp().toNanos());
            }
        }
        AuditLog log = letterlock.auditLog();
        long appended = log.appendedCount();
        long batches = log.batchCount();
        List<Meter.Measurement> measured = Meter.interleavedTimed(loads, Duration.ZERO, options.measure(), SLICE);
        double perCommit = (double) (log.appendedCount() - appended) / Math.max(1, log.batchCount() - batches);

        long start = System.nanoTime();
        AuditVerification verification = letterlock.auditVerifier().verify();
        Duration verifyTime = Duration.ofNanos(System.nanoTime() - start);
        Cell cell = new Cell(database, load, measured.get(0).perSecond(), perCommit, measured.get(1).perSecond(), measured.get(2).perSecond(),
                verification, verifyTime);
        options.progress().printf(Locale.ROOT, "  %-10s %-28s %9s records/s, %6.1f per commit; plain 1 row/commit %s rows/s, %,d rows/commit %s rows/s; chain %s%n",
                database, load, Results.rate(cell.auditRate()), perCommit, Results.rate(cell.plainRowRate()), PLAIN_BATCH,
                Results.rate(cell.plainBatchRate()), chain(verification));
        return cell;
    }

    /**
     * One producer keeps up to {@link #IN_FLIGHT} records queued with {@code recordAsync}. The slice ends when the last record
     * submitted in it is committed, so records in flight at the deadline count with their full time and none spill into the
     * next load's slice.
     */
    private static Meter.Rate appendAsync(AuditLog log, AtomicLong counter, long nanos) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + nanos;
        long submitted = 0;
        while (System.nanoTime() < deadline && failure.get() == null) {
            if (!inFlight.tryAcquire(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no audit record committed for 60 s");
            }
            log.recordAsync(event(counter.incrementAndGet())).whenComplete((record, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                }
                inFlight.release();
            });
            submitted++;
        }
        if (!inFlight.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("audit records still in flight 60 s after the slice ended");
        }
        long end = System.nanoTime();
        if (failure.get() != null) {
            throw new IllegalStateException("recordAsync failed: " + failure.get().getMessage(), failure.get());
        }
        return new Meter.Rate(submitted, end - start, submitted * 1e9 / (end - start), -1);
    }

    /** What an issuance records: sizes like the real ones, a different target and serial each time. */
    static AuditEvent event(long n) {
        return new AuditEvent("ca-operator", "certificate.issue", "mailbox:user" + (n % 10_000) + "@example.org", Outcome.ALLOWED,
                "serial=" + Long.toHexString(0x5eed_0000_0000L + n) + "; profile=smime-signing; key=ec-p256");
    }

    /**
     * The peer: the same rows (same columns, same content, chained with the same hash) written with plain JDBC into a
     * scratch table, one thread, either one row per transaction (autocommit) or {@link #PLAIN_BATCH} rows per transaction.
     * It has no head row to lock and update: the difference to the audit log is the log's own work.
     */
    static final class PlainInserts {
        private final Connection rowConnection;
        private final Connection batchConnection;
        private final PreparedStatement rowInsert;
        private final PreparedStatement batchInsert;
        private long seq;
        private String previousHash = AuditRecord.GENESIS_HASH;

        PlainInserts(Connection rowConnection, Connection batchConnection) throws SQLException {
            this.rowConnection = rowConnection;
            this.batchConnection = batchConnection;
            rowConnection.setAutoCommit(true);
            batchConnection.setAutoCommit(false);
            rowInsert = rowConnection.prepareStatement(PLAIN_INSERT);
            batchInsert = batchConnection.prepareStatement(PLAIN_INSERT);
        }

        Meter.Rate rowsFor(long nanos) throws Exception {
            return Meter.runFor(new Meter.Load("plain-row", List.of(() -> {
                bind(rowInsert);
                rowInsert.executeUpdate();
            })), nanos);
        }

        Meter.Rate batchesFor(long nanos) throws Exception {
            Meter.Rate batches = Meter.runFor(new Meter.Load("plain-batch", List.of(() -> {
                for (int i = 0; i < PLAIN_BATCH; i++) {
                    bind(batchInsert);
                    batchInsert.addBatch();
                }
                batchInsert.executeBatch();
                batchConnection.commit();
            })), nanos);
            return new Meter.Rate(batches.operations() * PLAIN_BATCH, batches.nanos(), batches.perSecond() * PLAIN_BATCH, batches.cpuNanos());
        }

        private void bind(PreparedStatement insert) throws SQLException {
            AuditRecord record = AuditRecord.chain(++seq, Instant.now(), event(seq), previousHash);
            previousHash = record.hash();
            insert.setLong(1, record.seq());
            insert.setObject(2, record.recordedAt().atOffset(ZoneOffset.UTC));
            insert.setString(3, record.event().actor());
            insert.setString(4, record.event().action());
            insert.setString(5, record.event().target());
            insert.setString(6, record.event().outcome().name());
            insert.setString(7, record.event().detail());
            insert.setString(8, record.prevHash());
            insert.setString(9, record.hash());
        }
    }

    static String chain(AuditVerification verification) {
        return verification.intact()
                ? String.format(Locale.ROOT, "intact (%,d records, %,d checkpoint%s)", verification.recordsChecked(), verification.checkpointsVerified(),
                        verification.checkpointsVerified() == 1 ? "" : "s")
                : "BROKEN at record " + verification.firstBadSeq() + ": " + verification.problem();
    }

    static Results results(List<Cell> cells, Map<String, String> postgresSettings, Map<String, String> products) {
        List<List<String>> rows = new ArrayList<>();
        for (Cell cell : cells) {
            rows.add(List.of(cell.database(), cell.load(), Results.rate(cell.auditRate()),
                    String.format(Locale.ROOT, "%.1f", cell.recordsPerCommit()),
                    String.format(Locale.ROOT, "%.2f", cell.recordsPerCommit() / cell.auditRate() * 1000),
                    Results.rate(cell.plainRowRate()), Results.rate(cell.plainBatchRate()),
                    Results.percent(cell.auditRate() / cell.plainRowRate()), Results.percent(cell.auditRate() / cell.plainBatchRate()),
                    chain(cell.verification())));
        }
        List<String> notes = new ArrayList<>();
        List<String> meets = new ArrayList<>();
        List<String> misses = new ArrayList<>();
        boolean allIntact = cells.stream().allMatch(c -> c.verification().intact());
        for (Cell cell : cells) {
            if (cell.database().equals(POSTGRESQL)) {
                (cell.auditRate() >= TARGET && cell.verification().intact() ? meets : misses)
                        .add(cell.load() + " " + Results.rate(cell.auditRate()) + "/s" + (cell.verification().intact() ? "" : " (chain broken)"));
            }
        }
        notes.add("Target >= " + String.format(Locale.ROOT, "%,.0f", TARGET) + " records/s on PostgreSQL with the chain intact: "
                + (meets.isEmpty() ? "met by no load" : "met by " + String.join(", ", meets))
                + (misses.isEmpty() ? "." : "; NOT met by " + String.join(", ", misses) + ".")
                + (allIntact ? " The verifier found the chain intact after every cell." : " THE CHAIN WAS NOT INTACT after some cells (see the last column)."));
        notes.add("PostgreSQL on 127.0.0.1 (" + products.get(POSTGRESQL) + "), default server settings (not changed by the run): synchronous_commit="
                + postgresSettings.get("synchronous_commit") + ", fsync=" + postgresSettings.get("fsync") + ", wal_sync_method="
                + postgresSettings.get("wal_sync_method") + ", commit_delay=" + postgresSettings.get("commit_delay") + ", full_page_writes="
                + postgresSettings.get("full_page_writes") + "; a fresh schema per run, dropped at the end. " + products.get(H2)
                + ": Letterlock's default embedded URL (MODE=PostgreSQL) on a file in a temporary folder under bench/target/bench-data, deleted at the end.");
        for (String database : List.of(H2, POSTGRESQL)) {
            List<Cell> of = cells.stream().filter(c -> c.database().equals(database)).toList();
            if (of.isEmpty()) {
                continue;
            }
            double rowRate = median(of.stream().map(Cell::plainRowRate).toList());
            Cell last = of.get(of.size() - 1);
            notes.add(database + ": plain 1 row/commit ran at " + Results.rate(rowRate) + " rows/s (median of the cells), i.e. "
                    + String.format(Locale.ROOT, "%.2f", 1000 / rowRate) + " ms per commit from one thread; the last verification read "
                    + String.format(Locale.ROOT, "%,d", last.verification().recordsChecked()) + " records in "
                    + String.format(Locale.ROOT, "%.1f", last.verifyTime().toMillis() / 1000.0) + " s.");
        }
        notes.add("Columns: records per commit = audit records appended / writer transactions in the measured slices (group commit: one "
                + "writer thread takes up to 1,000 queued records per transaction, locks the chain head row, inserts them as one JDBC batch, "
                + "updates the head, commits); ms per commit = records per commit / records/s. A checkpoint (EC P-256 signature from "
                + "the memory vault, one more autocommitted insert) follows every 1,000 records, in the writer thread.");
        notes.add("record() rows: each caller thread waits for its own record to be committed before recording the next, so at most one "
                + "record per caller is queued and a commit carries at most that many. recordAsync row: one producer keeps up to "
                + String.format(Locale.ROOT, "%,d", IN_FLIGHT) + " records queued; its slices end when the last record submitted in them is committed.");
        notes.add("Peers: the same rows (same columns and content, chained with the same SHA-256) inserted with plain JDBC into a scratch table "
                + "from one thread on its own connection: one row per transaction (autocommit; the commit-per-record floor) and "
                + String.format(Locale.ROOT, "%,d", PLAIN_BATCH) + " rows per transaction with addBatch/executeBatch (the batch ceiling; "
                + "the PostgreSQL driver at its defaults, as in Letterlock's pool, so no reWriteBatchedInserts). No head row, no checkpoints.");
        notes.add("The audit load and both peers were warmed up, then measured interleaved in " + SLICE.toMillis()
                + " ms slices (A B C, C B A, ...) so that other work on the machine hits all three alike. Callers, the writer thread "
                + "and the PostgreSQL server share the machine's 2 cores.");
        return new Results(List.of("database", "load", "records/s", "records per commit", "ms per commit", "plain 1 row/commit, rows/s",
                "plain 1,000 rows/commit, rows/s", "vs 1 row/commit", "vs 1,000 rows/commit", "chain after the cell"), rows, notes);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
