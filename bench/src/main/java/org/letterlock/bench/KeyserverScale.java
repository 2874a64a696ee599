package org.letterlock.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The keyserver's scale target: HKP lookup latency flat (p99 within 20%) from 10,000 to 1,000,000 keys. One server on a
 * fresh PostgreSQL schema, filled with {@code ./letterlock keyserver import} in three steps (to 10,000, 100,000 and
 * 1,000,000 keys); after each, wrk on the HKP port asks by fingerprint: hot (a sample of the stored keys, answered from
 * memory after their first lookup) and cold (keys never asked before, each once: the database's index at that size).
 * After each import the keyserver's tables are vacuumed and analysed and a checkpoint is forced, as a store that grew
 * over time would be. The store only grows, so the phases cannot be interleaved: the load average around each is reported.
 */
public final class KeyserverScale implements Benchmark {
    static final List<Integer> SIZES = List.of(10_000, 100_000, 1_000_000);
    /** Keys asked hot, and keys asked cold, per phase; each set drawn from the keys of that phase's import. */
    static final int HOT = 5_000;
    static final int COLD = 4_000;
    static final double TOLERANCE = 0.20;
    static final List<String> KEYSERVER_TABLES = List.of("keyserver_key", "keyserver_subkey", "keyserver_user_id");
    /**
     * wrk's duration for the cold run: its threads stop when they have sent their keys, but wrk still reports the whole
     * duration, so the cold run gives a latency, not a rate. Long enough for the 4,000 database reads at a few thousand a
     * second.
     */
    static final int COLD_SECONDS = 5;

    /** One size: the import step that reached it, and the two lookups. */
    record Phase(int keys, KeyserverServe.Import imported, Wrk.Result hot, Wrk.Result cold, String loadBefore, String loadAfter) {
    }

    @Override
    public String name() {
        return "keyserver-scale";
    }

    @Override
    public String summary() {
        return "HKP op=get by fingerprint on the HKP port at 10,000, 100,000 and 1,000,000 keys (PostgreSQL, filled with ./letterlock keyserver import): "
                + "hot and cold rate and p99 (wrk); target: p99 at 1M within 20% of 10k.";
    }

    @Override
    public String timing(Options options) {
        return "per phase: hot lookups " + Bench.seconds(options.measure()) + " s after a " + Bench.seconds(options.warmUp()) + " s warm-up, then "
                + COLD + " cold lookups, each once";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Shell.require(name(), List.of("wrk"), "as root, apt-get install -y wrk");
        Path base = options.dataDir().resolve("keyserver-scale");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        Path keys = options.dataDir().resolve("openpgp-keys");
        List<OpenPgpKeyDump.Dump> steps = new ArrayList<>();
        int from = 0;
        for (int size : SIZES) {
            steps.add(OpenPgpKeyDump.ensure(keys, from, size - from, options.progress()));
            from = size;
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("postgres", AuditAppend.postgresSettings(postgres).getOrDefault("server_version", "?"));
        String schema = CaIssue.randomSchema();
        List<Phase> phases = new ArrayList<>();
        try (Processes processes = new Processes(name());
             Connection admin = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD));
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = CaIssue.serverDatabase(postgres, schema);
                int hkpPort = Processes.freePort();
                config.put("LETTERLOCK_KEYSERVER_HKP_PORT", Integer.toString(hkpPort));
                config.put("LETTERLOCK_KEYSERVER_LDAP_PORT", "0");
                config.put("LETTERLOCK_KEYSERVER_LDAPS_PORT", "0");
                options.progress().println("  starting Letterlock on PostgreSQL schema " + schema + " (dropped at the end), HKP on " + hkpPort + " ...");
                LetterlockServer server = LetterlockServer.start(options.root(), base.resolve("letterlock"), config, processes);
                try {
                    String url = "http://127.0.0.1:" + hkpPort;
                    Path script = Wrk.writeScript(base.resolve("wrk.lua"));
                    Random random = new Random(7);
                    for (int i = 0; i < steps.size(); i++) {
                        OpenPgpKeyDump.Dump step = steps.get(i);
                        KeyserverServe.Import imported = KeyserverServe.importKeys(server, step, options);
                        // Measured in steady state, as a store that grew over months would be: the bulk load vacuumed and its statistics taken.
                        for (String table : KEYSERVER_TABLES) {
                            statement.execute("VACUUM ANALYZE " + schema + "." + table);
                        }
                        checkpoint(statement, facts, SIZES.get(i));
                        String before = Machine.loadAverage();
                        List<String> fingerprints = step.readFingerprints();
                        List<String> shuffled = new ArrayList<>(fingerprints);
                        java.util.Collections.shuffle(shuffled, random);
                        List<String> hot = shuffled.subList(0, HOT);
                        List<String> cold = shuffled.subList(HOT, HOT + COLD);
                        for (String fingerprint : shuffled.subList(0, 5)) {
                            KeyserverServe.checkKey(url + KeyserverServe.HKP_GET + fingerprint, fingerprint);
                        }
                        Path hotFile = base.resolve("hot-" + SIZES.get(i) + ".txt");
                        Path coldFile = base.resolve("cold-" + SIZES.get(i) + ".txt");
                        Wrk.writePaths(hotFile, hot);
                        Wrk.writePaths(coldFile, cold);
                        Wrk.Load hotLoad = KeyserverServe.hkpLoad(processes, script, url, hotFile);
                        if (!options.warmUp().isZero()) {
                            hotLoad.runFor(options.warmUp().toNanos());
                        }
                        options.progress().printf(Locale.ROOT, "  %,d keys: hot lookups for %d s, then %,d cold ones; load average %s%n", SIZES.get(i),
                                options.measureWholeSeconds(), COLD, before);
                        Wrk.Result hotResult = Wrk.run(processes, List.of(), Wrk.command(options.measureWholeSeconds(), script, url, "GET", KeyserverServe.HKP_GET,
                                "-", hotFile, 0));
                        Wrk.Result coldResult = Wrk.run(processes, List.of(), Wrk.commandOnce(COLD_SECONDS, script, url, "GET", KeyserverServe.HKP_GET, "-",
                                coldFile, 0));
                        Phase phase = new Phase(SIZES.get(i), imported, hotResult, coldResult, before, Machine.loadAverage());
                        options.progress().printf(Locale.ROOT, "    hot %s/s p99 %.2f ms; cold %,d answered, p99 %.2f ms%s%n", Results.rate(hotResult.perSecond()),
                                hotResult.latency(99), coldResult.requests(), coldResult.latency(99),
                                hotResult.failed() || coldResult.failed() ? " ERRORS: " + hotResult.errors() + " " + coldResult.errors() : "");
                        phases.add(phase);
                    }
                } finally {
                    server.stop();
                }
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        return results(phases, facts);
    }

    /**
     * Writes the bulk load out before measuring, so the lookups do not share the disk with the checkpoint it causes
     * (a few GB at 1,000,000 keys). Needs the role pg_checkpoint (PostgreSQL 15: {@code GRANT pg_checkpoint TO <role>});
     * without it the phase is measured anyway and the facts say so.
     */
    private static void checkpoint(Statement statement, Map<String, String> facts, int keys) {
        try {
            statement.execute("CHECKPOINT");
        } catch (java.sql.SQLException e) {
            facts.put("checkpoint at " + keys, "not done (" + e.getMessage().lines().findFirst().orElse("") + "): measured during the checkpoint");
        }
    }

    static Results results(List<Phase> phases, Map<String, String> facts) {
        Phase first = phases.get(0);
        List<List<String>> rows = new ArrayList<>();
        for (Phase phase : phases) {
            rows.add(List.of(String.format(Locale.ROOT, "%,d", phase.keys()), String.format(Locale.ROOT, "%,.0f keys/s", phase.imported().perSecond()),
                    Results.rate(phase.hot().perSecond()) + "/s", millis(phase.hot()), verdict(phase.hot(), first.hot(), phase == first),
                    String.format(Locale.ROOT, "%,d%s", phase.cold().requests(), coldComplete(phase.cold()) ? "" : " (INCOMPLETE)"), millis(phase.cold()), verdict(phase.cold(), first.cold(), phase == first),
                    phase.loadBefore() + " / " + phase.loadAfter()));
        }
        List<String> notes = new ArrayList<>();
        facts.forEach((key, value) -> notes.add(key + ": " + value));
        notes.add("hot: " + HOT + " keys of the phase's import, asked over and over (wrk -t" + Wrk.THREADS + " -c" + Wrk.CONNECTIONS
                + "); cold: " + COLD + " other keys of that import, each asked once, so every answer is read from the database.");
        return new Results(List.of("keys stored", "import step", "hot rate", "hot p99", "hot p99 vs 10k", "cold answered", "cold p99", "cold p99 vs 10k",
                "load before / after"), rows, notes);
    }

    private static String millis(Wrk.Result result) {
        return result.failed() ? "ERRORS: " + result.errors() : String.format(Locale.ROOT, "%.2f ms", result.latency(99));
    }

    /**
     * Every cold key answered once: wrk stops a thread at the end of its share, and the requests its connections still
     * had in flight then go uncounted, at most one per connection.
     */
    static boolean coldComplete(Wrk.Result cold) {
        return !cold.failed() && cold.requests() >= COLD - Wrk.CONNECTIONS;
    }

    static String verdict(Wrk.Result phase, Wrk.Result small, boolean isSmall) {
        if (phase.failed() || small.failed()) {
            return "no verdict: errors";
        }
        if (isSmall) {
            return "baseline";
        }
        double ratio = phase.latency(99) / small.latency(99);
        return String.format(Locale.ROOT, "%.2fx: %s", ratio, ratio <= 1 + TOLERANCE ? "within 20%" : "NOT within 20%");
    }
}
