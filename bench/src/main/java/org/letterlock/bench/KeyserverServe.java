package org.letterlock.bench;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

/**
 * The keyserver's targets, against its peers in the same run, on PostgreSQL (a fresh schema, dropped at the end):
 * <ul>
 * <li>bulk import of {@value #KEYS} keys with {@code ./letterlock keyserver import} (target: at least
 * {@value #TARGET_IMPORT} keys/s), next to {@code sks build} of the same dump (which checks no signature);</li>
 * <li>HKP {@code op=get&options=mr} by fingerprint with those keys loaded, wrk on Letterlock's HKP port and on
 * {@code /pks} on its HTTP port, interleaved with SKS serving the same keys (target: at least {@value #TARGET_VS_SKS}x
 * SKS);</li>
 * <li>LDAP {@code (mail=addr)} searches for {@value #MAILBOXES} mailboxes with their S/MIME certificates, UnboundID's
 * SearchRate against Letterlock's directory and slapd (mdb, {@code index mail eq}) holding the same entries, read from
 * Letterlock's answers, interleaved (target: at least {@value #TARGET_VS_SLAPD} of slapd).</li>
 * </ul>
 */
public final class KeyserverServe implements Benchmark {
    static final int KEYS = 100_000;
    static final int MAILBOXES = 10_000;
    /** Fingerprints in wrk's request file, drawn at random from the dump. */
    static final int LOOKUPS = 20_000;
    static final double TARGET_IMPORT = 2_000;
    static final double TARGET_VS_SKS = 2.0;
    static final double TARGET_VS_SLAPD = 0.7;
    static final Duration SLICE = Duration.ofSeconds(2);
    static final int SEARCH_THREADS = 8;
    static final int SEARCH_INTERVAL_SECONDS = 2;
    /** Threads issuing the mailboxes' certificates through the API. */
    static final int ISSUING_THREADS = 4;
    static final String HKP_GET = "/pks/lookup?op=get&options=mr&search=0x";

    static final String SKS = "SKS, HKP port";
    static final String HKP_PORT = "Letterlock, HKP port";
    static final String HKP_SERVLET = "Letterlock, /pks on the HTTP port";
    static final String SLAPD = "slapd, mdb";
    static final String LDAP = "Letterlock LDAP";

    private static final Pattern IMPORTED = Pattern.compile("read ([\\d,]+) keys in ([\\d.]+) s \\(([\\d,]+) keys/s\\): ([\\d,]+) stored, ([\\d,]+) rejected");

    @Override
    public String name() {
        return "keyserver";
    }

    @Override
    public String summary() {
        return String.format(Locale.ROOT, "keyserver on PostgreSQL: import of %,d keys (vs sks build), HKP op=get by fingerprint (wrk) vs SKS, "
                + "LDAP (mail=...) for %,d mailboxes (SearchRate) vs slapd", KEYS, MAILBOXES);
    }

    @Override
    public String timing(Options options) {
        return "HKP " + Bench.seconds(options.measure()) + " s per load after a " + Bench.seconds(options.warmUp()) + " s warm-up in slices of about "
                + SLICE.toSeconds() + " s; LDAP SearchRate runs of " + SEARCH_INTERVAL_SECONDS + " s intervals (one warm-up interval each) taking turns for "
                + Bench.seconds(options.measure()) + " s per directory";
    }

    /** The import as the command line reported it. */
    record Import(long read, double seconds, long stored, long rejected) {
        double perSecond() {
            return read / seconds;
        }
    }

    /** A directory's SearchRate runs. */
    record Searches(String target, List<KeyserverPeers.SearchRateResult> runs) {
        long searches() {
            return runs.stream().mapToLong(KeyserverPeers.SearchRateResult::searches).sum();
        }

        double perSecond() {
            double seconds = runs.stream().mapToDouble(KeyserverPeers.SearchRateResult::seconds).sum();
            return seconds == 0 ? 0 : searches() / seconds;
        }

        double averageMillis() {
            return searches() == 0 ? 0 : runs.stream().mapToDouble(r -> r.averageMillis() * r.searches()).sum() / searches();
        }

        long errors() {
            return runs.stream().mapToLong(KeyserverPeers.SearchRateResult::errors).sum();
        }

        /** Each search should find its one mailbox. */
        double entriesPerSearch() {
            return searches() == 0 ? 0 : runs.stream().mapToDouble(r -> r.entriesPerSearch() * r.searches()).sum() / searches();
        }

