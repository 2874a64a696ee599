package org.letterlock.bench;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;

/**
 * The CA's scale target: with 1,000,000 certificates in the store, the issuance rate and the OCSP p99 latency within
 * 20% of their figures at 10,000. One server on a fresh PostgreSQL schema with the dedicated OCSP listener; 110
 * certificates issued through the API (10 revoked), the store filled to 10,000 rows with SQL, measured (OCSP cached GET
 * and uncached GET with wrk on the listener, then issuance with {@link CaIssue}'s client), filled to 1,000,000 rows with
 * SQL, measured again the same way. The store only grows, so the two phases cannot be interleaved: the load average
 * before and after each phase is reported instead.
 */
public final class CaScale implements Benchmark {
    static final long SMALL = 10_000;
    static final long LARGE = 1_000_000;
    /** Within 20%: a rate at 1M at least 80% of the rate at 10k, a p99 at 1M at most 120% of the p99 at 10k. */
    static final double TOLERANCE = 0.20;
    /** Rows per INSERT ... SELECT ... FROM generate_series statement (each its own transaction). */
    static final long INSERT_CHUNK = 100_000;
    /** requested_by of the rows inserted with SQL, with the phase appended. */
    static final String BULK = "bench-bulk";
    /** Uncached serials checked by hand (status, signature) before each phase: these are cached afterwards and not timed. */
    static final int UNCACHED_CHECKS = 10;
    /** Uncached serials asked once each before the timed uncached run of a phase (when there is a warm-up). */
    static final int UNCACHED_WARM_UP = 1_000;
    /**
     * Seconds of the timed uncached run. Every request must name a serial never asked about (the responder caches what it
     * signs), and at 10,000 certificates there are fewer than 10,000 such rows, so this run is short, at both phases.
     */
    static final int UNCACHED_SECONDS = 2;
    static final Duration SLICE = Duration.ofSeconds(2);
    static final String PHASE_SMALL = "10k";
    static final String PHASE_LARGE = "1M";

    /**
     * What issuance did in a phase.
     *
     * @param issued 201s in the measured time
     * @param rate   201s per second in the measured time
     * @param created 201s in the phase, warm-up included (they are rows too)
     * @param errors answers other than 201 (status: count; -1 no answer), warm-up included
     */
    record Issuance(long issued, double rate, long created, Map<Integer, Long> errors, String firstError, long inlineCsrs) {
        boolean failed() {
            return !errors.isEmpty();
        }
    }

    /** The timed uncached run: wrk's report and how many distinct serials it had (each asked at most once). */
    record Uncached(Wrk.Result wrk, int serials) {
        /** All serials asked before the time was up: the rate is then a lower bound (the latencies still hold). */
        boolean ranOut() {
            return wrk.requests() >= serials - Wrk.CONNECTIONS;
        }
    }

    /**
     * One phase.
     *
     * @param storeAtOcsp  certificate rows while OCSP was measured (before the issuance load)
     * @param storeAfter   certificate rows after the issuance load
     */
    record Phase(String name, long storeAtOcsp, long storeAfter, Wrk.Result cached, Uncached uncached, Issuance issuance, String loadBefore,
                 String loadAfter) {
    }

    @Override
    public String name() {
        return "ca-scale";
    }

    @Override
    public String summary() {
        return "The CA at 10,000 and at 1,000,000 certificates in the store (PostgreSQL, rows filled with SQL): issuance certificates/s over "
                + "HTTP (" + CaIssue.CLIENTS + " client threads) and OCSP cached and uncached GET rate and p99 (wrk on the OCSP listener); "
                + "target: at 1M within 20% of 10k.";
    }

