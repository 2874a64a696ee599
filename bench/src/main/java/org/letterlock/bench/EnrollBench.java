package org.letterlock.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.letterlock.enroll.cmp.CmpClient;

/**
 * Enrollments per second through the enrollment listener (HTTPS, Letterlock's TLS certificate, keep-alive), each for a
 * mailbox of its own with a fresh EC P-256 key: EST simpleenroll authenticated by a one-time enrollment secret, CMP ir
 * MAC-protected under one, and complete ACME orders with the RFC 8823 email challenge answered over SMTP. In the same run
 * and on the same server, interleaved: the CA's own issuance over the REST API (POST /api/ca/certificates as an
 * ra-officer), which is the same certificate without the protocol, so the ratio shows what enrollment adds. Targets
 * (issue #7): EST simpleenroll 1,500/s, CMP ir 1,000/s, ACME 200 complete orders/s.
 */
public final class EnrollBench implements Benchmark {
    static final int CLIENTS = 16;
    static final double EST_TARGET = 1_500;
    static final double CMP_TARGET = 1_000;
    static final double ACME_TARGET = 200;
    /** Orders made before the first slice; each costs a database row for its mailbox and two EC keys. */
    static final int ACME_INITIAL_ORDERS = 400;
    /** The order rate ACME requests are made ahead for until one has been measured (a rough check during development saw about 20/s). */
    static final double ACME_ASSUMED_RATE = 100;
    static final Duration SLICE = Duration.ofSeconds(2);
    /** Requests made before the first slice: a 2 s slice at the CA's REST rate (about 300/s) needs 600; secrets cost a REST call each. */
    static final int INITIAL_REQUESTS = 1_000;
    /** The enrollment rate EST requests are made ahead for until one has been measured: the CA's REST rate is about 300/s. */
    static final double ASSUMED_RATE = 500;

    @Override
    public String name() {
        return "enroll";
    }

    @Override
    public String summary() {
        return "Enrollments/s over the HTTPS enrollment listener (EST simpleenroll and CMP ir, each with a one-time secret and an EC P-256 key, and complete ACME orders "
                + "with the RFC 8823 email challenge answered over SMTP, " + CLIENTS + " client threads per load, "
                + "keep-alive) next to the CA's issuance over the REST API on the same server, interleaved; PostgreSQL and SoftHSM2; certificate rows "
                + "checked against the answers.";
    }

