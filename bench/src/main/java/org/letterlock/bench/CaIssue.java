package org.letterlock.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyVault;

/**
 * Certificates per second issued end to end over HTTP: a PKCS#10 request in, a certificate out
 * ({@code POST /api/ca/certificates} as an RA officer, 201), with the server on PostgreSQL and the SoftHSM2 vault, for an
 * EC P-256 and an RSA-3072 issuing key (each on a fresh data folder and a fresh schema). Next to it, interleaved: the raw
 * vault signing rate with the same key spec on SoftHSM2 (1 and 2 threads). Only 201s count; anything else is an error.
 * After each cell the certificate rows in the database must equal the 201s, with every serial unique. Targets: EC P-256
 * at least 2,000 certificates/s; RSA-3072 at least 80% of the raw RSA-3072 vault signing rate.
 */
public final class CaIssue implements Benchmark {
    static final List<KeySpec> KEYS = List.of(KeySpec.EC_P256, KeySpec.RSA_3072);
    /** Client threads, each sending its next request as soon as its answer is in (as wrk -c16 keeps 16 connections busy). */
    static final int CLIENTS = 16;
    /** CSRs made before the first slice; before each later slice the pool is topped up for twice the best rate seen. */
    static final int INITIAL_CSRS = 3_000;
    /** The rate the pool is sized for until one has been measured. */
    static final double ASSUMED_RATE = 4_000;
    static final double EC_TARGET = 2_000;
    static final double RSA_TARGET = 0.80;
    static final Duration SLICE = Duration.ofSeconds(2);
    static final String TABLE = "ca_certificate";
    /** nginx as the client's ceiling: every request answered 201 with a small JSON body, nothing else done. */
    static final List<String> CEILING_LOCATION = List.of("default_type application/json;", "return 201 '{\"serial\":\"00\"}';");

    /**
     * One cell: an issuing key spec, what the issuance load did, and the vault's raw rate in the same slices.
     *
     * @param issued       201s in the measured slices
     * @param rate         201s per second in the measured slices
     * @param errors       answers other than 201 in all slices, warm-up included (status: count; -1 no answer)
     * @param firstError   the first such answer, as sent and received
     * @param ceiling      201s per second of the same client posting the same kind of body to nginx answering 201 at once
     * @param ceilingErrors what went wrong with requests to nginx (empty when nothing did); they do not fail the cell
     * @param clientCpuMicros CPU time of the client threads per request, in microseconds (NaN when unknown)
     * @param inlineCsrs   CSRs made inside a slice because the pre-made ones ran out (0 expected)
     * @param database     what the database check found
     */
    record Cell(KeySpec key, long issued, double rate, Map<Integer, Long> errors, String firstError, double vault1, double vault2,
                double ceiling, String ceilingErrors, double clientCpuMicros, long inlineCsrs, DatabaseCheck database) {
        boolean failed() {
            return !errors.isEmpty() || !database.ok();
        }
    }

    /**
     * The database after a cell: rows of {@value #TABLE} made during the load (after minus before), distinct serials in the
     * whole table against its rows, and the 201s (warm-up included) they must equal.
     */
    record DatabaseCheck(long rowsAdded, long created, long rows, long distinctSerials, String problem) {
        boolean ok() {
            return problem.isEmpty() && rowsAdded == created && rows == distinctSerials;
        }

        String text() {
            if (!problem.isEmpty()) {
                return "NOT CHECKED: " + problem;
            }
            String count = String.format(Locale.ROOT, "%,d rows added, %,d 201s", rowsAdded, created);
            String serials = rows == distinctSerials ? "serials unique" : String.format(Locale.ROOT, "%,d DUPLICATE serials", rows - distinctSerials);
            return (ok() ? "ok: " : "MISMATCH: ") + count + ", " + serials;
        }
    }

    @Override
    public String name() {
        return "ca-issue";
    }