    @Override
    public String timing(Options options) {
        return "per phase: OCSP cached GET and issuance " + Bench.seconds(options.measure()) + " s each after a " + Bench.seconds(options.warmUp())
                + " s warm-up, uncached GET " + UNCACHED_SECONDS + " s";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Shell.require(name(), List.of("wrk"), "as root, apt-get install -y wrk");
        Map<String, String> settings = AuditAppend.postgresSettings(postgres);
        Path base = options.dataDir().resolve("ca-scale");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("postgres", settings.getOrDefault("server_version", "?"));
        facts.put("wrk", Shell.runOr(List.of("dpkg-query", "-W", "-f=${Version}", "wrk"), "?"));
        String schema = CaIssue.randomSchema();
        String url = AuditAppend.withSchema(postgres.get(AuditAppend.PG_URL), schema);
        List<Phase> phases = new ArrayList<>();
        try (Processes processes = new Processes(name());
             Connection admin = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER),
                     postgres.get(AuditAppend.PG_PASSWORD));
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = CaIssue.serverDatabase(postgres, schema);
                int listenerPort = Processes.freePort();
                config.put("LETTERLOCK_CA_OCSP_PORT", Integer.toString(listenerPort));
                Path dir = base.resolve("letterlock");
                options.progress().println("  starting Letterlock on PostgreSQL schema " + schema + " (dropped at the end), SoftHSM2 in " + dir
                        + ", OCSP listener on 127.0.0.1:" + listenerPort + " ...");
                LetterlockServer server = LetterlockServer.start(options.root(), dir, config, processes);
                try (Connection database = DriverManager.getConnection(url, postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD))) {
                    measure(server, "http://127.0.0.1:" + listenerPort, database, schema, base, processes, options, phases, facts);
                } finally {
                    server.stop();
                }
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        return results(phases, facts, options);
    }

    private void measure(LetterlockServer server, String listener, Connection database, String schema, Path base, Processes processes, Options options,
                         List<Phase> phases, Map<String, String> facts) throws Exception {
        CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
        // The server stores certificates of its own at its first start (the OCSP responder's): rows before any issuance.
        long own = CaIssue.count(database, schema, "count(*)");
        facts.put("own", String.format(Locale.ROOT, "%,d (%s)", own, profiles(database)));
        int real = OcspServe.GOOD + OcspServe.REVOKED;
        options.progress().println("  issuing " + real + " mailbox-signing certificates through the API, revoking " + OcspServe.REVOKED + " (keyCompromise) ...");
        CaApi.OcspSet set = ca.issueForOcsp(OcspServe.GOOD, OcspServe.REVOKED);
        List<CaApi.Issued> issued = set.issued();
        List<Ocsp.Status> statuses = set.statuses();
        String issuerId = set.issuerId();
        X509CertificateHolder issuer = set.issuer();
        facts.put("issuer", issuerId + " (" + issuer.getSubject() + ")");
        List<CertificateID> ids = issued.stream().map(c -> Ocsp.certId(issuer, c.serial())).toList();
        List<String> paths = ids.stream().map(id -> Ocsp.getPath(Ocsp.request(id, null))).toList();
        facts.put("cached answers", OcspServe.checkGets(listener + "/ocsp/", paths, ids, statuses, issuer));
        Path script = Wrk.writeScript(base.resolve("wrk.lua"));
        Path cachedGets = base.resolve("cached-get.txt");
        Wrk.writePaths(cachedGets, paths);

        long apiRows = CaIssue.count(database, schema, "count(*)");
        long inserted = 0;
        long next = 1;
        // 10,000 certificates in the store.
        long fill = SMALL - apiRows;
        options.progress().printf(Locale.ROOT, "  inserting %,d certificate rows with SQL (to %,d) ...%n", fill, SMALL);
        long took = insertBulk(database, issuerId, BULK + "-" + PHASE_SMALL, next, fill);
        inserted += fill;
        next += fill;
        facts.put("insert " + PHASE_SMALL, String.format(Locale.ROOT, "%,d rows in %.1f s", fill, took / 1e9));
        analyze(database, facts, PHASE_SMALL);
        int uncachedSerials = (int) Math.max(100, fill - UNCACHED_CHECKS - UNCACHED_WARM_UP);
        CaIssue.CsrPool<String> firstPool = CaIssue.CsrPool.issuance("scale-" + PHASE_SMALL.toLowerCase(Locale.ROOT), options);
        firstPool.topUp(CaIssue.INITIAL_CSRS);
        phases.add(phase(PHASE_SMALL, server, ca, listener, database, schema, issuer, base, script, cachedGets, uncachedSerials, firstPool, processes, options, facts));

        // 1,000,000 certificates in the store.
        long rows = CaIssue.count(database, schema, "count(*)");
        fill = LARGE - rows;
        options.progress().printf(Locale.ROOT, "  inserting %,d certificate rows with SQL (to %,d) in statements of %,d; load average %s ...%n", fill, LARGE,
                INSERT_CHUNK, Machine.loadAverage());
        took = insertBulk(database, issuerId, BULK + "-" + PHASE_LARGE.toLowerCase(Locale.ROOT), next, fill);
        inserted += fill;
        facts.put("insert " + PHASE_LARGE, String.format(Locale.ROOT, "%,d rows in %.1f s (%,.0f rows/s)", fill, took / 1e9, fill * 1e9 / took));
        analyze(database, facts, PHASE_LARGE);
        CaIssue.CsrPool<String> secondPool = CaIssue.CsrPool.issuance("scale-" + PHASE_LARGE.toLowerCase(Locale.ROOT), options);
        secondPool.topUp(CaIssue.INITIAL_CSRS);
        phases.add(phase(PHASE_LARGE, server, ca, listener, database, schema, issuer, base, script, cachedGets, uncachedSerials, secondPool, processes, options, facts));
        facts.put("explain", explain(database, issued.get(0).serialHex()));

        // Every answer is in: the rows must be the API's 201s plus the rows inserted, with every serial unique.
        long created = real + phases.stream().mapToLong(p -> p.issuance().created()).sum();
        long total = CaIssue.count(database, schema, "count(*)");
        long distinct = CaIssue.count(database, schema, "count(DISTINCT serial)");
        CaIssue.DatabaseCheck check = new CaIssue.DatabaseCheck(total, own + created + inserted, total, distinct, "");
        facts.put("database", databaseText(check, own, created, inserted));
        options.progress().println("  database: " + facts.get("database"));
    }

    private Phase phase(String name, LetterlockServer server, CaApi ca, String listener, Connection database, String schema, X509CertificateHolder issuer,
                        Path base, Path script, Path cachedGets, int uncachedSerials, CaIssue.CsrPool<String> pool, Processes processes, Options options,
                        Map<String, String> facts) throws Exception {
        String loadBefore = Machine.loadAverage();
        long storeAtOcsp = CaIssue.count(database, schema, "count(*)");
        options.progress().printf(Locale.ROOT, "  phase %s: %,d certificates in the store; load average %s%n", name, storeAtOcsp, loadBefore);

        // Serials of rows inserted with SQL for this phase, never asked about: their responses are signed on demand.
        List<String> serials = new ArrayList<>();
        try (PreparedStatement select = database.prepareStatement("SELECT serial FROM ca_certificate WHERE requested_by = ? ORDER BY random() LIMIT ?")) {
            select.setString(1, BULK + "-" + name.toLowerCase(Locale.ROOT));
            select.setInt(2, UNCACHED_CHECKS + UNCACHED_WARM_UP + uncachedSerials);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    serials.add(row.getString(1));
                }
            }
        }
        if (serials.size() < UNCACHED_CHECKS + UNCACHED_WARM_UP + uncachedSerials) {
            throw new IllegalStateException("only " + serials.size() + " inserted rows to ask about uncached, " + (UNCACHED_CHECKS + UNCACHED_WARM_UP
                    + uncachedSerials) + " needed");
        }
        List<CertificateID> ids = serials.stream().map(s -> Ocsp.certId(issuer, new BigInteger(s, 16))).toList();
        List<String> paths = ids.stream().map(id -> Ocsp.getPath(Ocsp.request(id, null))).toList();
        facts.put("uncached answers " + name, OcspServe.checkGets(listener + "/ocsp/", paths.subList(0, UNCACHED_CHECKS), ids.subList(0, UNCACHED_CHECKS),
                java.util.Collections.nCopies(UNCACHED_CHECKS, Ocsp.Status.GOOD), issuer));
        Path warmGets = base.resolve("uncached-warm-" + name + ".txt");
        Wrk.writePaths(warmGets, paths.subList(UNCACHED_CHECKS, UNCACHED_CHECKS + UNCACHED_WARM_UP));
        Path uncachedGets = base.resolve("uncached-" + name + ".txt");
        Wrk.writePaths(uncachedGets, paths.subList(UNCACHED_CHECKS + UNCACHED_WARM_UP, paths.size()));

        // OCSP cached GET over the real certificates.
        if (!options.warmUp().isZero()) {
            Wrk.Result warm = Wrk.run(processes, List.of(), Wrk.command(Wrk.seconds(options.warmUp().toNanos()), script, listener, "GET", "/ocsp/", "-",
                    cachedGets, 0));
            options.progress().printf(Locale.ROOT, "    warm-up   cached GET    %9s/s, p99 %.2f ms%n", Results.rate(warm.perSecond()), warm.latency(99));
        }
        Wrk.Result cached = Wrk.run(processes, List.of(), Wrk.command(Wrk.seconds(options.measure().toNanos()), script, listener, "GET", "/ocsp/", "-",
                cachedGets, 0));
        options.progress().printf(Locale.ROOT, "    measured  cached GET    %9s/s, p99 %.2f ms%s%n", Results.rate(cached.perSecond()), cached.latency(99),
                cached.failed() ? ", ERRORS: " + cached.errors() : "");

        // OCSP uncached GET: each serial asked once.
        if (!options.warmUp().isZero()) {
            Wrk.Result warm = Wrk.run(processes, List.of(), Wrk.commandOnce(1, script, listener, "GET", "/ocsp/", "-", warmGets, 0));
            options.progress().printf(Locale.ROOT, "    warm-up   uncached GET  %,d requests, p99 %.2f ms%n", warm.requests(), warm.latency(99));
        }
        Uncached uncached = new Uncached(Wrk.run(processes, List.of(), Wrk.commandOnce(UNCACHED_SECONDS, script, listener, "GET", "/ocsp/", "-",
                uncachedGets, 0)), uncachedSerials);
        options.progress().printf(Locale.ROOT, "    measured  uncached GET  %9s/s, p99 %.2f ms%s%s%n", Results.rate(uncached.wrk().perSecond()),
                uncached.wrk().latency(99), uncached.ranOut() ? " (RAN OUT of serials: rate is a lower bound)" : "",
                uncached.wrk().failed() ? ", ERRORS: " + uncached.wrk().errors() : "");

        // Issuance.
        CaIssue.PostLoad issue = new CaIssue.PostLoad("issue-" + name, URI.create(server.base() + "/api/ca/certificates"), ca.officer().basic(), pool, null);
        long warmUp = options.warmUp().toNanos();
        while (warmUp > 0) {
            long slice = Math.min(warmUp, SLICE.toNanos());
            issue.runFor(slice);
            warmUp -= slice;
        }
        if (!options.warmUp().isZero()) {
            options.progress().printf(Locale.ROOT, "    warm-up   issuance      %9s certificates/s (best slice)%n", Results.rate(issue.bestRate));
        }
        long before = issue.created.get();
        Meter.Rate rate = issue.runFor(options.measure().toNanos());
        Issuance issuance = new Issuance(issue.created.get() - before, rate.perSecond(), issue.created.get(), issue.errors(), issue.firstError.get(),
                pool.inline.get());
        options.progress().printf(Locale.ROOT, "    measured  issuance      %9s certificates/s%s%n", Results.rate(issuance.rate()),
                issuance.failed() ? ", ERRORS " + statuses(issuance.errors()) + "; the first: " + issuance.firstError() : "");
        long storeAfter = CaIssue.count(database, schema, "count(*)");
        String loadAfter = Machine.loadAverage();
        options.progress().printf(Locale.ROOT, "  phase %s done: %,d certificates in the store; load average %s%n", name, storeAfter, loadAfter);
        return new Phase(name, storeAtOcsp, storeAfter, cached, uncached, issuance, loadBefore, loadAfter);
    }

    /** Inserts {@code rows} certificate rows numbered from {@code first}; returns the nanoseconds it took. */
    private static long insertBulk(Connection database, String issuerId, String requestedBy, long first, long rows) throws SQLException {
        long start = System.nanoTime();
        try (PreparedStatement insert = database.prepareStatement(insertSql())) {
            for (long from = first; from < first + rows; from += INSERT_CHUNK) {
                long to = Math.min(first + rows - 1, from + INSERT_CHUNK - 1);
                insert.setString(1, issuerId);
                insert.setString(2, requestedBy);
                insert.setLong(3, from);
                insert.setLong(4, to);
                insert.executeUpdate();
            }
        }
        return System.nanoTime() - start;
    }

    /**
     * Rows like the issued ones, as far as the store reads them: issuer and profile of the real certificates, not revoked,
     * valid for a year. Serials: 'c' and 31 hex digits of an md5 of the row number and a random number (32 lower-case hex
     * digits without leading zero, as the store writes them; the CA's own serials start with 4 to 7, so the two never meet).
     * Key hashes: 64 distinct hex digits, as the store writes for a real key, so that their index is as large as in use.
     */
    static String insertSql() {
        return "INSERT INTO ca_certificate (serial, issuer_id, profile, mailbox, subject, not_before, not_after, der, pair_id, requested_by, issued_at, "
                + "revoked_at, revocation_reason, revoked_by, notices_sent, key_hash) "
                + "SELECT 'c' || substr(md5(g::text || ':' || random()::text), 1, 31), ?, '" + CaApi.PROFILE + "', 'bulk' || g || '@example.org', "
                + "'CN=bulk' || g || '@example.org', now() - interval '1 day', now() + interval '365 days', decode('3000', 'hex'), NULL, ?, now(), "
                + "NULL, NULL, NULL, 0, md5('key:' || g::text || ':' || random()::text) || md5(g::text) FROM generate_series(?::bigint, ?::bigint) AS g";
    }

    private static void analyze(Connection database, Map<String, String> facts, String phase) throws SQLException {
        long start = System.nanoTime();
        try (Statement statement = database.createStatement()) {
            statement.execute("ANALYZE ca_certificate");
        }
        facts.put("analyze " + phase, String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
    }

    /** EXPLAIN ANALYZE of the responder's lookup by serial at the end, one line. */
    private static String explain(Connection database, String serial) {
        try (PreparedStatement explain = database.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) SELECT serial, issuer_id, profile, mailbox, subject, not_before, "
                + "not_after, der, pair_id, requested_by, issued_at, revoked_at, revocation_reason, revoked_by FROM ca_certificate WHERE serial = ?")) {
            explain.setString(1, serial);
            List<String> lines = new ArrayList<>();
            try (ResultSet row = explain.executeQuery()) {
                while (row.next()) {
                    lines.add(row.getString(1).strip());
                }
            }
            return String.join(" / ", lines);
        } catch (SQLException e) {
            return "(EXPLAIN failed: " + e.getMessage() + ")";
        }
    }

    /** The rows by profile, e.g. "ocsp-signing: 1". */
    private static String profiles(Connection database) throws SQLException {
        List<String> parts = new ArrayList<>();
        try (Statement statement = database.createStatement();
             ResultSet row = statement.executeQuery("SELECT profile, count(*) FROM ca_certificate GROUP BY profile ORDER BY profile")) {
            while (row.next()) {
                parts.add(row.getString(1) + ": " + row.getLong(2));
            }
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    static String databaseText(CaIssue.DatabaseCheck check, long own, long created, long inserted) {
        String counts = String.format(Locale.ROOT, "%,d rows; expected %,d (%,d the server's own at start + %,d 201s from the API + %,d inserted with SQL)",
                check.rows(), check.created(), own, created, inserted);
        String serials = check.rows() == check.distinctSerials() ? "serials unique"
                : String.format(Locale.ROOT, "%,d DUPLICATE serials", check.rows() - check.distinctSerials());
        return (check.ok() ? "ok: " : "MISMATCH: ") + counts + ", " + serials;
    }

    // ---- the table and the judgement (pure logic, unit-tested)

    static Results results(List<Phase> phases, Map<String, String> facts, Options options) {
        List<List<String>> rows = new ArrayList<>();
        for (Phase phase : phases) {
            rows.add(List.of(phase.name(), String.format(Locale.ROOT, "%,d / %,d", phase.storeAtOcsp(), phase.storeAfter()),
                    phase.issuance().failed() ? "FAILED (" + statuses(phase.issuance().errors()) + ")" : Results.rate(phase.issuance().rate()),
                    wrkRate(phase.cached(), false), wrkMillis(phase.cached(), 50), wrkMillis(phase.cached(), 99),
                    wrkRate(phase.uncached().wrk(), phase.uncached().ranOut()), wrkMillis(phase.uncached().wrk(), 99),
                    phase.loadBefore() + " -> " + phase.loadAfter()));
        }
        Phase small = find(phases, PHASE_SMALL);
        Phase large = find(phases, PHASE_LARGE);
        if (small != null && large != null) {
            rows.add(List.of(PHASE_LARGE + " / " + PHASE_SMALL, Results.NONE,
                    ratio(small.issuance().rate(), large.issuance().rate(), small.issuance().failed() || large.issuance().failed(), "%"),
                    ratio(small.cached().perSecond(), large.cached().perSecond(), small.cached().failed() || large.cached().failed(), "%"),
                    ratio(small.cached().latency(50), large.cached().latency(50), small.cached().failed() || large.cached().failed(), "x"),
                    ratio(small.cached().latency(99), large.cached().latency(99), small.cached().failed() || large.cached().failed(), "x"),
                    ratio(small.uncached().wrk().perSecond(), large.uncached().wrk().perSecond(), small.uncached().wrk().failed()
                            || large.uncached().wrk().failed(), "%"),
                    ratio(small.uncached().wrk().latency(99), large.uncached().wrk().latency(99), small.uncached().wrk().failed()
                            || large.uncached().wrk().failed(), "x"),
                    Results.NONE));
        }
        List<String> notes = new ArrayList<>();
        if (small == null || large == null) {
            notes.add("Target: NOT JUDGED, a phase is missing.");
        } else {
            notes.add(judge("Issuance rate at 1M / at 10k", small.issuance().rate(), large.issuance().rate(), small.issuance().failed()
                    || large.issuance().failed(), false, "certificates/s"));
            notes.add(judge("OCSP cached GET p99 at 1M / at 10k", small.cached().latency(99), large.cached().latency(99), small.cached().failed()
                    || large.cached().failed(), true, "ms"));
            notes.add("Shown, not judged: " + judge("OCSP uncached GET p99 at 1M / at 10k", small.uncached().wrk().latency(99),
                    large.uncached().wrk().latency(99), small.uncached().wrk().failed() || large.uncached().wrk().failed(), true, "ms")
                    + " " + judge("OCSP cached GET rate at 1M / at 10k", small.cached().perSecond(), large.cached().perSecond(),
                    small.cached().failed() || large.cached().failed(), false, "responses/s"));
        }
        for (Phase phase : phases) {
            if (phase.issuance().failed()) {
                notes.add(phase.name() + ": issuance answers other than 201 (status x count; -1 no answer): " + statuses(phase.issuance().errors())
                        + ". The first: " + phase.issuance().firstError());
            }
            if (phase.cached().failed()) {
                notes.add(phase.name() + ": cached GET errors: " + phase.cached().errors() + ".");
            }
            if (phase.uncached().wrk().failed()) {
                notes.add(phase.name() + ": uncached GET errors: " + phase.uncached().wrk().errors() + ".");
            }
            if (phase.uncached().ranOut()) {
                notes.add(phase.name() + ": the uncached run asked all its " + String.format(Locale.ROOT, "%,d", phase.uncached().serials())
                        + " serials before its " + UNCACHED_SECONDS + " s were up: its rate (marked >=) is a lower bound, its latencies hold.");
            }
            if (phase.issuance().inlineCsrs() > 0) {
                notes.add(phase.name() + ": " + phase.issuance().inlineCsrs() + " CSRs had to be made inside the timed issuance (the pre-made ones ran out).");
            }
        }
        notes.add("Database after the run: " + facts.getOrDefault("database", "not checked") + ". The server's own rows, before any issuance: "
                + facts.getOrDefault("own", "?") + ".");
        notes.add("Store: " + facts.getOrDefault("insert " + PHASE_SMALL, "?") + " inserted with SQL up to " + String.format(Locale.ROOT, "%,d", SMALL)
                + " (ANALYZE " + facts.getOrDefault("analyze " + PHASE_SMALL, "?") + "), then " + facts.getOrDefault("insert " + PHASE_LARGE, "?")
                + " up to " + String.format(Locale.ROOT, "%,d", LARGE) + " (ANALYZE ca_certificate " + facts.getOrDefault("analyze " + PHASE_LARGE, "?")
                + "), as `INSERT INTO ca_certificate ... SELECT ... FROM generate_series(...)` in statements of " + String.format(Locale.ROOT, "%,d", INSERT_CHUNK)
                + " rows: issuer " + facts.getOrDefault("issuer", "?") + ", profile " + CaApi.PROFILE + ", not revoked, not_after in a year, mailbox "
                + "bulkN@example.org, a 2-byte der, serials 'c' + 31 hex digits of md5(N || random()). Column 'certificates in the store': rows "
                + "while OCSP was measured / after the issuance load (issuance adds rows: its warm-up and measured 201s).");
        notes.add("OCSP, on the dedicated listener (LETTERLOCK_CA_OCSP_PORT, 127.0.0.1), wrk " + facts.getOrDefault("wrk", "?") + " -t" + Wrk.THREADS + " -c"
                + Wrk.CONNECTIONS + " --latency --timeout " + Wrk.TIMEOUT_SECONDS + "s, GET /ocsp/<URL-encoded base64 request>, one SHA-1 CertID, no "
                + "nonce. Cached: the " + (OcspServe.GOOD + OcspServe.REVOKED) + " certificates issued through the API (" + OcspServe.REVOKED
                + " revoked, keyCompromise; their responses are signed when issued/revoked), cycled, " + Bench.seconds(options.warmUp()) + " s warm-up then "
                + Bench.seconds(options.measure()) + " s; answers checked first: " + facts.getOrDefault("cached answers", "?") + ". Uncached: serials of "
                + "rows inserted with SQL for the phase (picked at random), each asked once (the responder looks the serial up in PostgreSQL, signs, "
                + "and caches the answer, so a serial is uncached only the first time): " + UNCACHED_CHECKS + " checked by hand, "
                + String.format(Locale.ROOT, "%,d", UNCACHED_WARM_UP) + " as warm-up (1 s), then a " + UNCACHED_SECONDS + " s run over up to "
                + String.format(Locale.ROOT, "%,d", small == null ? 0 : small.uncached().serials()) + " more (as many as the 10k store has left; "
                + "the same count at 1M); wrk's script stops each thread at the end of its lines ('once'), and its rate is requests over the "
                + "whole " + UNCACHED_SECONDS + " s. Answers checked: 10k " + facts.getOrDefault("uncached answers " + PHASE_SMALL, "?") + "; 1M "
                + facts.getOrDefault("uncached answers " + PHASE_LARGE, "?") + ".");
        notes.add("Issuance: CaIssue's client, a Java HttpClient with " + CaIssue.CLIENTS + " threads posting pre-made bodies (distinct mailbox and "
                + "EC P-256 key each) to POST /api/ca/certificates as an " + CaApi.RA_ROLE + "; only 201 counts; " + Bench.seconds(options.warmUp())
                + " s warm-up (slices of " + SLICE.toSeconds() + " s) then " + Bench.seconds(options.measure()) + " s. Measured after OCSP in each "
                + "phase, so OCSP sees exactly the phase's store.");
        notes.add("Order: 10k (OCSP cached, OCSP uncached, issuance), insert to 1M, 1M (the same). The store only grows, so the phases cannot be "
                + "interleaved; the last column is the load average (1, 5, 15 min) before and after each phase. Server: `./letterlock start`, "
                + "PostgreSQL " + facts.getOrDefault("postgres", "?") + " on a fresh schema (dropped at the end), SoftHSM2 in "
                + "bench/target/bench-data/ca-scale/letterlock, EC P-256 issuing key.");
        notes.add("Responder lookup by serial at the end (EXPLAIN (ANALYZE, BUFFERS)): " + facts.getOrDefault("explain", "?"));
        notes.add("Ratio row: rates as 1M over 10k (target >= " + Results.percent(1 - TOLERANCE) + "), latencies as 1M over 10k (target <= "
                + String.format(Locale.ROOT, "%.2fx", 1 + TOLERANCE) + ").");
        return new Results(List.of("phase", "certificates in the store", "issuance certificates/s", "OCSP cached GET/s", "cached p50, ms", "cached p99, ms",
                "OCSP uncached GET/s", "uncached p99, ms", "load average before -> after"), rows, notes);
    }

    private static Phase find(List<Phase> phases, String name) {
        return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    static String wrkRate(Wrk.Result result, boolean lowerBound) {
        if (result.failed()) {
            return "FAILED (" + result.errors() + ")";
        }
        return (lowerBound ? ">= " : "") + Results.rate(result.perSecond());
    }

    static String wrkMillis(Wrk.Result result, int percentile) {
        double value = result.latency(percentile);
        return result.failed() || Double.isNaN(value) ? Results.NONE : String.format(Locale.ROOT, "%.2f", value);
    }

    /** {@code large / small} as "93%" (rates) or "1.10x" (latencies); "-" when a side failed or is missing. */
    static String ratio(double small, double large, boolean failed, String style) {
        if (failed || Double.isNaN(small) || Double.isNaN(large) || small <= 0) {
            return Results.NONE;
        }
        double ratio = large / small;
        return style.equals("x") ? String.format(Locale.ROOT, "%.2fx", ratio) : Results.percent(ratio);
    }

    /**
     * The target line: within {@link #TOLERANCE} means a rate at 1M of at least 80% of 10k's, or a latency at 1M of at
     * most 120% of 10k's (better than at 10k is within too).
     */
    static String judge(String what, double small, double large, boolean failed, boolean latency, String unit) {
        String goal = latency ? "<= " + String.format(Locale.ROOT, "%.2fx", 1 + TOLERANCE) : ">= " + Results.percent(1 - TOLERANCE);
        if (failed) {
            return what + ": target within 20% (" + goal + "): CANNOT BE JUDGED, a run had errors.";
        }
        if (Double.isNaN(small) || Double.isNaN(large) || small <= 0) {
            return what + ": target within 20% (" + goal + "): CANNOT BE JUDGED, not measured.";
        }
        double ratio = large / small;
        boolean met = latency ? ratio <= 1 + TOLERANCE : ratio >= 1 - TOLERANCE;
        String shown = latency ? String.format(Locale.ROOT, "%.2fx (%.2f / %.2f %s)", ratio, large, small, unit)
                : Results.percent(ratio) + " (" + Results.rate(large) + " / " + Results.rate(small) + " " + unit + ")";
        return what + " = " + shown + ": target within 20% (" + goal + "): " + (met ? "met" : "NOT MET") + ".";
    }

    static String statuses(Map<Integer, Long> counts) {
        Map<Integer, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, (int) Math.min(Integer.MAX_VALUE, v)));
        return Startup.statuses(out);
    }
}