    @Override
    public Results run(Options options) throws Exception {
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        Map<String, String> settings = AuditAppend.postgresSettings(postgres);
        Path base = options.dataDir().resolve("enroll");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        String schema = CaIssue.randomSchema();
        try (Processes processes = new Processes("enroll");
             Connection database = DriverManager.getConnection(postgres.get(AuditAppend.PG_URL), postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD));
             Statement statement = database.createStatement();
             SmtpSink relay = SmtpSink.start(Processes.freePort(), SmtpSink.Settings.countOnly())) {
            statement.execute("CREATE SCHEMA " + schema);
            try {
                Map<String, String> config = CaIssue.serverDatabase(postgres, schema);
                int enrollPort = Processes.freePort();
                config.put("LETTERLOCK_ENROLL_PORT", Integer.toString(enrollPort));
                config.put("LETTERLOCK_KEYSERVER_HKP_PORT", "0");
                config.put("LETTERLOCK_KEYSERVER_LDAP_PORT", "0");
                config.put("LETTERLOCK_KEYSERVER_LDAPS_PORT", "0");
                config.put("LETTERLOCK_GATEWAY_SMTP_PORT", "0");
                // ACME's challenge mails leave through the organisation's relay (the sink), its replies come back to the receiver.
                config.put("LETTERLOCK_MAIL_TRANSPORT", "smtp");
                config.put("LETTERLOCK_MAIL_SMTP_HOST", "127.0.0.1");
                config.put("LETTERLOCK_MAIL_SMTP_PORT", Integer.toString(relay.port()));
                config.put("LETTERLOCK_MAIL_SMTP_STARTTLS", "false");
                int replyPort = Processes.freePort();
                config.put("LETTERLOCK_ENROLL_ACME_REPLY_PORT", Integer.toString(replyPort));
                config.put("LETTERLOCK_ENROLL_ACME_FROM", AcmeMailClient.CHALLENGE_FROM);
                config.put("LETTERLOCK_ENROLL_ACME_TRUSTED_AUTHSERV_IDS", AcmeMailClient.MTA);
                options.progress().println("starting Letterlock on PostgreSQL schema " + schema + " (dropped at the end), SoftHSM2 in " + base.resolve("letterlock") + " ...");
                LetterlockServer server = LetterlockServer.start(options.root(), base.resolve("letterlock"), config, processes);
                try {
                    AcmeMailClient.Mailboxes challenges = new AcmeMailClient.Mailboxes();
                    relay.onArrival(challenges::deliver);
                    return measure(server, URI.create("https://127.0.0.1:" + enrollPort), new Acme(challenges, replyPort), database, schema, settings, options);
                } finally {
                    server.stop();
                }
            } finally {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** Where ACME's challenge mails arrive and the port its replies go to. */
    record Acme(AcmeMailClient.Mailboxes challenges, int replyPort) {
    }

    private Results measure(LetterlockServer server, URI enroll, Acme acme, Connection database, String schema, Map<String, String> settings, Options options) throws Exception {
        CaApi ca = CaApi.asNewOfficer(server, "bench-ra");
        HttpClient tls = CaIssue.PostLoad.loadClient().sslContext(trusting(server)).build();
        CaIssue.CsrPool<CaIssue.PostLoad.Prepared> est = new CaIssue.CsrPool<>("est", options, mailbox -> {
            String secret = secret(server, ca.officer(), mailbox);
            String pem = Ocsp.csr(Ocsp.ecP256(), mailbox);
            String base64 = pem.replaceAll("-----[^-]+-----", "").strip();
            return new CaIssue.PostLoad.Prepared(Map.of("Content-Type", "application/pkcs10", "Content-Transfer-Encoding", "base64", "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString((mailbox + ":" + secret).getBytes(StandardCharsets.UTF_8))), base64.getBytes(StandardCharsets.US_ASCII));
        }, "EST requests (a secret made through POST /api/enroll/secrets and an EC P-256 CSR per mailbox)");
        CaIssue.CsrPool<String> rest = CaIssue.CsrPool.issuance("rest", options);
        est.topUp(INITIAL_REQUESTS);
        rest.topUp(INITIAL_REQUESTS);
        CaIssue.CsrPool<CmpRequest> cmp = new CaIssue.CsrPool<>("cmp", options, mailbox -> new CmpRequest(mailbox, secret(server, ca.officer(), mailbox), Ocsp.ecP256()),
                "CMP requests (a secret made through POST /api/enroll/secrets and an EC P-256 key per mailbox)");
        cmp.topUp(INITIAL_REQUESTS);
        CmpClient cmpClient = CmpClient.forLoad(URI.create(enroll + "/cmp"), trusting(server), root(server));
        ExchangeLoad<CmpRequest> cmpLoad = new ExchangeLoad<>("cmp", cmp, ASSUMED_RATE, java.util.Collections.nCopies(CLIENTS, request -> cmpEnroll(cmpClient, request)));
        CaIssue.CsrPool<AcmeMailClient.Request> orders = new CaIssue.CsrPool<>("acme", options, mailbox -> {
            synchronized (database) {
                // ACME orders only registered mailboxes; registering is not what is measured.
                KeyserverServe.verifiedMailboxes(database, schema, List.of(mailbox));
            }
            KeyPair signing = Ocsp.ecP256();
            return new AcmeMailClient.Request(mailbox, new Es256Signer(Ocsp.ecP256(), AcmeMailClient.SIGNATURES_PER_ORDER), Ocsp.certificationRequest(signing, mailbox));
        }, "ACME orders (a registered mailbox, an EC P-256 account key with the nonce points of its signatures, and an EC P-256 CSR per mailbox)");
        orders.topUp(ACME_INITIAL_ORDERS);
        Map<String, Object> directory = AcmeMailClient.directory(tls, enroll);
        List<AcmeMailClient> mailClients = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
            mailClients.add(new AcmeMailClient(tls, directory, acme.challenges(), acme.replyPort(), trusting(server)));
        }
        ExchangeLoad<AcmeMailClient.Request> acmeLoad = new ExchangeLoad<>("acme", orders, ACME_ASSUMED_RATE, mailClients.stream()
                .<Exchange<AcmeMailClient.Request>>map(client -> client::order).toList());
        CaIssue.PostLoad estLoad = new CaIssue.PostLoad("est", tls, URI.create(enroll + "/.well-known/est/simpleenroll"), 200, est, est::take).assuming(ASSUMED_RATE);
        CaIssue.PostLoad restLoad = new CaIssue.PostLoad("rest", URI.create(server.base() + "/api/ca/certificates"), ca.officer().basic(), rest, null);
        // One enrollment checked by hand before timing: a base64 PKCS#7 certs-only answer holding one certificate for the mailbox.
        checkOne(tls, enroll, est.take());
        long rowsBefore = CaIssue.count(database, schema, "count(*)");
        // One CMP enrollment checked before timing: an ir under the secret answered with a certificate for the mailbox.
        cmpEnroll(cmpClient, cmp.take());
        // One ACME order run before timing: account, order, challenge mail and reply, finalize, download.
        mailClients.get(0).order(orders.take());
        List<Meter.Timed> loads = List.of(estLoad, cmpLoad, acmeLoad, restLoad);
        if (!options.warmUp().isZero()) {
            // In slices, so that each load's pool is topped up for the rate it has shown rather than for the rate assumed before the first.
            for (Meter.Timed load : loads) {
                for (long left = options.warmUp().toNanos(); left > 0; left -= SLICE.toNanos()) {
                    load.runFor(Math.min(left, SLICE.toNanos()));
                }
            }
            options.progress().printf(Locale.ROOT, "  warm-up: EST %s/s, CMP %s/s, ACME %s/s, REST %s/s%n", Results.rate(estLoad.bestRate), Results.rate(cmpLoad.bestRate),
                    Results.rate(acmeLoad.bestRate), Results.rate(restLoad.bestRate));
        }
        List<Meter.Measurement> measured = Meter.interleavedTimed(loads, Duration.ZERO, options.measure(), SLICE);
        long rowsAdded = CaIssue.count(database, schema, "count(*)") - rowsBefore;
        mailClients.forEach(AcmeMailClient::close);
        long answered = estLoad.created.get() + cmpLoad.done.get() + 1 + acmeLoad.done.get() + 1 + restLoad.created.get();
        boolean databaseOk = rowsAdded == answered;
        double estRate = measured.get(0).perSecond();
        double cmpRate = measured.get(1).perSecond();
        double acmeRate = measured.get(2).perSecond();
        double restRate = measured.get(3).perSecond();
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("EST simpleenroll (HTTPS, enrollment secret)", estLoad, estRate, est.inline.get()));
        rows.add(row("CMP ir (HTTPS, MAC under the secret, implicit confirm)", cmpLoad, cmpRate, cmp.inline.get()));
        rows.add(row("ACME order (new account, order, challenge mail and reply over SMTP, finalize, download)", acmeLoad, acmeRate, orders.inline.get()));
        rows.add(row("REST issuance (HTTP, ra-officer; reference)", restLoad, restRate, rest.inline.get()));
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "EST simpleenroll: target >= %,.0f enrollments/s: %s, %s/s, %s of the REST issuance rate in the same run (%s/s).",
                EST_TARGET, estRate >= EST_TARGET && estLoad.errors().isEmpty() ? "met" : "NOT MET", Results.rate(estRate), Results.percent(estRate / restRate),
                Results.rate(restRate)));
        notes.add(String.format(Locale.ROOT, "CMP ir (MAC-protected): target >= %,.0f/s: %s, %s/s, %s of the REST issuance rate in the same run.",
                CMP_TARGET, cmpRate >= CMP_TARGET && cmpLoad.errors.isEmpty() ? "met" : "NOT MET", Results.rate(cmpRate), Results.percent(cmpRate / restRate)));
        notes.add(String.format(Locale.ROOT, "ACME complete orders: target >= %,.0f orders/s: %s, %s/s, %s of the REST issuance rate in the same run.",
                ACME_TARGET, acmeRate >= ACME_TARGET && acmeLoad.errors.isEmpty() ? "met" : "NOT MET", Results.rate(acmeRate), Results.percent(acmeRate / restRate)));
        for (ExchangeLoad<?> load : List.of(cmpLoad, acmeLoad)) {
            if (!load.errors.isEmpty()) {
                notes.add(load.label() + ": " + load.errors.size() + " failed exchanges; the first: " + load.errors.get(0));
            }
        }
        notes.add(String.format(Locale.ROOT, "Database check: %,d certificate rows added during the loads, %,d successful answers (warm-up included): %s.",
                rowsAdded, answered, databaseOk ? "ok" : "MISMATCH"));
        for (CaIssue.PostLoad load : List.of(estLoad, restLoad)) {
            if (!load.firstError.get().isEmpty()) {
                notes.add("The first failed request: " + load.firstError.get());
            }
        }
        notes.add("Load generator: Java HttpClient (HTTP/1.1, keep-alive, answers read on its selector thread), " + CLIENTS + " threads per load, each sending its next pre-made request and "
                + "waiting for the answer; a slice ends when every answer is in. EST: POST " + enroll + "/.well-known/est/simpleenroll, body the base64 "
                + "PKCS#10 (application/pkcs10), HTTP Basic mailbox:secret, TLS trusting only Letterlock's root; only 200 counts. CMP: smime-enroll's Bouncy Castle client (CmpClient) "
                + "posting an ir (one CertReqMsg, POPO by signature) MAC-protected under the mailbox's secret (PasswordBasedMac, its 1,000 iterations through the JDK's SHA-256 "
                + "as the server's), implicitConfirm asked for, the answer's MAC checked and its certificate read; a whole exchange counts once. ACME: a client of the bench's own (ES256 JWS, "
                + "each answer's nonce used for the next request, on the same keep-alive HTTP client; the random nonce points (k, x(kG)) of an order's six "
                + "signatures are made with its account key outside the timed slices, so each of those costs the client a hash and two modular "
                + "multiplications, not a point multiplication; a further one, for a finalize polled, makes its own) runs a whole order per mailbox: new-account with a fresh "
                + "EC P-256 account key, new-order for the email identifier, the authorization, the challenge response; the challenge mail is taken "
                + "from the SMTP sink the server's mail relay points at (letterlock.mail.transport=smtp, in the bench's JVM, standing in for the "
                + "user's mailbox); the reply (From the mailbox, Subject 'Re: ACME: <token-part1>', the ACME RESPONSE block, and an "
                + "Authentication-Results header with dkim=pass from the trusted authserv-id " + AcmeMailClient.MTA + ", as the organisation's MTA "
                + "would add) goes to the reply receiver over STARTTLS on one kept SMTP connection per client thread (Angus Mail); then finalize with "
                + "a CSR for a fresh EC P-256 key, and the PEM chain downloaded and its certificate checked; the mailbox is registered as a database "
                + "row beforehand. REST: POST "
                + "/api/ca/certificates with the JSON body {profile, mailbox, csr}; only 201 counts. Each request is for a mailbox of its own with a "
                + "fresh EC P-256 key; secrets and CSRs are made outside the timed slices (column 'made inline' counts those made inside them).");
        notes.add("Server: `./letterlock start` on a fresh data folder with the SoftHSM2 token in it, PostgreSQL " + settings.getOrDefault("server_version", "?")
                + " on a fresh schema (synchronous_commit=" + settings.getOrDefault("synchronous_commit", "?") + "), the issuing CA's key EC P-256 (default). "
                + "Warm-up " + Bench.seconds(options.warmUp()) + " s per load, then interleaved slices of about " + SLICE.toSeconds() + " s for "
                + Bench.seconds(options.measure()) + " s per load.");
        return new Results(List.of("path", "enrollments/s", "mean ms per request", "errors", "made inline"), rows, notes);
    }