        boolean failed() {
            return errors() > 0 || Math.abs(entriesPerSearch() - 1) > 0.001;
        }
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Shell.require(name(), List.of("wrk", "sks", "slapd", "slapadd"), "as root, apt-get install -y wrk sks slapd (their own daemons need not run)");
        Path base = options.dataDir().resolve("keyserver");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        OpenPgpKeyDump.Dump dump = OpenPgpKeyDump.ensure(options.dataDir().resolve("openpgp-keys"), 0, KEYS, options.progress());
        Map<String, String> facts = new LinkedHashMap<>(KeyserverPeers.facts());
        facts.put("postgres", AuditAppend.postgresSettings(postgres).getOrDefault("server_version", "?"));
        String schema = CaIssue.randomSchema();
        try (Processes processes = new Processes(name());
             Connection admin = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD));
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = CaIssue.serverDatabase(postgres, schema);
                int hkpPort = Processes.freePort();
                int ldapPort = Processes.freePort();
                config.put("LETTERLOCK_KEYSERVER_HKP_PORT", Integer.toString(hkpPort));
                config.put("LETTERLOCK_KEYSERVER_LDAP_PORT", Integer.toString(ldapPort));
                config.put("LETTERLOCK_KEYSERVER_LDAPS_PORT", "0");
                Path dir = base.resolve("letterlock");
                options.progress().println("  starting Letterlock on PostgreSQL schema " + schema + " (dropped at the end), HKP on " + hkpPort + ", LDAP on " + ldapPort
                        + " ...");
                LetterlockServer server = LetterlockServer.start(options.root(), dir, config, processes);
                try {
                    Import imported = importKeys(server, dump, options);
                    List<OcspServe.Row> hkp = measureHkp(server, hkpPort, dump, base, processes, options, facts);
                    List<Searches> ldap = measureLdap(server, ldapPort, admin, schema, base, processes, options, facts);
                    return results(imported, hkp, ldap, facts);
                } finally {
                    server.stop();
                }
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** {@code ./letterlock keyserver import} beside the running server (both on the schema), then {@code sks build} of the same dump. */
    static Import importKeys(LetterlockServer server, OpenPgpKeyDump.Dump dump, Options options) throws Exception {
        options.progress().printf(Locale.ROOT, "  importing %,d keys with ./letterlock keyserver import ...%n", dump.count());
        String output = server.launcher(List.of("keyserver", "import", dump.keys().toString()), KeyserverPeers.BUILD_LIMIT);
        Import imported = parseImport(output);
        if (imported.stored() != dump.count()) {
            throw new IllegalStateException("the import stored " + imported.stored() + " of " + dump.count() + " keys:\n" + output);
        }
        options.progress().printf(Locale.ROOT, "    %,d keys in %.1f s: %,.0f keys/s%n", imported.read(), imported.seconds(), imported.perSecond());
        return imported;
    }

