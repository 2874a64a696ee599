package org.letterlock.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyVault;

/**
 * OCSP responses per second over HTTP with keep-alive, RFC 5019 GET form (base64 DER request, URL-encoded, as the
 * path), from Letterlock's {@code /ocsp} endpoint with responses cached, and POST with a nonce (signed per request);
 * next to, in the same run and interleaved: {@code openssl ocsp} as a responder (1 process and {@code -multi 2}),
 * nginx serving one DER response as a static file (the HTTP ceiling), and the raw signing rate of the vault on
 * SoftHSM2 with one EC P-256 key. Targets: cached GET at least 3x openssl -multi 2 and at least half of nginx; nonce POST
 * at least 80% of the raw vault signing rate.
 */
public final class OcspServe implements Benchmark {
    static final int GOOD = 100;
    static final int REVOKED = 10;
    /** Distinct nonce requests the POST load cycles through; each thread walks them in turn, so none repeats before this many. */
    static final int NONCE_BODIES = 50_000;
    /** How many nonce requests are checked (answer, status, nonce echoed) before timing. */
    static final int NONCE_CHECKS = 20;
    /** Compared loads take turns in slices of about this length (wrk runs whole seconds). */
    static final Duration SLICE = Duration.ofSeconds(2);
    static final double TARGET_VS_OPENSSL = 3.0;
    static final double TARGET_VS_NGINX = 0.5;
    static final double TARGET_NONCE_VS_VAULT = 0.8;
    static final KeySpec VAULT_KEY = KeySpec.EC_P256;

    /** nginx answers every path with the one DER response. */
    static final List<String> NGINX_LOCATION = List.of("default_type application/ocsp-response;", "try_files /ocsp-good.der =404;");

    static final String OPENSSL_1 = "openssl ocsp, 1 process";
    static final String OPENSSL_2 = "openssl ocsp -multi 2";
    static final String NGINX = "nginx, static file";
    static final String LETTERLOCK_GET = "Letterlock, cached GET";
    static final String LETTERLOCK_NONCE = "Letterlock, POST with nonce";
    static final String LISTENER_GET = "Letterlock OCSP listener, cached GET";
    static final String LISTENER_NONCE = "Letterlock OCSP listener, POST with nonce";
    static final String VAULT_1 = "vault sign, SoftHSM2 P-256, 1 thread";
    static final String VAULT_2 = "vault sign, SoftHSM2 P-256, 2 threads";

    /**
     * One row: an HTTP target measured with wrk (its runs combined), or the vault's signing rate.
     *
     * @param request what was sent, for the table
     * @param wrk     the measured runs combined; null for the vault rows
     * @param rate    responses (or signatures) per second
     */
    record Row(String target, String request, Wrk.Result wrk, double rate) {
        static Row http(String target, String request, Wrk.Result wrk) {
            return new Row(target, request, wrk, wrk.perSecond());
        }

        boolean failed() {
            return wrk != null && wrk.failed();
        }
    }

    @Override
    public String name() {
        return "ocsp-serve";
    }

    @Override
    public String summary() {
        return "OCSP responses/s over HTTP keep-alive (wrk -t" + Wrk.THREADS + " -c" + Wrk.CONNECTIONS + "): Letterlock's /ocsp cached GET (RFC 5019) "
                + "and POST with a nonce, for " + (GOOD + REVOKED) + " certificates, next to openssl ocsp (1 process, -multi 2), nginx serving "
                + "the DER as a static file, and the raw SoftHSM2 P-256 vault signing rate, interleaved.";
    }

    @Override
    public String timing(Options options) {
        return Bench.seconds(options.measure()) + " s per load after a " + Bench.seconds(options.warmUp()) + " s warm-up, in slices of about "
                + SLICE.toSeconds() + " s (wrk runs whole seconds)";
    }