    @Override
    public String summary() {
        return "Certificates/s issued over HTTP (CSR in, certificate out: POST /api/ca/certificates, 201s only; " + CLIENTS + " client threads) "
                + "with the server on PostgreSQL and SoftHSM2, EC P-256 and RSA-3072 issuing keys, next to the raw vault signing rate of the "
                + "same key spec on SoftHSM2 (1 and 2 threads), interleaved; certificate rows checked against the 201s.";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Shell.require(name(), List.of("nginx"), "as root, apt-get install -y nginx (the client's ceiling; the package's own server need not run)");
        Map<String, String> settings = AuditAppend.postgresSettings(postgres);
        Path root = options.root();
        Path base = options.dataDir().resolve("ca-issue");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(root, options);
        List<Cell> cells = new ArrayList<>();
        try (Processes processes = new Processes("ca-issue"); KeyVault vault = VaultSign.openPkcs11(options)) {
            int nginxPort = Processes.freePort();
            Process nginx = Nginx.start(processes, base.resolve("nginx"), nginxPort, CEILING_LOCATION, "/", 201);
            try {
                for (KeySpec key : KEYS) {
                    cells.add(cell(key, postgres, base, processes, vault, nginxPort, options));
                }
            } finally {
                processes.stopWithChildren(nginx.toHandle(), OcspPeers.GRACE);
            }
        }
        return results(cells, settings, options);
    }

    private Cell cell(KeySpec key, Map<String, String> postgres, Path base, Processes processes, KeyVault vault, int nginxPort, Options options)
            throws Exception {
        String schema = randomSchema();
        try (Connection admin = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER),
                postgres.get(AuditAppend.PG_PASSWORD)); Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = serverDatabase(postgres, schema);
                config.put("LETTERLOCK_CA_ISSUING_KEY_SPEC", key.configName());
                Path dir = base.resolve(key.configName());
                options.progress().println(key.configName() + ": starting Letterlock on PostgreSQL schema " + schema + " (dropped at the end) and "
                        + "SoftHSM2 in " + dir + " ...");
                LetterlockServer server = LetterlockServer.start(options.root(), dir, config, processes);
                try {
                    return measure(key, server, admin, schema, vault, nginxPort, options);
                } finally {
                    server.stop();
                }
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** A schema name of the run's own, {@code bench_<8 hex digits>}. */
    static String randomSchema() {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        return "bench_" + HexFormat.of().formatHex(random);
    }

