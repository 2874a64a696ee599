package org.letterlock.bench;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.letterlock.vault.KeySpec;

/**
 * Escrow end to end over HTTP, on PostgreSQL and SoftHSM2. Key generation + archive + certificate:
 * {@code POST /api/escrow/keys} (201 with the PKCS#12) per distinct mailbox, for EC P-256 and RSA-3072 (with and without
 * the pre-generated RSA pool), interleaved with the same server issuing certificates from client CSRs
 * ({@code POST /api/ca/certificates}: the work without escrow) and with plain JCA key generation of the cell's spec in
 * this JVM (2 threads). Then recovery of a mailbox with 10 archived keys: the time from sending the second (releasing)
 * approval to the PKCS#12 of all 10 keys downloaded. Targets: P-256 at least 1,000 mailboxes/s; recovery under 1 s.
 */
public final class EscrowBench implements Benchmark {
    static final double P256_TARGET = 1_000;
    static final Duration RECOVERY_TARGET = Duration.ofSeconds(1);
    static final int RECOVERY_KEYS = 10;
    static final int RECOVERY_ROUNDS = 15;
    static final String PASSPHRASE = "bench passphrase 2026";
    static final String TABLE = "escrow_archive";
    static final int SINGLE_ENROLLMENTS = 5;
    static final Duration POOL_FILL = Duration.ofSeconds(15);

    /** A generation cell: the key spec, the RSA pool size the server ran with, and what the loads did. */
    record Cell(KeySpec spec, int pool, double singleMillis, long created, double rate, Map<Integer, Long> errors, String firstError, double caIssue,
                double jcaKeygen, double serverCpuMicros, CaIssue.DatabaseCheck database) {
    }

    /** Recovery timings in milliseconds, one per round. */
    record Recovery(List<Double> releaseMillis, List<Double> downloadMillis, List<Double> totalMillis, int keys, long p12Bytes) {
    }

    @Override
    public String name() {
        return "escrow";
    }