    @Override
    public Results run(Options options) throws Exception {
        Shell.require(name(), List.of("wrk", "nginx", "openssl", "unshare", "nsenter", "ip"), "as root, apt-get install -y wrk nginx openssl util-linux "
                + "iproute2 (the nginx package's own server need not run: the benchmark starts its own on 127.0.0.1)");
        Path root = options.root();
        Path base = options.dataDir().resolve("ocsp-serve");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(root, options);
        SecureRandom random = new SecureRandom();
        Map<String, String> facts = new LinkedHashMap<>();

        try (Processes processes = new Processes("ocsp-serve")) {
            options.progress().println("  starting Letterlock (./letterlock start, H2 and SoftHSM2 in " + base.resolve("letterlock") + ") ...");
            int listenerPort = Processes.freePort();
            String listener = "http://127.0.0.1:" + listenerPort;
            LetterlockServer server = LetterlockServer.start(root, base.resolve("letterlock"), Map.of("LETTERLOCK_CA_OCSP_PORT", Integer.toString(listenerPort)),
                    processes);
            CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
            options.progress().println("  issuing " + (GOOD + REVOKED) + " mailbox-signing certificates, revoking " + REVOKED + " ...");
            CaApi.OcspSet set = ca.issueForOcsp(GOOD, REVOKED);
            List<CaApi.Issued> issued = set.issued();
            List<Ocsp.Status> statuses = set.statuses();
            X509CertificateHolder issuer = set.issuer();
            List<BigInteger> serials = issued.stream().map(CaApi.Issued::serial).toList();

            // Letterlock's requests: one GET path per certificate; the nonce bodies cycle through the certificates.
            List<CertificateID> ids = serials.stream().map(s -> Ocsp.certId(issuer, s)).toList();
            List<String> getPaths = ids.stream().map(id -> Ocsp.getPath(Ocsp.request(id, null))).toList();
            List<byte[]> nonces = new ArrayList<>();
            List<byte[]> nonceBodies = new ArrayList<>();
            for (int i = 0; i < NONCE_BODIES; i++) {
                nonces.add(Ocsp.nonce(random));
                nonceBodies.add(Ocsp.request(ids.get(i % ids.size()), nonces.get(i)));
            }
            options.progress().println("  checking Letterlock's answer to every GET and to " + NONCE_CHECKS + " nonce POSTs ...");
            facts.put(LETTERLOCK_GET, checkGets(server.base() + "/ocsp/", getPaths, ids, statuses, issuer));
            facts.put(LETTERLOCK_NONCE, checkPosts(server.base() + "/ocsp", nonceBodies.subList(0, NONCE_CHECKS), ids, statuses, nonces, issuer));
            facts.put(LISTENER_GET, checkGets(listener + "/ocsp/", getPaths, ids, statuses, issuer));
            facts.put(LISTENER_NONCE, checkPosts(listener + "/ocsp", nonceBodies.subList(0, NONCE_CHECKS), ids, statuses, nonces, issuer));

            Path script = Wrk.writeScript(base.resolve("wrk.lua"));
            Path letterlockGets = base.resolve("letterlock-get.txt");
            Wrk.writePaths(letterlockGets, getPaths);
            Path letterlockPosts = base.resolve("letterlock-nonce.hex");
            Wrk.writeBodies(letterlockPosts, nonceBodies);
            Peers peers = preparePeers(base, serials, statuses, facts);

            List<Row> rows;
            Process nginx = null;
            try (OcspPeers.Namespace namespace = new OcspPeers.Namespace(processes, peers.dir());
                 KeyVault vault = VaultSign.openPkcs11(options)) {
                PeerLoads peerLoads = peerLoads(processes, namespace, peers, script, facts);
                nginx = peerLoads.nginx();
                Map<String, Meter.Timed> loads = new LinkedHashMap<>(peerLoads.loads());
                loads.put(LETTERLOCK_GET, new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(),
                        Wrk.command(seconds, script, server.base(), "GET", "/ocsp/", "-", letterlockGets, start))));
                loads.put(LETTERLOCK_NONCE, new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(),
                        Wrk.command(seconds, script, server.base(), "POST", "/ocsp", "application/ocsp-request", letterlockPosts, start))));
                loads.put(LISTENER_GET, new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(),
                        Wrk.command(seconds, script, listener, "GET", "/ocsp/", "-", letterlockGets, start))));
                loads.put(LISTENER_NONCE, new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(),
                        Wrk.command(seconds, script, listener, "POST", "/ocsp", "application/ocsp-request", letterlockPosts, start))));
                Meter.Load sign1 = VaultSign.vaultLoad(vault, VAULT_KEY, 1, options);
                Meter.Load sign2 = VaultSign.vaultLoad(vault, VAULT_KEY, 2, options);
                loads.put(VAULT_1, nanos -> Meter.runFor(sign1, nanos));
                loads.put(VAULT_2, nanos -> Meter.runFor(sign2, nanos));
                // Peers and Letterlock take turns: A L B L ..., and the reverse in the next slice.
                rows = measure(List.of(OPENSSL_1, LISTENER_GET, LETTERLOCK_GET, OPENSSL_2, LISTENER_NONCE, LETTERLOCK_NONCE, NGINX, VAULT_2, VAULT_1), loads,
                        ids.size(), options, facts);
            } finally {
                if (nginx != null) {
                    processes.stopWithChildren(nginx.toHandle(), OcspPeers.GRACE);
                }
            }
            facts.put("issuer", issuer.getSubject().toString());
            server.stop();
            return results(rows, facts, options);
        }
    }

    /**
     * The peers' side, under {@code base/peer} and {@code base/nginx}: a CA of their own (EC P-256, like Letterlock's
     * default issuing key) made with {@code openssl req}, an index for {@code openssl ocsp} holding the same serials with
     * the same statuses, the GET paths for those serials under that CA, the probe request (the first serial), and
     * nginx's file: {@code openssl ocsp}'s answer to the probe.
     */
    record Peers(Path dir, Path nginxDir, X509CertificateHolder ca, List<CertificateID> ids, Path probe, Path gets) {
    }

    static Peers preparePeers(Path base, List<BigInteger> serials, List<Ocsp.Status> statuses, Map<String, String> facts) throws IOException {
        Path dir = base.resolve("peer");
        Files.createDirectories(dir);
        Shell.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.resolve("ca.key").toString(),
                "-out", dir.resolve("ca.pem").toString(), "-subj", "/CN=Letterlock bench OCSP peer CA", "-days", "30"));
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        StringBuilder index = new StringBuilder();
        for (int i = 0; i < serials.size(); i++) {
            index.append(OcspPeers.indexLine(serials.get(i), statuses.get(i) == Ocsp.Status.REVOKED, now.plusDays(365), now.minusHours(1),
                    "/CN=user" + (i + 1) + "@example.org")).append('\n');
        }
        Files.writeString(dir.resolve("index.txt"), index);
        X509CertificateHolder ca = Ocsp.certificate(Files.readString(dir.resolve("ca.pem")));
        List<CertificateID> ids = serials.stream().map(s -> Ocsp.certId(ca, s)).toList();
        Path gets = base.resolve("peer-get.txt");
        Wrk.writePaths(gets, ids.stream().map(id -> Ocsp.getPath(Ocsp.request(id, null))).toList());
        Path probe = dir.resolve("probe.der");
        Files.write(probe, Ocsp.request(ids.get(0), null));
        Path nginxDir = base.resolve("nginx");
        Files.createDirectories(nginxDir);
        Shell.run(List.of("openssl", "ocsp", "-index", dir.resolve("index.txt").toString(), "-CA", dir.resolve("ca.pem").toString(),
                "-rsigner", dir.resolve("ca.pem").toString(), "-rkey", dir.resolve("ca.key").toString(), "-ndays", "1",
                "-reqin", probe.toString(), "-respout", nginxDir.resolve("ocsp-good.der").toString()));
        facts.put(NGINX, "the response to the first certificate's request, made by `openssl ocsp -reqin ... -respout`: "
                + Ocsp.Checked.summary(List.of(Ocsp.check(Files.readAllBytes(nginxDir.resolve("ocsp-good.der")), ids.get(0), Ocsp.Status.GOOD, null, ca))));
        facts.put("nginx", Nginx.version());
        facts.put("wrk", Shell.runOr(List.of("dpkg-query", "-W", "-f=${Version}", "wrk"), "?"));
        return new Peers(dir, nginxDir, ca, ids, probe, gets);
    }

    /** The peers' loads by label, and nginx, which stays up until it is stopped. */
    record PeerLoads(Map<String, Meter.Timed> loads, Process nginx) {
    }

    /**
     * Starts nginx, starts and checks the responder once with 1 and with 2 processes, and returns the peers' loads: each
     * openssl run starts a responder of its own and stops it after.
     */
    static PeerLoads peerLoads(Processes processes, OcspPeers.Namespace namespace, Peers peers, Path script, Map<String, String> facts)
            throws IOException, InterruptedException {
        int nginxPort = Processes.freePort();
        String firstPath = Files.readAllLines(peers.gets()).get(0);
        Process nginx = Nginx.start(processes, peers.nginxDir(), nginxPort, NGINX_LOCATION, "/" + firstPath, 200);
        Path responderLog = peers.dir().resolve("responder.log");
        Map<String, Meter.Timed> loads = new LinkedHashMap<>();
        List<String> enter = namespace.enter(List.of());
        String responderUrl = "http://127.0.0.1:" + OcspPeers.RESPONDER_PORT;
        for (int count : List.of(1, 2)) {
            String label = count == 1 ? OPENSSL_1 : OPENSSL_2;
            Process responder = OcspPeers.startResponder(processes, namespace, peers.dir(), count, peers.probe(), responderLog);
            processes.stopWithChildren(responder.toHandle(), OcspPeers.GRACE);
            facts.put(label, "the readiness probe (openssl ocsp -reqin, POST) was answered: " + Ocsp.Checked.summary(List.of(
                    Ocsp.check(Files.readAllBytes(peers.dir().resolve("probe-response.der")), peers.ids().get(0), Ocsp.Status.GOOD, null, peers.ca()))));
            loads.put(label, new Wrk.Load((seconds, start) -> {
                Process running = OcspPeers.startResponder(processes, namespace, peers.dir(), count, peers.probe(), responderLog);
                try {
                    return Wrk.run(processes, enter, Wrk.command(seconds, script, responderUrl, "GET", "/", "-", peers.gets(), start));
                } finally {
                    processes.stopWithChildren(running.toHandle(), OcspPeers.GRACE);
                }
            }));
        }
        loads.put(NGINX, new Wrk.Load((seconds, start) -> Wrk.run(processes, List.of(),
                Wrk.command(seconds, script, "http://127.0.0.1:" + nginxPort, "GET", "/", "-", peers.gets(), start))));
        return new PeerLoads(loads, nginx);
    }

    /**
     * Warms each load up, then measures them interleaved in the given order; returns the rows in the table's order.
     * HTTP loads are {@link Wrk.Load}s (their warm-up runs are dropped); the others sign with the vault.
     */
    static List<Row> measure(List<String> order, Map<String, Meter.Timed> byLabel, int certificates, Options options, Map<String, String> facts) throws Exception {
        List<Meter.Timed> loads = order.stream().map(byLabel::get).toList();
        if (!options.warmUp().isZero()) {
            options.progress().println("  warming up each load for " + Bench.seconds(options.warmUp()) + " s ...");
            for (int i = 0; i < loads.size(); i++) {
                Meter.Rate rate = loads.get(i).runFor(options.warmUp().toNanos());
                progress(options, "warm-up", order.get(i), rate.perSecond(), loads.get(i));
            }
            loads.stream().filter(Wrk.Load.class::isInstance).forEach(load -> ((Wrk.Load) load).runs.clear());
        }
        options.progress().println("  measuring, interleaved in slices of about " + SLICE.toSeconds() + " s; load average " + Machine.loadAverage());
        List<Meter.Measurement> measured = Meter.interleavedTimed(loads, Duration.ZERO, options.measure(), SLICE);
        facts.put("load", Machine.loadAverage());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            String label = order.get(i);
            rows.add(loads.get(i) instanceof Wrk.Load load ? Row.http(label, request(label, certificates), Wrk.Result.combine(load.runs))
                    : new Row(label, "signatures, " + VAULT_KEY.configName() + " key on the bench token", null, measured.get(i).perSecond()));
            progress(options, "measured", label, rows.get(i).rate(), loads.get(i));
        }
        List<String> table = List.of(OPENSSL_1, OPENSSL_2, NGINX, LISTENER_GET, LISTENER_NONCE, LETTERLOCK_GET, LETTERLOCK_NONCE, VAULT_1, VAULT_2);
        rows.sort(java.util.Comparator.comparingInt(r -> table.indexOf(r.target())));
        return rows;
    }

    private static void progress(Options options, String phase, String label, double rate, Meter.Timed timed) {
        String wrk = "";
        if (timed instanceof Wrk.Load load && !load.runs.isEmpty()) {
            Wrk.Result all = Wrk.Result.combine(load.runs);
            wrk = String.format(Locale.ROOT, ", p99 %.2f ms", all.latency(99)) + (all.failed() ? ", ERRORS: " + all.errors() : "");
        }
        options.progress().printf(Locale.ROOT, "    %-9s %-38s %9s/s%s%n", phase, label, Results.rate(rate), wrk);
    }

    static String request(String label, int certificates) {
        return switch (label) {
            case OPENSSL_1, OPENSSL_2 -> "GET, " + certificates + " serials; HTTP/1.0, a new connection per response";
            case NGINX -> "GET, the peers' " + certificates + " paths, one file";
            case LETTERLOCK_GET -> "GET /ocsp/{request} on the HTTP port (servlet), " + certificates + " serials";
            case LISTENER_GET -> "GET /ocsp/{request} on letterlock.ca.ocsp.port, " + certificates + " serials";
            case LISTENER_NONCE -> "POST /ocsp on letterlock.ca.ocsp.port, " + Ocsp.NONCE_BYTES + "-byte nonce, " + String.format(Locale.ROOT, "%,d", NONCE_BODIES)
                    + " bodies";
            case LETTERLOCK_NONCE -> "POST /ocsp, " + Ocsp.NONCE_BYTES + "-byte nonce, " + String.format(Locale.ROOT, "%,d", NONCE_BODIES) + " bodies";
            default -> "";
        };
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    /** GETs every path once and checks the answer; returns what the answers looked like. */
    static String checkGets(String prefix, List<String> paths, List<CertificateID> ids, List<Ocsp.Status> statuses, X509CertificateHolder issuer)
            throws IOException, InterruptedException {
        List<Ocsp.Checked> seen = new ArrayList<>();
        Set<String> caching = new LinkedHashSet<>();
        for (int i = 0; i < paths.size(); i++) {
            String url = prefix + paths.get(i);
            HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            seen.add(checkAnswer("GET " + url, response, ids.get(i), statuses.get(i), null, issuer));
            caching.add(response.headers().firstValue("Cache-Control").orElse("none").replaceAll("max-age=\\d+", "max-age=<seconds left>"));
        }
        return Ocsp.Checked.summary(seen) + "; Cache-Control: " + String.join(" | ", caching);
    }

    private static String checkPosts(String url, List<byte[]> bodies, List<CertificateID> ids, List<Ocsp.Status> statuses, List<byte[]> nonces,
                                     X509CertificateHolder issuer) throws IOException, InterruptedException {
        List<Ocsp.Checked> seen = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/ocsp-request").POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            seen.add(checkAnswer("POST " + url + " (body " + Base64.getEncoder().encodeToString(bodies.get(i)) + ")", response, ids.get(i % ids.size()),
                    statuses.get(i % ids.size()), nonces.get(i), issuer));
        }
        return Ocsp.Checked.summary(seen) + ", nonce echoed";
    }

    /** An answer must be 200 application/ocsp-response with the right OCSP content; fails with the exact request and answer. */
    private static Ocsp.Checked checkAnswer(String request, HttpResponse<byte[]> response, CertificateID id, Ocsp.Status status, byte[] nonce,
                                      X509CertificateHolder issuer) {
        Optional<String> type = response.headers().firstValue("Content-Type");
        if (response.statusCode() != 200 || type.isEmpty() || !type.get().startsWith("application/ocsp-response")) {
            throw new IllegalStateException(request + " answered " + response.statusCode() + " " + type.orElse("(no Content-Type)") + ": "
                    + Json.abbreviate(new String(response.body(), java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
        try {
            return Ocsp.check(response.body(), id, status, nonce, issuer);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(request + " answered an OCSP response that is wrong: " + e.getMessage(), e);
        }
    }

    static Results results(List<Row> rows, Map<String, String> facts, Options options) {
        Map<String, Row> byTarget = new LinkedHashMap<>();
        rows.forEach(r -> byTarget.put(r.target(), r));
        // Targets are judged on Letterlock's fastest OCSP path, the dedicated listener; the servlet's ratios follow.
        Row get = byTarget.get(LISTENER_GET);
        Row nonce = byTarget.get(LISTENER_NONCE);
        List<List<String>> table = new ArrayList<>();
        for (Row row : rows) {
            String compared = Results.NONE;
            if (List.of(OPENSSL_1, OPENSSL_2, NGINX).contains(row.target())) {
                compared = ratio(get, row, "x");
            } else if (List.of(VAULT_1, VAULT_2).contains(row.target())) {
                compared = ratio(nonce, row, "%");
            }
            table.add(List.of(row.target(), row.request(), row.failed() ? "FAILED (errors)" : Results.rate(row.rate()),
                    row.wrk() == null ? Results.NONE : millis(row.wrk().latency(50)), row.wrk() == null ? Results.NONE : millis(row.wrk().latency(99)),
                    row.wrk() == null ? Results.NONE : row.failed() ? row.wrk().errors() : "none", compared));
        }
        List<String> notes = new ArrayList<>();
        notes.add(target("Letterlock listener cached GET / openssl ocsp -multi 2", get, byTarget.get(OPENSSL_2), TARGET_VS_OPENSSL, false));
        notes.add(target("Letterlock listener cached GET / nginx static file", get, byTarget.get(NGINX), TARGET_VS_NGINX, false));
        notes.add("On the HTTP port (servlet): cached GET / openssl ocsp -multi 2 = " + ratio(byTarget.get(LETTERLOCK_GET), byTarget.get(OPENSSL_2), "x")
                + ", / nginx = " + ratio(byTarget.get(LETTERLOCK_GET), byTarget.get(NGINX), "x") + "; nonce POST / vault 2 threads = "
                + ratio(byTarget.get(LETTERLOCK_NONCE), byTarget.get(VAULT_2), "%") + ".");
        notes.add(target("Letterlock listener nonce POST / raw vault signing, 2 threads", nonce, byTarget.get(VAULT_2), TARGET_NONCE_VS_VAULT, true)
                + " (against 1 thread: " + ratio(nonce, byTarget.get(VAULT_1), "%") + "; the server signs from several threads at once, so the 2-thread "
                + "rate, the machine's, is the one the target is judged against)");
        List<String> failed = rows.stream().filter(Row::failed).map(r -> r.target() + ": " + r.wrk().errors()).toList();
        if (!failed.isEmpty()) {
            notes.add("RUNS WITH ERRORS, reported as FAILED and not as a rate: " + String.join("; ", failed) + ".");
        }
        notes.add("Last column: Letterlock's cached GET rate over the peer's (openssl, nginx rows), Letterlock's nonce POST rate over the "
                + "vault's signing rate (vault rows).");
        notes.add("Load: wrk " + facts.getOrDefault("wrk", "?") + " -t" + Wrk.THREADS + " -c" + Wrk.CONNECTIONS + " --latency --timeout "
                + Wrk.TIMEOUT_SECONDS + "s with a Lua script that cycles through pre-built requests (bench/target/bench-data/ocsp-serve/wrk.lua); every "
                + "load was warmed up for " + Bench.seconds(options.warmUp()) + " s, then the loads took turns in slices of about " + SLICE.toSeconds()
                + " s (wrk runs whole seconds), A L B L ... and the reverse, for " + Bench.seconds(options.measure()) + " s each. wrk counts answers with "
                + "status >= 400 and connect/read/write/timeout errors; p50/p99 are the worst of the slices. Load average after the slices: "
                + facts.getOrDefault("load", "?") + ".");
        notes.add("Requests: one SHA-1 CertID each, for " + GOOD + " good and " + REVOKED + " revoked certificates; GET without a nonce, the base64 "
                + "DER URL-encoded as the path (RFC 5019); POST with a " + Ocsp.NONCE_BYTES + "-byte nonce (RFC 8954), " + String.format(Locale.ROOT, "%,d", NONCE_BODIES)
                + " distinct bodies that the wrk threads walk in turn, so no nonce repeats before that many requests. Checked before timing (status, "
                + "signature, CertID, good/revoked, nonce echoed) for every GET path and " + NONCE_CHECKS + " nonce POSTs.");
        notes.add("Letterlock: `./letterlock start` on a fresh data folder (bench/target/bench-data/ocsp-serve/letterlock; H2, SoftHSM2 token in the "
                + "folder), certificates issued by an ra-officer through POST /api/ca/certificates (profile mailbox-signing, EC P-256 CSRs) under "
                + facts.getOrDefault("issuer", "?") + "; answers to GET: " + facts.getOrDefault(LETTERLOCK_GET, "?") + "; to POST with a nonce: "
                + facts.getOrDefault(LETTERLOCK_NONCE, "?") + ".");
        notes.add("openssl ocsp: `openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -port " + OcspPeers.RESPONDER_PORT
                + " -ndays 1 [-multi 2]` with a CA of its own (EC P-256, `openssl req -x509`) and an index holding Letterlock's serials and statuses, "
                + "in a network namespace of its own holding only loopback (`unshare -n`, joined with `nsenter`: OpenSSL 3.0's -port binds every "
                + "interface), wrk in the same namespace; restarted for every run (openssl/openssl#31129), and it closes the connection after every "
                + "response. Its answer: " + facts.getOrDefault(OPENSSL_1, "?") + ".");
        notes.add("nginx " + facts.getOrDefault("nginx", "?") + ", `worker_processes 2; access_log off;`, one DER response as a static file for every "
                + "path (`" + String.join(" ", NGINX_LOCATION) + "`) on 127.0.0.1: the HTTP ceiling; the file is "
                + facts.getOrDefault(NGINX, "?") + ".");
        notes.add("Raw vault signing: the pkcs11 vault on the bench's own SoftHSM2 token (bench/target/bench-data/softhsm), one " + VAULT_KEY.configName()
                + " key, each thread with its own signer signing " + VaultSign.MESSAGE.length + " bytes back to back (as in vault-sign), measured in "
                + "the same slices as the HTTP loads.");
        return new Results(List.of("target", "requests", "responses/s", "p50, ms", "p99, ms", "errors", "Letterlock vs this"), table, notes);
    }

    /** {@code a / b} as "3.2x" or "85%", or "-" when either failed or is missing. */
    static String ratio(Row a, Row b, String style) {
        if (a == null || b == null || a.failed() || b.failed() || b.rate() == 0) {
            return Results.NONE;
        }
        double ratio = a.rate() / b.rate();
        return style.equals("x") ? String.format(Locale.ROOT, "%.2fx", ratio) : Results.percent(ratio);
    }

    /** A target line: the ratio, the target and whether it is met; a failed side makes it "cannot be judged". */
    static String target(String what, Row a, Row b, double target, boolean percent) {
        String goal = percent ? ">= " + Results.percent(target) : String.format(Locale.ROOT, ">= %sx", target == Math.rint(target) ? Long.toString((long) target) : Double.toString(target));
        if (a == null || b == null) {
            return what + ": target " + goal + ": not measured.";
        }
        if (a.failed() || b.failed()) {
            return what + ": target " + goal + ": CANNOT BE JUDGED, " + (a.failed() ? a.target() : b.target()) + " had errors.";
        }
        double ratio = a.rate() / b.rate();
        String shown = percent ? Results.percent(ratio) : String.format(Locale.ROOT, "%.2fx", ratio);
        return what + " = " + shown + " (" + Results.rate(a.rate()) + " / " + Results.rate(b.rate()) + "/s): target " + goal + ": "
                + (ratio >= target ? "met" : "NOT MET") + ".";
    }

    private static String millis(double value) {
        return Double.isNaN(value) ? Results.NONE : String.format(Locale.ROOT, "%.2f", value);
    }
}