    /** The command line's summary line: "read N keys in S s (R keys/s): N stored, N rejected; ...". */
    static Import parseImport(String output) {
        Matcher m = IMPORTED.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("./letterlock keyserver import printed no summary:\n" + output);
        }
        return new Import(number(m.group(1)), Double.parseDouble(m.group(2)), number(m.group(4)), number(m.group(5)));
    }

    static long number(String digits) {
        return Long.parseLong(digits.replace(",", ""));
    }

    private List<OcspServe.Row> measureHkp(LetterlockServer server, int hkpPort, OpenPgpKeyDump.Dump dump, Path base, Processes processes, Options options,
                                         Map<String, String> facts) throws Exception {
        int sksPort = Processes.freePort();
        options.progress().printf(Locale.ROOT, "  building SKS from the same %,d keys (sks build, pbuild) ...%n", dump.count());
        KeyserverPeers.SksBuild sks = KeyserverPeers.buildSks(base.resolve("sks"), dump.keys(), sksPort, processes);
        facts.put("sks build", String.format(Locale.ROOT, "%,d keys: build %.1f s (%,.0f keys/s), pbuild %.1f s", dump.count(), sks.build(),
                dump.count() / sks.build(), sks.prefixTree()));
        Process sksDb = KeyserverPeers.startSks(sks, processes);
        List<String> fingerprints = dump.readFingerprints();
        Random random = new Random(42);
        List<String> lookups = new ArrayList<>(LOOKUPS);
        for (int i = 0; i < LOOKUPS; i++) {
            lookups.add(fingerprints.get(random.nextInt(fingerprints.size())));
        }
        String sksUrl = "http://127.0.0.1:" + sksPort;
        String hkpUrl = "http://127.0.0.1:" + hkpPort;
        awaitHttp(sksUrl + HKP_GET + lookups.get(0), Duration.ofSeconds(60));
        for (String url : List.of(sksUrl, hkpUrl, server.base())) {
            for (String fingerprint : lookups.subList(0, 20)) {
                checkKey(url + HKP_GET + fingerprint, fingerprint);
            }
        }
        facts.put("answers checked", "20 fingerprints on each target: 200, an armored key with that fingerprint");
        Path script = Wrk.writeScript(base.resolve("wrk.lua"));
        Path paths = base.resolve("hkp-fingerprints.txt");
        Wrk.writePaths(paths, lookups);
        Map<String, Meter.Timed> loads = new LinkedHashMap<>();
        loads.put(SKS, hkpLoad(processes, script, sksUrl, paths));
        loads.put(HKP_PORT, hkpLoad(processes, script, hkpUrl, paths));
        loads.put(HKP_SERVLET, hkpLoad(processes, script, server.base(), paths));
        try {
            return measureWrk(List.of(SKS, HKP_PORT, HKP_SERVLET), loads, options, facts);
        } finally {
            processes.stop(sksDb.toHandle());
        }
    }

    static Wrk.Load hkpLoad(Processes processes, Path script, String url, Path fingerprints) {
        return new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(), Wrk.command(seconds, script, url, "GET", HKP_GET, "-", fingerprints, start)));
    }

    /** The loads warmed up, then measured interleaved; one row per load, its wrk runs combined. */
    static List<OcspServe.Row> measureWrk(List<String> order, Map<String, Meter.Timed> loads, Options options, Map<String, String> facts) throws Exception {
        if (!options.warmUp().isZero()) {
            for (String label : order) {
                loads.get(label).runFor(options.warmUp().toNanos());
                ((Wrk.Load) loads.get(label)).runs.clear();
            }
        }
        options.progress().println("  measuring HKP, interleaved in slices of about " + SLICE.toSeconds() + " s; load average " + Machine.loadAverage());
        Meter.interleavedTimed(order.stream().map(loads::get).toList(), Duration.ZERO, options.measure(), SLICE);
        facts.put("load after HKP", Machine.loadAverage());
        List<OcspServe.Row> rows = new ArrayList<>();
        for (String label : order) {
            Wrk.Result all = Wrk.Result.combine(((Wrk.Load) loads.get(label)).runs);
            rows.add(OcspServe.Row.http(label, "GET op=get&options=mr&search=0x<fingerprint>", all));
            options.progress().printf(Locale.ROOT, "    %-36s %9s/s, p99 %.2f ms%s%n", label, Results.rate(all.perSecond()), all.latency(99),
                    all.failed() ? ", ERRORS: " + all.errors() : "");
        }
        return rows;
    }

    static void awaitHttp(String url, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(url + " did not answer 200 within " + limit.toSeconds() + " s");
            }
            Thread.sleep(250);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    /** A 200 whose body is an armored key with this fingerprint. */
    static void checkKey(String url, String fingerprint) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode());
        }
        try (InputStream armored = new ArmoredInputStream(new java.io.ByteArrayInputStream(response.body()))) {
            PGPPublicKeyRing key = new PGPPublicKeyRing(armored, new BcKeyFingerprintCalculator());
            String served = HexFormat.of().withUpperCase().formatHex(key.getPublicKey().getFingerprint());
            if (!served.equals(fingerprint)) {
                throw new IllegalStateException(url + " served key " + served);
            }
        }
    }

    private List<Searches> measureLdap(LetterlockServer server, int ldapPort, Connection admin, String schema, Path base, Processes processes, Options options,
                                       Map<String, String> facts) throws Exception {
        options.progress().printf(Locale.ROOT, "  %,d verified mailboxes (rows) and a mailbox-signing certificate each through the API ...%n", MAILBOXES);
        verifiedMailboxes(admin, schema, java.util.stream.IntStream.range(0, MAILBOXES).mapToObj(OpenPgpKeyDump::address).toList());
        issueCertificates(server);
        options.progress().println("  reading Letterlock's " + MAILBOXES + " mailbox entries into LDIF and loading slapd ...");
        Path ldif = base.resolve("mailboxes.ldif");
        int certificates = exportEntries(ldapPort, ldif);
        facts.put("ldap entries", String.format(Locale.ROOT, "%,d mailboxes, %,d certificates (userCertificate;binary and userSMIMECertificate;binary)", MAILBOXES,
                certificates));
        Path conf = KeyserverPeers.buildSlapd(base.resolve("slapd"), ldif, processes);
        int slapdPort = Processes.freePort();
        Process slapd = KeyserverPeers.startSlapd(conf, slapdPort, processes);
        try {
            awaitSameEntry(slapdPort, ldapPort, Duration.ofSeconds(30));
            Path jar = KeyserverPeers.unboundIdJar();
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put(SLAPD, slapdPort);
            ports.put(LDAP, ldapPort);
            Map<String, List<KeyserverPeers.SearchRateResult>> runs = new LinkedHashMap<>();
            ports.keySet().forEach(label -> runs.put(label, new ArrayList<>()));
            int intervals = 2;
            long rounds = Math.max(1, Math.round(options.measure().toSeconds() / (double) (intervals * SEARCH_INTERVAL_SECONDS)));
            options.progress().println("  measuring LDAP with SearchRate (" + SEARCH_THREADS + " threads), " + rounds + " rounds; load average "
                    + Machine.loadAverage());
            for (long round = 0; round < rounds; round++) {
                List<String> order = new ArrayList<>(ports.keySet());
                if (round % 2 == 1) {
                    Collections.reverse(order);
                }
                for (String label : order) {
                    String output = processes.run(KeyserverPeers.searchRate(jar, ports.get(label), MAILBOXES, SEARCH_THREADS, SEARCH_INTERVAL_SECONDS, intervals),
                            Duration.ofMinutes(2));
                    runs.get(label).add(KeyserverPeers.parseSearchRate(output, SEARCH_INTERVAL_SECONDS));
                }
            }
            facts.put("load after LDAP", Machine.loadAverage());
            List<Searches> measured = new ArrayList<>();
            runs.forEach((label, results) -> {
                Searches searches = new Searches(label, results);
                options.progress().printf(Locale.ROOT, "    %-36s %9s/s, average %.2f ms, %d errors%n", label, Results.rate(searches.perSecond()),
                        searches.averageMillis(), searches.errors());
                measured.add(searches);
            });
            return measured;
        } finally {
            processes.stop(slapd.toHandle());
        }
    }

    /** The mailboxes' identities, verified, as rows: the mailed confirmation is not what is measured. */
    static void verifiedMailboxes(Connection admin, String schema, Iterable<String> addresses) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (PreparedStatement insert = admin.prepareStatement("INSERT INTO " + schema + ".mailbox_identity (address, owner, created_at, verified_at) VALUES (?, ?, ?, ?)")) {
            for (String address : addresses) {
                insert.setString(1, address);
                insert.setString(2, address);
                insert.setObject(3, now);
                insert.setObject(4, now);
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot register the mailboxes: " + e.getMessage(), e);
        }
    }

    private static void issueCertificates(LetterlockServer server) throws Exception {
        CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
        ExecutorService pool = Executors.newFixedThreadPool(ISSUING_THREADS);
        try {
            List<Future<?>> issued = new ArrayList<>();
            for (int t = 0; t < ISSUING_THREADS; t++) {
                int first = t;
                issued.add(pool.submit(() -> {
                    for (int i = first; i < MAILBOXES; i += ISSUING_THREADS) {
                        String mailbox = OpenPgpKeyDump.address(i);
                        ca.issue(mailbox, Ocsp.csr(Ocsp.ecP256(), mailbox));
                    }
                    return null;
                }));
            }
            for (Future<?> done : issued) {
                done.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each mailbox's entry as Letterlock's directory answers {@code (mail=...)}, written as LDIF under the suffix entries; the certificates counted. */
    private static int exportEntries(int ldapPort, Path ldif) throws Exception {
        int certificates = 0;
        try (LDAPConnection connection = new LDAPConnection("127.0.0.1", ldapPort);
             BufferedWriter out = Files.newBufferedWriter(ldif, StandardCharsets.UTF_8)) {
            out.write(KeyserverPeers.ldifHeader());
            for (int i = 0; i < MAILBOXES; i++) {
                SearchResult result = connection.search(KeyserverPeers.SUFFIX, SearchScope.SUB, "(mail=" + OpenPgpKeyDump.address(i) + ")");
                if (result.getEntryCount() != 1) {
                    throw new IllegalStateException("Letterlock's directory answered (mail=" + OpenPgpKeyDump.address(i) + ") with " + result.getEntryCount() + " entries");
                }
                SearchResultEntry entry = result.getSearchEntries().get(0);
                Attribute certificate = entry.getAttribute("userCertificate;binary");
                if (certificate == null) {
                    throw new IllegalStateException(entry.getDN() + " has no userCertificate;binary");
                }
                certificates += certificate.size();
                out.write(forSlapd(entry).toLDIFString());
                out.write("\n");
            }
        }
        return certificates;
    }

    /**
     * The entry as slapd takes it: OpenLDAP allows the {@code ;binary} option only on certificate-syntax attributes, so
     * {@code userSMIMECertificate;binary} goes in as {@code userSMIMECertificate} (the same bytes).
     */
    static com.unboundid.ldap.sdk.Entry forSlapd(SearchResultEntry entry) {
        com.unboundid.ldap.sdk.Entry copy = entry.duplicate();
        Attribute smime = copy.getAttribute("userSMIMECertificate;binary");
        if (smime != null) {
            copy.removeAttribute(smime.getName());
            copy.addAttribute(new Attribute("userSMIMECertificate", smime.getValueByteArrays()));
        }
        return copy;
    }

    /** slapd answers, and both directories give the same certificates for the first mailbox. */
    private static void awaitSameEntry(int slapdPort, int ldapPort, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String filter = "(mail=" + OpenPgpKeyDump.address(0) + ")";
        while (true) {
            try (LDAPConnection slapd = new LDAPConnection("127.0.0.1", slapdPort); LDAPConnection letterlock = new LDAPConnection("127.0.0.1", ldapPort)) {
                byte[][] peer = slapd.searchForEntry(KeyserverPeers.SUFFIX, SearchScope.SUB, filter, "userCertificate;binary").getAttribute("userCertificate;binary")
                        .getValueByteArrays();
                byte[][] ours = letterlock.searchForEntry(KeyserverPeers.SUFFIX, SearchScope.SUB, filter, "userCertificate;binary")
                        .getAttribute("userCertificate;binary").getValueByteArrays();
                if (!Arrays.deepEquals(peer, ours)) {
                    throw new IllegalStateException("slapd and Letterlock give different certificates for " + filter);
                }
                return;
            } catch (com.unboundid.ldap.sdk.LDAPException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("slapd did not answer " + filter + " within " + limit.toSeconds() + " s: " + e.getMessage(), e);
                }
                Thread.sleep(250);
            }
        }
    }

    static Results results(Import imported, List<OcspServe.Row> hkp, List<Searches> ldap, Map<String, String> facts) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("import (./letterlock keyserver import)", String.format(Locale.ROOT, "%,d keys", imported.read()), Results.rate(imported.perSecond()) + " keys/s",
                "-", String.format(Locale.ROOT, "target %,.0f keys/s: %s", TARGET_IMPORT, imported.perSecond() >= TARGET_IMPORT ? "met" : "NOT met")));
        double sks = hkp.get(0).rate();
        for (OcspServe.Row row : hkp) {
            String verdict = row.failed() ? "ERRORS: " + row.wrk().errors()
                    : row.target().equals(SKS) ? "peer" : String.format(Locale.ROOT, "%.2fx SKS (target %.1fx): %s", row.rate() / sks, TARGET_VS_SKS,
                    row.rate() / sks >= TARGET_VS_SKS ? "met" : "NOT met");
            rows.add(List.of(row.target(), row.request(), Results.rate(row.rate()) + "/s", String.format(Locale.ROOT, "%.2f ms", row.wrk().latency(99)), verdict));
        }
        double slapd = ldap.get(0).perSecond();
        for (Searches searches : ldap) {
            String verdict = searches.failed() ? String.format(Locale.ROOT, "FAILED: %d errors, %.3f entries per search", searches.errors(), searches.entriesPerSearch())
                    : searches.target().equals(SLAPD) ? "peer" : String.format(Locale.ROOT, "%s of slapd (target %s): %s", Results.percent(searches.perSecond() / slapd),
                    Results.percent(TARGET_VS_SLAPD), searches.perSecond() / slapd >= TARGET_VS_SLAPD ? "met" : "NOT met");
            rows.add(List.of(searches.target(), "(mail=userN@example.org), SearchRate " + SEARCH_THREADS + " threads", Results.rate(searches.perSecond()) + "/s",
                    String.format(Locale.ROOT, "avg %.2f ms", searches.averageMillis()), verdict));
        }
        List<String> notes = new ArrayList<>();
        facts.forEach((key, value) -> notes.add(key + ": " + value));
        notes.add("SKS builds its database without checking a signature; Letterlock's import checks every self-signature and back-signature, strips what "
                + "does not verify and writes both views of each key.");
        return new Results(List.of("target", "request", "rate", "latency (p99 / average)", "verdict"), rows, notes);
    }
}