    /**
     * The server's database configuration for a schema on the test PostgreSQL: URL with {@code currentSchema}, user, and
     * the password passed as {@code env:LETTERLOCK_TEST_PG_PASSWORD} (with that variable). Mutable, for more settings.
     */
    static Map<String, String> serverDatabase(Map<String, String> postgres, String schema) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("LETTERLOCK_DB_URL", AuditAppend.withSchema(postgres.get(AuditAppend.PG_URL), schema));
        config.put("LETTERLOCK_DB_USER", postgres.get(AuditAppend.PG_USER));
        config.put("LETTERLOCK_DB_PASSWORD_SOURCE", "env:" + AuditAppend.PG_PASSWORD);
        config.put(AuditAppend.PG_PASSWORD, postgres.get(AuditAppend.PG_PASSWORD));
        return config;
    }

    private Cell measure(KeySpec key, LetterlockServer server, Connection database, String schema, KeyVault vault, int nginxPort, Options options)
            throws Exception {
        CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
        // One issuance checked by hand before timing: 201, a certificate for the mailbox, signed by the issuer it names with a key of this spec.
        String mailbox = "check-" + key.configName() + "@example.org";
        CaApi.Issued first = ca.issue(mailbox, Ocsp.csr(Ocsp.ecP256(), mailbox));
        X509CertificateHolder issuer = ca.issuers().get(first.issuerId());
        if (issuer == null) {
            throw new IllegalStateException("the certificate names issuer " + first.issuerId() + " but GET /api/ca/issuers does not list it");
        }
        if (!first.certificate().isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Ocsp.PROVIDER).build(issuer))) {
            throw new IllegalStateException("the issued certificate's signature does not verify with its issuer " + issuer.getSubject());
        }
        String issuerKey = issuer.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId();
        boolean expected = key == KeySpec.RSA_3072 ? issuerKey.equals("1.2.840.113549.1.1.1") : issuerKey.equals("1.2.840.10045.2.1");
        if (!expected) {
            throw new IllegalStateException("LETTERLOCK_CA_ISSUING_KEY_SPEC=" + key.configName() + " but the issuing CA " + issuer.getSubject()
                    + " has a key of algorithm " + issuerKey);
        }

        CsrPool<String> pool = CsrPool.issuance(key.configName(), options);
        pool.topUp(INITIAL_CSRS);
        PostLoad issue = new PostLoad("issue", URI.create(server.base() + "/api/ca/certificates"), ca.officer().basic(), pool, null);
        // The client's ceiling: the same client and threads posting a body of the same size to nginx, which answers 201 at once.
        PostLoad ceiling = new PostLoad("ceiling", URI.create("http://127.0.0.1:" + nginxPort + "/api/ca/certificates"), ca.officer().basic(), null,
                CaApi.issueBody(mailbox, Ocsp.csr(Ocsp.ecP256(), mailbox)));
        long rowsBefore = count(database, schema, "count(*)");
        Meter.Load sign1 = VaultSign.vaultLoad(vault, key, 1, options);
        Meter.Load sign2 = VaultSign.vaultLoad(vault, key, 2, options);
        List<Meter.Timed> loads = List.of(issue, ceiling, nanos -> Meter.runFor(sign2, nanos), nanos -> Meter.runFor(sign1, nanos));
        if (!options.warmUp().isZero()) {
            for (Meter.Timed load : loads) {
                // In slices, so the CSR pool is topped up for the rate seen so far, not for the assumed rate over the whole warm-up.
                for (long left = options.warmUp().toNanos(); left > 0; left -= SLICE.toNanos()) {
                    load.runFor(Math.min(left, SLICE.toNanos()));
                }
            }
            options.progress().printf(Locale.ROOT, "  warm-up: %s certificates/s; the client against nginx %s/s%n", Results.rate(issue.bestRate),
                    Results.rate(ceiling.bestRate));
        }
        long createdBefore = issue.created.get();
        List<Meter.Measurement> measured = Meter.interleavedTimed(loads, Duration.ZERO, options.measure(), SLICE);
        long issued = issue.created.get() - createdBefore;

        // Every request has had its answer (each client thread waits for it): what the database holds now is final.
        DatabaseCheck check;
        try {
            long rows = count(database, schema, "count(*)");
            check = new DatabaseCheck(rows - rowsBefore, issue.created.get(), rows, count(database, schema, "count(DISTINCT serial)"), "");
        } catch (SQLException e) {
            check = new DatabaseCheck(0, issue.created.get(), 0, 0, "cannot read " + schema + "." + TABLE + ": " + e.getMessage()
                    + " (see ca-core/src/main/resources/db/migration/)");
        }
        Meter.Rate total = measured.get(0).total();
        Cell cell = new Cell(key, issued, measured.get(0).perSecond(), issue.errors(), issue.firstError.get(), measured.get(3).perSecond(),
                measured.get(2).perSecond(), measured.get(1).perSecond(), ceiling.errors().isEmpty() ? "" : Startup.statuses(new TreeMap<>(toInt(ceiling.errors())))
                + "; the first: " + ceiling.firstError.get(), total.cpuMicrosPerOperation(), pool.inline.get(), check);
        options.progress().printf(Locale.ROOT, "  %s: %s certificates/s%s; raw vault signing %s/s (1 thread), %s/s (2 threads); database %s%n",
                key.configName(), Results.rate(cell.rate()), cell.errors().isEmpty() ? "" : ", ERRORS " + Startup.statuses(new TreeMap<>(toInt(cell.errors()))),
                Results.rate(cell.vault1()), Results.rate(cell.vault2()), check.text());
        return cell;
    }

    private static Map<Integer, Integer> toInt(Map<Integer, Long> counts) {
        Map<Integer, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, (int) Math.min(Integer.MAX_VALUE, v)));
        return out;
    }

    static long count(Connection connection, String schema, String what) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery("SELECT " + what + " FROM " + schema + "." + TABLE)) {
            row.next();
            return row.getLong(1);
        }
    }

    /**
     * Distinct request bodies, one per request, each for a mailbox of its own (for issuance: with a fresh EC P-256 key).
     * They are made outside the timed slices; a request that finds none left makes its own (counted in {@link #inline}).
     */
    static final class CsrPool<T> {
        final AtomicLong inline = new AtomicLong();
        private final List<T> bodies = new ArrayList<>();
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger mailboxes = new AtomicInteger();
        private final String prefix;
        private final Options options;
        private final java.util.function.Function<String, T> bodyFor;
        private final String what;

        /** Issuance bodies: a mailbox-signing request with a fresh EC P-256 key per mailbox. */
        static CsrPool<String> issuance(String prefix, Options options) {
            return new CsrPool<>(prefix, options, m -> CaApi.issueBody(m, Ocsp.csr(Ocsp.ecP256(), m)), "EC P-256 CSRs for distinct mailboxes");
        }

        CsrPool(String prefix, Options options, java.util.function.Function<String, T> bodyFor, String what) {
            this.prefix = prefix;
            this.options = options;
            this.bodyFor = bodyFor;
            this.what = what;
        }

        T take() {
            int index = next.getAndIncrement();
            if (index < bodies.size()) {
                return bodies.get(index);
            }
            inline.incrementAndGet();
            return body();
        }

        private T body() {
            return bodyFor.apply(prefix + "-" + mailboxes.incrementAndGet() + "@example.org");
        }

        /** Makes bodies (called between slices only) until {@code unused} of them are waiting. */
        void topUp(int unused) {
            int missing = next.get() + unused - bodies.size();
            if (missing <= 0) {
                return;
            }
            long start = System.nanoTime();
            bodies.addAll(IntStream.range(0, missing).parallel().mapToObj(i -> body()).toList());
            options.progress().printf(Locale.ROOT, "  made %,d %s in %.1f s (outside the timed slices)%n", missing, what, (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * A POST load: {@link #CLIENTS} threads on one keep-alive HTTP/1.1 client, each sending its next body and waiting for
     * the answer; only 201 counts. A slice ends when every thread has had the answer to its last request, so none is left
     * in flight and the 201s can be reconciled with the database exactly (wrk abandons the requests in flight when its
     * time is up, which is why this is not wrk). With a {@link CsrPool} the pool is topped up before each slice for twice
     * the best rate seen ({@link #ASSUMED_RATE} before any).
     */
    static final class PostLoad implements Meter.Timed {
        private static final HttpClient HTTP = loadClient().build();

        /**
         * The HTTP/1.1 client of the loads. Answers are read on the client's selector thread, not handed to a worker
         * thread and then to the waiting caller: the load generator shares the server's two cores, and each hand-off
         * is a context switch (13% less load-generator CPU per ACME order, measured).
         */
        static HttpClient.Builder loadClient() {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Runnable::run).connectTimeout(Duration.ofSeconds(5));
        }

        /** One request ready to send: its headers and body. */
        record Prepared(Map<String, String> headers, byte[] body) {
        }

        final AtomicLong created = new AtomicLong();
        final AtomicReference<String> firstError = new AtomicReference<>("");
        double bestRate;
        private double assumedRate = ASSUMED_RATE;
        private final Map<Integer, LongAdder> errors = new ConcurrentHashMap<>();
        private final CsrPool<?> pool;
        private final Meter.Load load;

        /** JSON bodies from {@code pool} (or the one {@code fixedBody}) posted over plain HTTP with {@code authorization}; only 201 counts. */
        PostLoad(String label, URI uri, String authorization, CsrPool<String> pool, String fixedBody) {
            this(label, HTTP, uri, 201, pool, () -> new Prepared(jsonHeaders(authorization), (pool == null ? fixedBody : pool.take()).getBytes(StandardCharsets.UTF_8)));
        }

        /** Requests from {@code next} (made ahead in {@code pool}, when given) posted with {@code client}; only {@code expected} counts. */
        PostLoad(String label, HttpClient client, URI uri, int expected, CsrPool<?> pool, java.util.function.Supplier<Prepared> next) {
            this.pool = pool;
            List<Meter.Operation> threads = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                threads.add(() -> {
                    Prepared prepared = next.get();
                    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(prepared.body()));
                    prepared.headers().forEach(request::header);
                    String shown = Json.abbreviate(new String(prepared.body(), StandardCharsets.UTF_8));
                    try {
                        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == expected) {
                            created.incrementAndGet();
                        } else {
                            error(response.statusCode(), "POST " + uri + " " + shown + " answered " + response.statusCode() + " "
                                    + response.headers().firstValue("Content-Type").orElse("") + ": " + Json.abbreviate(response.body()));
                        }
                    } catch (IOException e) {
                        error(-1, "POST " + uri + " failed: " + e);
                    }
                });
            }
            load = new Meter.Load(label, threads);
        }

        /** The rate the pool is sized for until one has been measured, for loads whose requests are dear to make. */
        PostLoad assuming(double rate) {
            assumedRate = rate;
            return this;
        }

        private static Map<String, String> jsonHeaders(String authorization) {
            Map<String, String> headers = new LinkedHashMap<>(Map.of("Content-Type", "application/json", "Accept", "application/json"));
            if (authorization != null) {
                headers.put("Authorization", authorization);
            }
            return headers;
        }

        private void error(int status, String what) {
            errors.computeIfAbsent(status, s -> new LongAdder()).increment();
            firstError.compareAndSet("", what);
        }

        Map<Integer, Long> errors() {
            Map<Integer, Long> counts = new TreeMap<>();
            errors.forEach((status, count) -> counts.put(status, count.sum()));
            return counts;
        }

        @Override
        public Meter.Rate runFor(long nanos) throws Exception {
            if (pool != null) {
                double expected = (bestRate > 0 ? 2 * bestRate : assumedRate) * nanos / 1e9;
                pool.topUp((int) Math.min(Integer.MAX_VALUE - 1, Math.ceil(expected) + CLIENTS));
            }
            long before = created.get();
            Meter.Rate all = Meter.runFor(load, nanos);
            long done = created.get() - before;
            double rate = done * 1e9 / all.nanos();
            bestRate = Math.max(bestRate, rate);
            return new Meter.Rate(done, all.nanos(), rate, all.cpuNanos() < 0 || all.operations() == 0 ? -1 : all.cpuNanos() * done / all.operations());
        }
    }

    static Results results(List<Cell> cells, Map<String, String> settings, Options options) {
        List<List<String>> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Cell cell : cells) {
            boolean errors = !cell.errors().isEmpty();
            rows.add(List.of(cell.key().configName(), errors ? "FAILED (errors)" : Results.rate(cell.rate()),
                    errors || cell.rate() == 0 ? Results.NONE : String.format(Locale.ROOT, "%.1f", CLIENTS * 1000 / cell.rate()),
                    errors ? Startup.statuses(new TreeMap<>(toInt(cell.errors()))) : "none", Results.rate(cell.vault1()), Results.rate(cell.vault2()),
                    errors ? Results.NONE : Results.percent(cell.rate() / cell.vault2()), Results.rate(cell.ceiling()), cell.database().text()));
            notes.add(target(cell));
        }
        for (Cell cell : cells) {
            if (!cell.errors().isEmpty()) {
                notes.add(cell.key().configName() + ": answers other than 201 (status x count; -1 no answer): "
                        + Startup.statuses(new TreeMap<>(toInt(cell.errors()))) + ". The first: " + cell.firstError());
            }
            if (!cell.ceilingErrors().isEmpty()) {
                notes.add(cell.key().configName() + ": the client's requests to nginx (the ceiling) that failed: " + cell.ceilingErrors()
                        + ". nginx answers without reading the body first; the JDK client reports a connection the server closed as 'no answer' (-1).");
            }
            if (cell.inlineCsrs() > 0) {
                notes.add(cell.key().configName() + ": " + cell.inlineCsrs() + " CSRs had to be made inside the timed slices (the pre-made ones ran out).");
            }
        }
        notes.add("Load generator: a Java HttpClient (HTTP/1.1, keep-alive, answers read on its selector thread) with " + CLIENTS + " threads, each posting the next pre-made JSON body "
                + "{\"profile\":\"" + CaApi.PROFILE + "\",\"mailbox\":...,\"csr\":<PEM>} and waiting for its answer, as an " + CaApi.RA_ROLE
                + " (HTTP Basic). Not wrk: wrk abandons the requests in flight when its time is up, and those may still be issued, so its count "
                + "of 201s could not be reconciled with the database; here a slice ends when the answer to every request sent in it is in. Client "
                + "CPU per request: " + String.join(", ", cells.stream().map(c -> c.key().configName() + String.format(Locale.ROOT, " %.0f us", c.clientCpuMicros()))
                .toList()) + " (the calling threads only; the client's selector thread is not in it). Its ceiling on this machine, measured in the "
                + "same slices: the same client and threads posting a body of the same size to nginx " + Nginx.version() + " (127.0.0.1, 2 workers) "
                + "answering every request `" + String.join(" ", CEILING_LOCATION) + "` (column 'client ceiling'). Mean ms per request = "
                + CLIENTS + " threads / certificates per second.");
        notes.add("Each request carries a CSR for a distinct mailbox and a distinct EC P-256 key (Bouncy Castle), made outside the timed slices: "
                + String.format(Locale.ROOT, "%,d", INITIAL_CSRS) + " before the first, then topped up before each slice for twice the best rate seen.");
        notes.add("Only 201 counts as issued. After each cell the rows added to " + TABLE + " (PostgreSQL, count(*) after minus before the load) "
                + "must equal the 201s of the warm-up and the measured slices, and count(DISTINCT serial) must equal count(*): last column.");
        notes.add("Each cell: `./letterlock start` on a fresh data folder (bench/target/bench-data/ca-issue/<key>) with "
                + "LETTERLOCK_CA_ISSUING_KEY_SPEC=<key> at its first start, the SoftHSM2 token in that folder, and PostgreSQL "
                + settings.getOrDefault("server_version", "?") + " on a fresh schema (LETTERLOCK_DB_URL=...?currentSchema=bench_<random>, dropped "
                + "at the end; synchronous_commit=" + settings.getOrDefault("synchronous_commit", "?") + ", fsync=" + settings.getOrDefault("fsync", "?")
                + ", as found). The connection comes from LETTERLOCK_TEST_PG_URL/_USER/_PASSWORD.");
        notes.add("Raw vault signing: the pkcs11 vault on the bench's own SoftHSM2 token, a key of the cell's spec, each thread with its own "
                + "signer (as in vault-sign). The issuance load and both vault loads were warmed up for " + Bench.seconds(options.warmUp())
                + " s, then measured interleaved in slices of about " + SLICE.toSeconds() + " s for " + Bench.seconds(options.measure()) + " s each.");
        return new Results(List.of("issuing key", "certificates/s", "mean ms per request", "errors", "vault sign 1 thread/s", "vault sign 2 threads/s",
                "vs vault 2 threads", "client ceiling (nginx 201)/s", "database check"), rows, notes);
    }

    /** The cell's target and whether it is met; a cell with errors or a failed database check cannot meet it. */
    static String target(Cell cell) {
        String goal;
        boolean met;
        if (cell.key() == KeySpec.RSA_3072) {
            goal = "RSA-3072: target >= " + Results.percent(RSA_TARGET) + " of the raw RSA-3072 vault signing rate (2 threads, " + Results.rate(cell.vault2())
                    + "/s; 1 thread " + Results.rate(cell.vault1()) + "/s)";
            met = cell.rate() >= RSA_TARGET * cell.vault2();
        } else {
            goal = cell.key().configName() + ": target >= " + String.format(Locale.ROOT, "%,.0f", EC_TARGET) + " certificates/s";
            met = cell.rate() >= EC_TARGET;
        }
        if (!cell.errors().isEmpty()) {
            return goal + ": NOT MET, the load had errors (" + Startup.statuses(new TreeMap<>(toInt(cell.errors()))) + ").";
        }
        String measured = Results.rate(cell.rate()) + " certificates/s (" + String.format(Locale.ROOT, "%,d", cell.issued()) + " in the measured slices), "
                + Results.percent(cell.rate() / cell.vault2()) + " of the raw vault rate with 2 threads, " + Results.percent(cell.rate() / cell.vault1()) + " of 1 thread";
        if (!cell.database().ok()) {
            return goal + ": NOT MET, the database check failed (" + cell.database().text() + "); measured " + measured + ".";
        }
        return goal + ": " + (met ? "met" : "NOT MET") + ", " + measured + ".";
    }
}
