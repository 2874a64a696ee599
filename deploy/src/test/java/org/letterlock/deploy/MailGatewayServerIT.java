package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.letterlock.mail.PostfixHop;

/**
 * The SMTP gateway in the running server (PostgreSQL, SoftHSM2 keys) between swaks and a private Postfix next hop:
 * STARTTLS into the gateway verified against the root the server publishes, S/MIME to a mailbox whose certificate was
 * issued through the REST API and opened by openssl cms, passphrase mail to an external domain under a policy and a
 * passphrase set through the REST API, bad input answered with problem+json, the audit log, and a queued message that
 * survives a restart of the server while the next hop is down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MailGatewayServerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String OWNER = "it-owner";
    private static final String AUDITOR = "it-auditor";
    private static final String PASSWORD = "-correct-horse-battery";
    private static final String PASSPHRASE = "correct horse battery staple";
    private static final String CAROL = "carol@example.org";

    private PostgresServer server;
    private Path work;
    private Path[] hopTls;
    private PostfixHop hop;
    private int hopPort;

    @BeforeAll
    void start() throws Exception {
        work = LauncherProcess.WORK.resolve("gateway-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
        // Postfix's certificate is self-signed and the gateway runs with next-hop TLS 'required' (STARTTLS, any
        // certificate): the CA's profiles are for mailboxes, so the API cannot issue a server certificate for the hop.
        Shell.Run made = Shell.run(work, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "hop.key",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2", "-out", "hop.pem");
        assertThat(made.exit()).as(made.output()).isZero();
        hopTls = new Path[] {work.resolve("hop.pem"), work.resolve("hop.key")};
        hop = PostfixHop.start(postfixDir(), Optional.of(hopTls));
        hopPort = hop.port();
        server = PostgresServer.start("gateway-pg", Map.of("LETTERLOCK_GATEWAY_NEXT_HOP", "127.0.0.1:" + hopPort, "LETTERLOCK_GATEWAY_NEXT_HOP_TLS", "required"));
        for (String[] account : new String[][] {{OWNER, "mailbox-owner"}, {AUDITOR, "auditor"}}) {
            HttpResponse<String> created = asAdmin("POST", "/api/admins",
                    "{\"name\":\"" + account[0] + "\",\"roles\":[\"" + account[1] + "\"],\"password\":\"" + account[0] + PASSWORD + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
        server.rootPem(work);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (server != null) {
                server.stop();
            }
        } finally {
            if (hop != null) {
                hop.close();
            }
        }
    }

    /** Postfix's socket paths must stay short: a folder directly in /tmp. */
    private static Path postfixDir() {
        return Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private HttpResponse<String> asAdmin(String method, String path, String json) throws Exception {
        return server.call(method, path, "admin", server.adminPassword, json == null ? null : "application/json", json);
    }

    /** swaks into the server's gateway with STARTTLS required and the gateway's certificate verified against {@code trust}. */
    private Shell.Run swaks(String trust, String from, String to, String subject, String body) throws Exception {
        return Shell.run(work, "swaks", "--from", from, "--to", to, "--server", "127.0.0.1:" + server.launcher.smtpPort, "--tls", "--tls-verify",
                "--tls-ca-path", trust, "--helo", "client.example.org", "--header", "Subject: " + subject, "--body", body);
    }

    private Shell.Run send(String from, String to, String subject, String body) throws Exception {
        Shell.Run sent = swaks(work.resolve("root.pem").toString(), from, to, subject, body);
        assertThat(sent.exit()).as(sent.output()).isZero();
        assertThat(sent.output()).contains("<~  250 2.0.0 Ok: queued as ");
        return sent;
    }

    /** The copy Postfix delivered to {@code recipient}, waiting for it. */
    private String copyFor(String recipient) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path copy : hop.delivered()) {
                String text = Files.readString(copy);
                if (text.contains("Delivered-To: " + recipient)) {
                    return text;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no copy for " + recipient + " in " + WAIT.toSeconds() + " s; queue " + asAdmin("GET", "/api/gateway/queue", null).body()
                + "; Postfix's log:\n" + hop.maillog());
    }

    private String awaitEmptyQueue() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> queue = asAdmin("GET", "/api/gateway/queue", null);
        while (System.nanoTime() < deadline && !queue.body().equals("[]")) {
            Thread.sleep(200);
            queue = asAdmin("GET", "/api/gateway/queue", null);
        }
        assertThat(queue.statusCode()).isEqualTo(200);
        return queue.body();
    }

    /** The server's output since its latest start (the launcher writes the file afresh at each start). */
    private String consoleLog() throws Exception {
        return Files.readString(server.launcher.dataDir.resolve("logs/console.log"));
    }

    @Test
    @Order(1)
    void theLauncherListsTheGatewayAndTheServerListensThere() throws Exception {
        assertThat(server.startOutput).contains("SMTP gateway      smtp://127.0.0.1:" + server.launcher.smtpPort + "  (STARTTLS; next hop 127.0.0.1:" + hopPort
                + "; spool " + server.launcher.dataDir.resolve("spool") + ")");
        assertThat(consoleLog()).contains("SMTP gateway on 127.0.0.1:" + server.launcher.smtpPort + " (STARTTLS), next hop 127.0.0.1:" + hopPort);
    }

    /** A verified mailbox with an encryption certificate issued through the API gets its mail S/MIME encrypted to that key. */
    @Test
    @Order(2)
    void mailToAMailboxWithACertificateArrivesEncryptedAndOpensWithItsKey() throws Exception {
        HttpResponse<String> registered = asAdmin("POST", "/api/identities", "{\"address\":\"" + CAROL + "\",\"owner\":\"" + OWNER + "\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(202);
        server.verifyMailbox(CAROL);
        Shell.Run csr = Shell.run(work, "openssl", "req", "-new", "-nodes", "-newkey", "rsa:3072", "-keyout", "carol.key", "-out", "carol.csr", "-subj",
                "/CN=" + CAROL, "-addext", "subjectAltName=email:" + CAROL);
        assertThat(csr.exit()).as(csr.output()).isZero();
        HttpResponse<String> issued = server.call("POST", "/api/ca/certificates", OWNER, OWNER + PASSWORD, "application/json",
                "{\"profile\":\"mailbox-encryption\",\"mailbox\":\"" + CAROL + "\",\"csr\":" + Shell.json(Files.readString(work.resolve("carol.csr"))) + "}");
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        Files.writeString(work.resolve("carol.pem"), Shell.field(issued.body(), "certificate").replace("\\n", "\n"));

        // The gateway's certificate does not chain to the machine's web CAs: swaks refuses it and sends nothing.
        Shell.Run untrusted = swaks("/etc/ssl/certs/ca-certificates.crt", "alice@example.org", CAROL, "never sent", "never sent");
        assertThat(untrusted.exit()).as(untrusted.output()).isNotZero();
        assertThat(untrusted.output()).contains("certificate verify failed").doesNotContain("<~  250 2.0.0 Ok: queued as ");

        Shell.Run sent = send("alice@example.org", CAROL, "board minutes", "the numbers are in");
        assertThat(sent.output()).contains("TLS started");
        String copy = copyFor(CAROL);
        assertThat(copy).contains("Subject: [...]", "Content-Type: application/pkcs7-mime", "smime-type=enveloped-data",
                "X-Letterlock-Policy: smime; route=next-hop; policy=organisation; key=letterlock-ca").doesNotContain("board minutes", "the numbers are in");
        Path saved = Files.writeString(work.resolve("carol.eml"), copy);
        Shell.Run opened = Shell.run(work, "openssl", "cms", "-decrypt", "-in", saved.toString(), "-recip", "carol.pem", "-inkey", "carol.key");
        assertThat(opened.exit()).as(opened.output()).isZero();
        assertThat(opened.output()).contains("Subject: board minutes", "the numbers are in");
        assertThat(hop.delivered()).hasSize(1);
        assertThat(hop.maillog()).containsPattern("TLS connection established from \\S+\\[127\\.0\\.0\\.1]: TLSv1\\.[23]");
        assertThat(awaitEmptyQueue()).isEqualTo("[]");
    }

    /** A domain policy and a passphrase set through the API: mail to that domain's recipient opens with the passphrase only. */
    @Test
    @Order(3)
    void mailToAnExternalDomainIsEncryptedUnderThePassphraseSetThroughTheApi() throws Exception {
        HttpResponse<String> policy = asAdmin("PUT", "/api/gateway/policies/partner.test", "{\"encryption\":\"any\",\"withoutKey\":\"password\",\"passwordFormat\":\"cms\"}");
        assertThat(policy.statusCode()).as(policy.body()).isEqualTo(200);
        assertThat(policy.body()).contains("\"scope\":\"partner.test\"", "\"level\":\"domain\"", "\"encryption\":\"any\"", "\"withoutKey\":\"password\"",
                "\"passwordFormat\":\"cms\"", "\"updatedBy\":\"admin\"");
        HttpResponse<String> passphrase = asAdmin("PUT", "/api/gateway/passphrases",
                "{\"sender\":\"alice@example.org\",\"recipient\":\"partner.test\",\"passphrase\":" + Shell.json(PASSPHRASE) + "}");
        assertThat(passphrase.statusCode()).as(passphrase.body()).isEqualTo(204);
        HttpResponse<String> effective = asAdmin("GET", "/api/gateway/policies/effective?recipient=bob@partner.test", null);
        assertThat(effective.body()).contains("\"scope\":\"partner.test\"", "\"withoutKey\":\"password\"");

        send("alice@example.org", "bob@partner.test", "contract draft", "the contract is attached");

        String copy = copyFor("bob@partner.test");
        assertThat(copy).contains("Content-Type: multipart/mixed", "Subject: [...]",
                "X-Letterlock-Policy: password (cms); route=next-hop; policy=domain; no key for the recipient; passphrase")
                .doesNotContain("contract draft", "the contract is attached", PASSPHRASE);
        String boundary = copy.substring(copy.indexOf("boundary=\"") + "boundary=\"".length());
        boundary = boundary.substring(0, boundary.indexOf('"'));
        String[] parts = copy.split("\r?\n--" + Pattern.quote(boundary));
        assertThat(parts).as(copy).hasSize(4);
        assertThat(parts[1]).contains("Content-Type: text/plain", "encrypted with a passphrase", "alice@example.org", "openssl cms -decrypt -pwri_password");
        assertThat(parts[2]).contains("Content-Type: application/pkcs7-mime");
        Path part = Files.writeString(work.resolve("bob-part.eml"), parts[2].replaceFirst("^\r?\n", ""));
        Shell.Run opened = Shell.run(work, "openssl", "cms", "-decrypt", "-pwri_password", PASSPHRASE, "-in", part.toString());
        assertThat(opened.exit()).as(opened.output()).isZero();
        assertThat(opened.output()).contains("Subject: contract draft", "the contract is attached");
        Shell.Run wrong = Shell.run(work, "openssl", "cms", "-decrypt", "-pwri_password", "not the passphrase", "-in", part.toString());
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.output()).doesNotContain("the contract is attached");

        assertThat(awaitEmptyQueue()).isEqualTo("[]");
    }

    @Test
    @Order(4)
    void badPolicyAndPassphraseRequestsGetProblemsAndChangeNothing() throws Exception {
        String before = asAdmin("GET", "/api/gateway/policies", null).body();
        String[][] cases = {
                {"/api/gateway/policies/partner.test", "{\"encryption\":\"sometimes\",\"withoutKey\":\"clear\"}", "encryption must be one of"},
                {"/api/gateway/policies/bob@@x", "{\"encryption\":\"none\"}", "bob@@x"},
                {"/api/gateway/policies/partner.test", "{\"encryption\":\"none\",\"withoutKey\":\"shrug\"}", "withoutKey must be one of"},
                {"/api/gateway/policies/partner.test", "{\"withoutKey\":\"clear\"}", "encryption"},
                {"/api/gateway/policies/partner.test", "{not json", "\"status\":400"},
                {"/api/gateway/passphrases", "{\"sender\":\"alice@example.org\",\"recipient\":\"partner.test\"}", "passphrase"},
                {"/api/gateway/passphrases", "{\"sender\":\"alice@example.org\",\"recipient\":\"partner.test\",\"passphrase\":\"short\"}", "at least 8 characters"},
                {"/api/gateway/passphrases", "{\"sender\":\"alice@example.org\",\"recipient\":\"*\",\"passphrase\":\"long enough\"}", "not for everyone"}};
        for (String[] bad : cases) {
            HttpResponse<String> answer = asAdmin("PUT", bad[0], bad[1]);
            assertThat(answer.statusCode()).as(bad[0] + " " + bad[1] + " -> " + answer.body()).isEqualTo(400);
            assertThat(answer.headers().firstValue("Content-Type")).as(bad[0]).hasValue("application/problem+json");
            assertThat(answer.body()).contains("\"status\":400", bad[2]).doesNotContain("Exception");
        }

        HttpResponse<String> anonymous = server.call("PUT", "/api/gateway/policies/partner.test", null, null, "application/json", "{\"encryption\":\"none\"}");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        HttpResponse<String> anonymousQueue = server.call("GET", "/api/gateway/queue", null, null, null, null);
        assertThat(anonymousQueue.statusCode()).isEqualTo(401);

        HttpResponse<String> everyone = server.call("PUT", "/api/gateway/passphrases", OWNER, OWNER + PASSWORD, "application/json",
                "{\"sender\":\"*\",\"recipient\":\"partner.test\",\"passphrase\":\"guessable\"}");
        assertThat(everyone.statusCode()).as(everyone.body()).isEqualTo(403);
        assertThat(everyone.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(everyone.body()).contains("\"status\":403", "ca-admin");
        HttpResponse<String> own = server.call("PUT", "/api/gateway/passphrases", OWNER, OWNER + PASSWORD, "application/json",
                "{\"sender\":\"" + CAROL + "\",\"recipient\":\"partner.test\",\"passphrase\":\"carol's own passphrase\"}");
        assertThat(own.statusCode()).as("the owner of a verified mailbox sets its passphrase: " + own.body()).isEqualTo(204);
        HttpResponse<String> ownerPolicy = server.call("PUT", "/api/gateway/policies/partner.test", OWNER, OWNER + PASSWORD, "application/json",
                "{\"encryption\":\"none\"}");
        assertThat(ownerPolicy.statusCode()).isEqualTo(403);
        assertThat(ownerPolicy.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        // An owner chooses the format of their own mailbox's mail, and nothing else.
        HttpResponse<String> ownFormat = server.call("PUT", "/api/gateway/policies/" + CAROL, OWNER, OWNER + PASSWORD, "application/json", "{\"encryption\":\"pgp\"}");
        assertThat(ownFormat.statusCode()).as(ownFormat.body()).isEqualTo(200);
        assertThat(ownFormat.body()).contains("\"scope\":\"" + CAROL + "\"", "\"level\":\"mailbox\"", "\"encryption\":\"pgp\"", "\"withoutKey\":\"clear\"");
        HttpResponse<String> ownClear = server.call("PUT", "/api/gateway/policies/" + CAROL, OWNER, OWNER + PASSWORD, "application/json", "{\"encryption\":\"none\"}");
        assertThat(ownClear.statusCode()).as(ownClear.body()).isEqualTo(403);
        assertThat(ownClear.body()).contains("any, smime or pgp");
        HttpResponse<String> othersFormat = server.call("PUT", "/api/gateway/policies/dave@example.org", OWNER, OWNER + PASSWORD, "application/json",
                "{\"encryption\":\"pgp\"}");
        assertThat(othersFormat.statusCode()).as(othersFormat.body()).isEqualTo(403);
        HttpResponse<String> ownReset = server.call("DELETE", "/api/gateway/policies/" + CAROL, OWNER, OWNER + PASSWORD, null, null);
        assertThat(ownReset.statusCode()).as(ownReset.body()).isEqualTo(204);

        assertThat(asAdmin("GET", "/api/gateway/policies", null).body()).isEqualTo(before).contains("\"scope\":\"partner.test\"", "\"encryption\":\"any\"");
    }

    @Test
    @Order(5)
    void deliveriesAndPolicyChangesAreInTheAuditLog() throws Exception {
        List<String> records = auditRecords();
        assertThat(records).anySatisfy(r -> assertThat(r).contains("\"action\":\"gateway.policy.set\"", "\"target\":\"policy:partner.test\"",
                "\"actor\":\"admin\"", "\"outcome\":\"ALLOWED\""));
        assertThat(records).anySatisfy(r -> assertThat(r).contains("\"action\":\"gateway.passphrase.set\"",
                "\"target\":\"passphrase:alice@example.org->partner.test\""));
        for (String recipient : List.of(CAROL, "bob@partner.test")) {
            assertThat(records).as(recipient).anySatisfy(r -> assertThat(r).contains("\"action\":\"gateway.deliver\"", "\"target\":\"mailbox:" + recipient + "\""));
        }
        assertThat(records).as("the owner's refusal for another's mailbox is audited too")
                .anySatisfy(r -> assertThat(r).contains("\"action\":\"gateway.policy.set\"", "\"outcome\":\"DENIED\"", "dave@example.org is not a mailbox of"));
        assertThat(records).filteredOn(r -> r.contains("\"action\":\"gateway.policy.set\"") && r.contains("\"outcome\":\"ALLOWED\"")).hasSize(2)
                .anySatisfy(r -> assertThat(r).contains("\"actor\":\"" + OWNER + "\"", "\"target\":\"policy:" + CAROL + "\""));
        assertThat(records).anySatisfy(r -> assertThat(r).contains("\"action\":\"gateway.policy.remove\"", "\"actor\":\"" + OWNER + "\""));
        assertThat(records).filteredOn(r -> r.contains("\"action\":\"gateway.passphrase.set\"")).hasSize(2)
                .anySatisfy(r -> assertThat(r).contains("\"actor\":\"" + OWNER + "\"", "\"target\":\"passphrase:" + CAROL + "->partner.test\""));
        assertThat(records).noneSatisfy(r -> assertThat(r).contains("guessable"));
        assertThat(records).noneSatisfy(r -> assertThat(r).containsAnyOf(PASSPHRASE, "own passphrase"));
    }

    /** Every audit record, one JSON object each, paging through the API as the auditor. */
    private List<String> auditRecords() throws Exception {
        List<String> records = new ArrayList<>();
        long after = 0;
        while (true) {
            HttpResponse<String> page = server.call("GET", "/api/audit/records?limit=1000&after=" + after, AUDITOR, AUDITOR + PASSWORD, null, null);
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            Matcher record = Pattern.compile("\\{[^{}]*}").matcher(page.body());
            int found = 0;
            while (record.find()) {
                records.add(record.group());
                Matcher seq = Pattern.compile("\"seq\":(\\d+)").matcher(record.group());
                assertThat(seq.find()).isTrue();
                after = Long.parseLong(seq.group(1));
                found++;
            }
            if (found < 1000) {
                return records;
            }
        }
    }

    /** Mail taken while the next hop is down stays queued across a restart of the server and leaves once the hop is back. */
    @Test
    @Order(6)
    void aMessageQueuedWhileTheHopIsDownIsDeliveredAfterARestart() throws Exception {
        hop.close();
        hop = null;
        send("alice@example.org", "bob@example.org", "survives the restart", "still here");

        long deadline = System.nanoTime() + WAIT.toNanos();
        String queue = asAdmin("GET", "/api/gateway/queue", null).body();
        while (System.nanoTime() < deadline && !queue.contains("\"attempts\":1")) {
            Thread.sleep(200);
            queue = asAdmin("GET", "/api/gateway/queue", null).body();
        }
        assertThat(queue).contains("\"sender\":\"alice@example.org\"", "\"address\":\"bob@example.org\"", "\"status\":\"pending\"", "\"attempts\":1")
                .containsPattern("\"lastReply\":\"4\\d\\d 4\\.\\d+\\.\\d+ [^\"]*127\\.0\\.0\\.1:" + hopPort);

        LauncherProcess.Result stopped = server.launcher.run("stop");
        assertThat(stopped.exitCode()).as(stopped.output()).isZero();
        assertThat(stopped.output()).contains("stopped");
        hop = PostfixHop.startOnPort(postfixDir(), Optional.of(hopTls), hopPort);
        LauncherProcess.Result started = server.launcher.run("start");
        assertThat(started.exitCode()).as(started.output()).isZero();
        assertThat(started.output()).contains("Letterlock is up", "SMTP gateway      smtp://127.0.0.1:" + server.launcher.smtpPort);

        String copy = copyFor("bob@example.org");
        assertThat(copy).contains("Subject: survives the restart", "still here", "X-Letterlock-Policy: clear; route=next-hop; policy=organisation; no key for the recipient");
        assertThat(hop.delivered()).hasSize(1);
        assertThat(awaitEmptyQueue()).isEqualTo("[]");
        assertThat(consoleLog()).contains("SMTP gateway: 1 queued messages resumed from " + server.launcher.dataDir.resolve("spool"));
    }
}