    /** One CMP enrollment to make: a mailbox, its one-time secret and the signing key the client made. */
    record CmpRequest(String mailbox, String secret, java.security.KeyPair key) {
    }

    /** One whole exchange of a protocol, run by one client thread at a time. */
    interface Exchange<T> {
        void run(T request) throws Exception;
    }

    /**
     * {@link #CLIENTS} threads each running whole exchanges (a CMP ir, an ACME order) on requests from a pool, each
     * thread with its own {@link Exchange}; a whole exchange counts once.
     */
    static final class ExchangeLoad<T> implements Meter.Timed {
        final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        double bestRate;
        private final CaIssue.CsrPool<T> pool;
        private final double assumedRate;
        private final Meter.Load load;

        String label() {
            return load.label();
        }

        ExchangeLoad(String label, CaIssue.CsrPool<T> pool, double assumedRate, List<? extends Exchange<T>> perThread) {
            this.pool = pool;
            this.assumedRate = assumedRate;
            List<Meter.Operation> threads = new ArrayList<>();
            for (Exchange<T> exchange : perThread) {
                threads.add(() -> {
                    try {
                        exchange.run(pool.take());
                        done.incrementAndGet();
                    } catch (Exception e) {
                        errors.add(e.toString());
                    }
                });
            }
            load = new Meter.Load(label, threads);
        }