    @Override
    public String summary() {
        return "Escrowed encryption keys/s over HTTP (generate + seal + archive + certify + PKCS#12: POST /api/escrow/keys, " + CaIssue.CLIENTS
                + " client threads) for EC P-256 and RSA-3072 (pool 16 and 0), interleaved with CA issuance from client CSRs on the same server and "
                + "with JCA key generation; then recovery of a mailbox with 10 archived keys, last approval to PKCS#12 downloaded.";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Map<String, String> settings = AuditAppend.postgresSettings(postgres);
        Path base = options.dataDir().resolve("escrow");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        List<Cell> cells = new ArrayList<>();
        Recovery recovery = null;
        double opensslRsa = opensslRsaKeygen(base, options);
        try (Processes processes = new Processes("escrow")) {
            for (Object[] cell : new Object[][] {{KeySpec.EC_P256, 16}, {KeySpec.RSA_3072, 16}, {KeySpec.RSA_3072, 0}}) {
                KeySpec spec = (KeySpec) cell[0];
                int pool = (Integer) cell[1];
                String schema = CaIssue.randomSchema();
                try (Connection admin = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER),
                        postgres.get(AuditAppend.PG_PASSWORD)); Statement statement = admin.createStatement()) {
                    statement.execute("CREATE SCHEMA " + schema);
                    try {
                        Map<String, String> config = CaIssue.serverDatabase(postgres, schema);
                        config.put("LETTERLOCK_ESCROW_RSA_POOL", Integer.toString(pool));
                        Path dir = base.resolve(spec.configName() + "-pool" + pool);
                        options.progress().println(spec.configName() + ", RSA pool " + pool + ": starting Letterlock on PostgreSQL schema " + schema
                                + " and SoftHSM2 in " + dir + " ...");
                        LetterlockServer server = LetterlockServer.start(options.root(), dir, config, processes);
                        try {
                            cells.add(measure(spec, pool, server, admin, schema, options));
                            if (recovery == null) {
                                recovery = recover(server, options);
                            }
                        } finally {
                            server.stop();
                        }
                    } finally {
                        statement.execute("DROP SCHEMA " + schema + " CASCADE");
                    }
                }
            }
        }
        return results(cells, recovery, opensslRsa, settings, options);
    }

    private Cell measure(KeySpec spec, int pool, LetterlockServer server, Connection database, String schema, Options options) throws Exception {
        CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
        if (pool > 0) {
            // The server fills its RSA pool after start (one low-priority thread, about 2 keys/s here); timing before it is full
            // would charge that start-up work to whatever load runs first. The drain during an RSA load is part of what is measured.
            TimeUnit.SECONDS.sleep(POOL_FILL.toSeconds());
        }
        String prefix = spec.configName() + "-" + pool;
        // One owner enrolling on an idle server: what the pool is for.
        List<Double> single = new ArrayList<>();
        for (int i = 0; i < SINGLE_ENROLLMENTS; i++) {
            long start = System.nanoTime();
            server.json("POST", "/api/escrow/keys", ca.officer(), escrowBody("single-" + prefix + "-" + i + "@example.org", spec), 201);
            single.add((System.nanoTime() - start) / 1e6);
        }
        CaIssue.CsrPool<String> escrowBodies = new CaIssue.CsrPool<>(prefix, options, m -> escrowBody(m, spec), "escrow request bodies");
        CaIssue.CsrPool<String> caBodies = CaIssue.CsrPool.issuance("ca-" + prefix, options);
        caBodies.topUp(CaIssue.INITIAL_CSRS);
        CaIssue.PostLoad escrow = new CaIssue.PostLoad("escrow", URI.create(server.base() + "/api/escrow/keys"), ca.officer().basic(), escrowBodies, null);
        CaIssue.PostLoad issue = new CaIssue.PostLoad("issue", URI.create(server.base() + "/api/ca/certificates"), ca.officer().basic(), caBodies, null);
        Meter.Load keygen = keygenLoad(spec);
        List<Meter.Timed> loads = List.of(escrow, issue, nanos -> Meter.runFor(keygen, nanos));
        long rowsBefore = count(database, schema, "count(*)");
        if (!options.warmUp().isZero()) {
            for (Meter.Timed load : loads) {
                load.runFor(options.warmUp().toNanos());
            }
        }
        long cpuBefore = cpuNanos(server.process());
        long createdBefore = escrow.created.get();
        List<Meter.Measurement> measured = Meter.interleavedTimed(loads, Duration.ZERO, options.measure(), CaIssue.SLICE);
        long created = escrow.created.get() - createdBefore;
        long cpu = cpuNanos(server.process()) - cpuBefore;
        long requests = created + measured.get(1).total().operations();
        CaIssue.DatabaseCheck check;
        try {
            long rows = count(database, schema, "count(*)");
            check = new CaIssue.DatabaseCheck(rows - rowsBefore, escrow.created.get(), rows, count(database, schema, "count(DISTINCT certificate_serial)"), "");
        } catch (SQLException e) {
            check = new CaIssue.DatabaseCheck(0, escrow.created.get(), 0, 0, "cannot read " + schema + "." + TABLE + ": " + e.getMessage());
        }
        Cell cell = new Cell(spec, pool, median(single), created, measured.get(0).perSecond(), escrow.errors(), escrow.firstError.get(), measured.get(1).perSecond(),
                measured.get(2).perSecond(), cpu < 0 || requests == 0 ? Double.NaN : cpu / 1e3 / requests, check);
        options.progress().printf(Locale.ROOT, "  %s pool %d: one enrollment %.0f ms (median of %d on an idle server); %s escrowed keys/s; CA issuance %s/s; JCA keygen %s/s; database %s%n", spec.configName(), pool,
                cell.singleMillis(), SINGLE_ENROLLMENTS, Results.rate(cell.rate()), Results.rate(cell.caIssue()), Results.rate(cell.jcaKeygen()), check.text());
        return cell;
    }

    static String escrowBody(String mailbox, KeySpec spec) {
        return "{\"mailbox\":" + Json.quote(mailbox) + ",\"keySpec\":" + Json.quote(spec.configName()) + ",\"passphrase\":" + Json.quote(PASSPHRASE) + "}";
    }

    /** Plain JCA key generation of the spec, 2 threads (the machine's cores): the bound of server-side generation. */
    private static Meter.Load keygenLoad(KeySpec spec) {
        List<Meter.Operation> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            threads.add(() -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm());
                generator.initialize(spec.parameters());
                generator.generateKeyPair();
            });
        }
        return new Meter.Load("jca-keygen", threads);
    }

    /** The server JVM's CPU time (user + system) from /proc, or -1. */
    static long cpuNanos(ProcessHandle process) {
        try {
            String[] stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat")).replaceFirst(".*\\) ", "").split(" ");
            long ticks = Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
            return ticks * 10_000_000L;
        } catch (Exception e) {
            return -1;
        }
    }

    private static long count(Connection connection, String schema, String what) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery("SELECT " + what + " FROM " + schema + "." + TABLE)) {
            row.next();
            return row.getLong(1);
        }
    }

    /** openssl genpkey RSA-3072, two processes at a time for 20 keys: what the same machine's C code does, once per run. */
    private static double opensslRsaKeygen(Path base, Options options) throws Exception {
        int keys = 20;
        long start = System.nanoTime();
        List<Process> running = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            running.add(new ProcessBuilder("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out",
                    base.resolve("openssl-" + i + ".key").toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            if (running.size() == 2) {
                for (Process p : running) {
                    p.waitFor();
                }
                running.clear();
            }
        }
        for (Process p : running) {
            p.waitFor();
        }
        double rate = keys * 1e9 / (System.nanoTime() - start);
        options.progress().printf(Locale.ROOT, "openssl genpkey RSA-3072, 2 processes: %.1f keys/s%n", rate);
        return rate;
    }

    /**
     * A mailbox with {@value #RECOVERY_KEYS} archived RSA-3072 keys, three recovery agents, and {@value #RECOVERY_ROUNDS} rounds
     * of request, approve, approve (timed from here), download (to here). Every download is opened and must hold all keys.
     */
    private Recovery recover(LetterlockServer server, Options options) throws Exception {
        LetterlockServer.Credential officer = server.createAdmin("bench-recovery-ra", CaApi.RA_ROLE);
        List<LetterlockServer.Credential> agents = new ArrayList<>();
        for (String name : List.of("bench-ann", "bench-ben", "bench-cid")) {
            agents.add(server.createAdmin(name, "recovery-agent"));
        }
        String mailbox = "recovered@example.org";
        for (int i = 0; i < RECOVERY_KEYS; i++) {
            server.json("POST", "/api/escrow/keys", officer, escrowBody(mailbox, KeySpec.RSA_3072), 201);
        }
        List<Double> release = new ArrayList<>();
        List<Double> download = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        long size = 0;
        for (int round = 0; round < RECOVERY_ROUNDS; round++) {
            Map<String, Object> request = server.json("POST", "/api/escrow/recoveries", officer, "{\"mailbox\":" + Json.quote(mailbox)
                    + ",\"reason\":\"benchmark round " + round + "\"}", 201);
            String id = Json.string(request, "id");
            server.json("POST", "/api/escrow/recoveries/" + id + "/approve", agents.get(0), "{}", 200);
            long start = System.nanoTime();
            Map<String, Object> released = server.json("POST", "/api/escrow/recoveries/" + id + "/approve", agents.get(1), "{}", 200);
            long approved = System.nanoTime();
            Map<String, Object> delivered = server.json("POST", "/api/escrow/recoveries/" + id + "/download", officer, "{}", 200);
            long end = System.nanoTime();
            if (!"released".equals(Json.string(released, "state"))) {
                throw new IllegalStateException("the second approval did not release recovery " + id + ": " + released);
            }
            byte[] p12 = Base64.getDecoder().decode(Json.string(delivered, "pkcs12"));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(p12), Json.string(delivered, "passphrase").toCharArray());
            long keys = Collections.list(store.aliases()).stream().filter(a -> {
                try {
                    return store.isKeyEntry(a);
                } catch (Exception e) {
                    return false;
                }
            }).count();
            if (keys != RECOVERY_KEYS) {
                throw new IllegalStateException("recovery " + id + " delivered " + keys + " keys, expected " + RECOVERY_KEYS);
            }
            size = p12.length;
            if (round > 0) {
                // The first round warms the code paths up; it is not counted.
                release.add((approved - start) / 1e6);
                download.add((end - approved) / 1e6);
                total.add((end - start) / 1e6);
            }
        }
        options.progress().printf(Locale.ROOT, "recovery of %d keys: median %.0f ms from the releasing approval to the PKCS#12, slowest %.0f ms%n",
                RECOVERY_KEYS, median(total), Collections.max(total));
        return new Recovery(release, download, total, RECOVERY_KEYS, size);
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    static Results results(List<Cell> cells, Recovery recovery, double opensslRsa, Map<String, String> settings, Options options) {
        List<List<String>> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Cell cell : cells) {
            boolean errors = !cell.errors().isEmpty();
            rows.add(List.of(cell.spec().configName(), cell.spec().keyAlgorithm().equals("RSA") ? Integer.toString(cell.pool()) : Results.NONE,
                    String.format(Locale.ROOT, "%.0f", cell.singleMillis()), errors ? "FAILED (errors)" : Results.rate(cell.rate()), Results.rate(cell.caIssue()), Results.percent(cell.rate() / cell.caIssue()),
                    Results.rate(cell.jcaKeygen()), Double.isNaN(cell.serverCpuMicros()) ? Results.NONE : String.format(Locale.ROOT, "%,.0f", cell.serverCpuMicros()),
                    errors ? Startup.statuses(new TreeMap<>(toInt(cell.errors()))) : "none", cell.database().text()));
            if (errors) {
                notes.add(cell.spec().configName() + " pool " + cell.pool() + ": answers other than 201: " + Startup.statuses(new TreeMap<>(toInt(cell.errors())))
                        + ". The first: " + cell.firstError());
            }
        }
        cells.stream().filter(c -> c.spec() == KeySpec.EC_P256).findFirst().ifPresent(c -> notes.add("EC P-256: target >= "
                + String.format(Locale.ROOT, "%,.0f", P256_TARGET) + " mailboxes/s: " + (c.errors().isEmpty() && c.database().ok() && c.rate() >= P256_TARGET
                ? "met" : "NOT MET") + ", " + Results.rate(c.rate()) + "/s (" + String.format(Locale.ROOT, "%,d", c.created()) + " in the measured slices), "
                + Results.percent(c.rate() / c.caIssue()) + " of the same server's CA issuance rate from client CSRs in the same slices."));
        notes.add("RSA-3072: no target but the rate and its bound. openssl genpkey RSA-3072 with 2 processes in this run: "
                + String.format(Locale.ROOT, "%.1f", opensslRsa) + " keys/s; JCA in this JVM (2 threads) in the cells' slices: column 'JCA keygen'. "
                + "With the pool the server answers from pre-generated keys until the pool is drained, then at its generation rate: the pool keeps "
                + "one enrollment fast ('one enrollment ms': median of " + SINGLE_ENROLLMENTS + " requests one after the other on the idle server, "
                + "after " + POOL_FILL.toSeconds() + " s for the pool to fill), it cannot raise the sustained rate above key generation.");
        if (recovery != null) {
            notes.add(String.format(Locale.ROOT, "Recovery of a mailbox with %d archived RSA-3072 keys (%d rounds after one warm-up round; PKCS#12 of %,d bytes "
                            + "opened by Java's KeyStore each time and holding all %d keys): releasing approval median %.0f ms; download median %.0f ms, slowest "
                            + "%.0f ms; approval + download median %.0f ms, slowest %.0f ms. Target < %d ms after the last approval: %s.", recovery.keys(),
                    recovery.totalMillis().size(), recovery.p12Bytes(), recovery.keys(), median(recovery.releaseMillis()), median(recovery.downloadMillis()),
                    Collections.max(recovery.downloadMillis()), median(recovery.totalMillis()), Collections.max(recovery.totalMillis()), RECOVERY_TARGET.toMillis(),
                    Collections.max(recovery.totalMillis()) < RECOVERY_TARGET.toMillis() ? "met (every round)" : "NOT MET"));
        }
        notes.add("Each request: a distinct mailbox, key spec as in the row, a chosen passphrase (so the generated-passphrase path is not timed), "
                + "modern PKCS#12 in the 201; as an ra-officer (HTTP Basic). The CA issuance column: the same client and threads posting EC P-256 CSRs "
                + "to POST /api/ca/certificates on the same server, interleaved in slices of " + CaIssue.SLICE.toSeconds() + " s. 'server CPU' is the "
                + "server JVM's CPU time (/proc) over the measured slices divided by all requests answered in them (both loads).");
        notes.add("Each cell: `./letterlock start` on a fresh data folder with LETTERLOCK_ESCROW_RSA_POOL as in the row, SoftHSM2 in that folder, "
                + "PostgreSQL " + settings.getOrDefault("server_version", "?") + " on a fresh schema (synchronous_commit=" + settings.getOrDefault("synchronous_commit", "?")
                + ", fsync=" + settings.getOrDefault("fsync", "?") + "). Only 201 counts; the rows added to " + TABLE + " must equal the 201s, each with its "
                + "own certificate serial (last column). No peer escrow product ran: Dogtag's KRA and EJBCA cannot be installed from this machine's "
                + "registries (Maven Central, Debian, npm), so the comparison is with CA issuance alone and key generation alone.");
        return new Results(List.of("key spec", "RSA pool", "one enrollment ms", "escrowed keys/s", "CA issuance/s (same slices)", "escrow vs issuance", "JCA keygen 2 threads/s",
                "server CPU us/request", "errors", "database check"), rows, notes);
    }

    private static Map<Integer, Integer> toInt(Map<Integer, Long> counts) {
        Map<Integer, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, (int) Math.min(Integer.MAX_VALUE, v)));
        return out;
    }
}