        @Override
        public Meter.Rate runFor(long nanos) throws Exception {
            double expected = bestRate > 0 ? 2 * bestRate : assumedRate;
            pool.topUp((int) Math.ceil(expected * nanos / 1e9) + CLIENTS);
            long before = done.get();
            Meter.Rate all = Meter.runFor(load, nanos);
            long succeeded = done.get() - before;
            double rate = succeeded * 1e9 / all.nanos();
            bestRate = Math.max(bestRate, rate);
            return new Meter.Rate(succeeded, all.nanos(), rate, all.cpuNanos());
        }
    }

    /** An ir under the request's secret (implicitConfirm asked for), its certificate checked to be for the mailbox. */
    static void cmpEnroll(CmpClient client, CmpRequest request) throws Exception {
        CmpClient.Enrollment enrolled = client.enroll(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REQ, new CmpClient.Secret(request.mailbox(), request.secret().toCharArray()),
                request.mailbox(), request.key(), false, true, null);
        if (!enrolled.signing().getSubject().toString().contains(request.mailbox())) {
            throw new IllegalStateException("CMP answered a certificate for " + enrolled.signing().getSubject() + ", not " + request.mailbox());
        }
    }

    private static org.bouncycastle.cert.X509CertificateHolder root(LetterlockServer server) throws Exception {
        HttpResponse<byte[]> root = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.base() + "/ca/root.crt")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new org.bouncycastle.cert.X509CertificateHolder(root.body());
    }

    private static List<String> row(String path, ExchangeLoad<?> load, double rate, long inline) {
        return List.of(path, load.errors.isEmpty() ? Results.rate(rate) : "FAILED (errors)", rate == 0 ? Results.NONE : String.format(Locale.ROOT, "%.1f", CLIENTS * 1000 / rate),
                load.errors.isEmpty() ? "none" : Integer.toString(load.errors.size()), Long.toString(inline));
    }

    private static List<String> row(String path, CaIssue.PostLoad load, double rate, long inline) {
        return List.of(path, load.errors().isEmpty() ? Results.rate(rate) : "FAILED (errors)", rate == 0 ? Results.NONE : String.format(Locale.ROOT, "%.1f", CLIENTS * 1000 / rate),
                load.errors().isEmpty() ? "none" : load.errors().toString(), Long.toString(inline));
    }

    private static void checkOne(HttpClient tls, URI enroll, CaIssue.PostLoad.Prepared request) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(enroll + "/.well-known/est/simpleenroll")).POST(HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach(builder::header);
        HttpResponse<String> response = tls.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || !response.headers().firstValue("Content-Type").orElse("").startsWith("application/pkcs7-mime")) {
            throw new IllegalStateException("EST simpleenroll answered " + response.statusCode() + " " + response.headers().firstValue("Content-Type").orElse("")
                    + ": " + Json.abbreviate(response.body()));
        }
        int certificates = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pkcs7(response.body()))).size();
        if (certificates != 1) {
            throw new IllegalStateException("EST simpleenroll answered a certs-only structure with " + certificates + " certificates, not the one issued");
        }
    }

    private static byte[] pkcs7(String base64) {
        return Base64.getMimeDecoder().decode(base64.strip());
    }

    private static String secret(LetterlockServer server, LetterlockServer.Credential officer, String mailbox) {
        try {
            Map<String, Object> made = server.json("POST", "/api/enroll/secrets", officer, "{\"mailbox\":" + Json.quote(mailbox) + "}", 201);
            return Json.string(made, "secret");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make an enrollment secret: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static SSLContext trusting(LetterlockServer server) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(root(server).getEncoded())));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
