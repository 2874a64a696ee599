package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
 * Enrollment in the running server (PostgreSQL, SoftHSM2 keys), as the "done when" asks: an ra-officer makes an
 * enrollment secret through the REST API, and the letterlock-enroll jar, run as a user would on their machine, enrolls
 * a signing and an escrowed encryption certificate over the enrollment listener, trusting only the root the server
 * publishes. OpenSSL checks what it wrote; openssl cmp enrolls under another secret, its transaction kept in PostgreSQL; the
 * audit log holds every step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnrollServerIT {
    private static final String OFFICER = "it-officer";
    private static final String PASSWORD = "it-officer-correct-horse";
    private static final String MAILBOX = "grace@example.org";
    private static final String ACME_MAILBOX = "ivan@example.org";
    private static final String ACME_FROM = "acme-challenge@ca.example.org";
    private static final String MTA = "mx.example.org";

    private PostgresServer server;
    private Path work;
    private String secret;

    @BeforeAll
    void start() throws Exception {
        work = LauncherProcess.WORK.resolve("enroll-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
        server = PostgresServer.start("enroll-pg", Map.of("LETTERLOCK_ENROLL_ACME_FROM", ACME_FROM, "LETTERLOCK_ENROLL_ACME_TRUSTED_AUTHSERV_IDS", MTA));
        HttpResponse<String> created = server.call("POST", "/api/admins", "admin", server.adminPassword, "application/json",
                "{\"name\":\"" + OFFICER + "\",\"roles\":[\"ra-officer\"],\"password\":\"" + PASSWORD + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        server.rootPem(work);
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private String enrollUrl() {
        return "https://127.0.0.1:" + server.launcher.enrollPort;
    }

    @Test
    @Order(1)
    void theLauncherPrintsTheEnrollmentListenerAndCurlReadsItsDiscoveryDocument() throws Exception {
        assertThat(server.startOutput).contains("enrollment        " + enrollUrl() + "/.well-known/letterlock-enrollment");

        Shell.Run discovery = Shell.run(work, "curl", "-sS", "--fail", "--cacert", "root.pem", enrollUrl() + "/.well-known/letterlock-enrollment");

        assertThat(discovery.exit()).as(discovery.output()).isZero();
        assertThat(discovery.output()).contains("\"est\": \"" + enrollUrl() + "/.well-known/est\"", "\"cmp\": \"" + enrollUrl() + "/cmp\"");
    }

    @Test
    @Order(2)
    void anOfficerMakesASecretAndOthersMayNot() throws Exception {
        HttpResponse<String> byAdmin = server.call("POST", "/api/enroll/secrets", "admin", server.adminPassword, "application/json", "{\"mailbox\":\"" + MAILBOX + "\"}");
        assertThat(byAdmin.statusCode()).isEqualTo(403);
        assertThat(byAdmin.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        HttpResponse<String> malformed = server.call("POST", "/api/enroll/secrets", OFFICER, PASSWORD, "application/json", "{\"mailbox\":\"not an address\"}");
        assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);

        HttpResponse<String> made = server.call("POST", "/api/enroll/secrets", OFFICER, PASSWORD, "application/json", "{\"mailbox\":\"" + MAILBOX + "\"}");

        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        Matcher value = Pattern.compile("\"secret\":\"([A-Z2-9-]+)\"").matcher(made.body());
        assertThat(value.find()).as(made.body()).isTrue();
        secret = value.group(1);
        assertThat(made.body()).contains("\"enrollUrl\":\"" + enrollUrl() + "\"");
    }

    @Test
    @Order(3)
    void theEnrollJarEnrollsAPairThatOpensslAccepts() throws Exception {
        Path jar = LauncherProcess.ROOT.resolve("enroll-client/target/letterlock-enroll.jar");
        Files.writeString(work.resolve("secret"), secret + "\n");
        Files.writeString(work.resolve("passphrase"), "correct horse battery\n");
        Path out = work.resolve("grace");

        Shell.Run enrolled = Shell.run(work, "java", "-jar", jar.toString(), MAILBOX, "--server", enrollUrl(), "--trust", "root.pem", "--secret-file", "secret",
                "--passphrase-file", "passphrase", "--out", out.toString());

        assertThat(enrolled.exit()).as(enrolled.output()).isZero();
        assertThat(Shell.run(work, "openssl", "verify", "-purpose", "smimesign", "-CAfile", out.resolve("ca-chain.pem").toString(),
                out.resolve(MAILBOX + "-signing.pem").toString()).output()).contains(": OK");
        assertThat(Shell.run(work, "openssl", "verify", "-purpose", "smimeencrypt", "-CAfile", out.resolve("ca-chain.pem").toString(),
                out.resolve(MAILBOX + "-encryption.pem").toString()).output()).contains(": OK");
        Shell.Run again = Shell.run(work, "java", "-jar", jar.toString(), MAILBOX, "--server", enrollUrl(), "--trust", "root.pem", "--secret-file", "secret",
                "--passphrase-file", "passphrase", "--out", work.resolve("again").toString());
        assertThat(again.exit()).as("a secret works once").isEqualTo(1);
        assertThat(again.output()).contains("refused (HTTP 401)");
    }

    /**
     * The same jar over ACME: the challenge mail goes from the server's outbox into the file a mail filter would
     * write, and the jar sends its reply through a private Postfix, whose header_checks add the Authentication-Results
     * an organisation's DKIM verifier would (the milter itself cannot run here), on to the server's reply receiver.
     */
    @Test
    @Order(4)
    void theEnrollJarEnrollsOverAcmeWithItsReplyThroughPostfix() throws Exception {
        HttpResponse<String> registered = server.call("POST", "/api/identities", OFFICER, PASSWORD, "application/json",
                "{\"address\":\"" + ACME_MAILBOX + "\",\"owner\":\"ivan\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(202);
        server.verifyMailbox(ACME_MAILBOX);
        Path challengeMail = work.resolve("challenge.eml");
        String replyPort = server.launcher.environment.get("LETTERLOCK_ENROLL_ACME_REPLY_PORT");
        Path jar = LauncherProcess.ROOT.resolve("enroll-client/target/letterlock-enroll.jar");
        Path out = work.resolve("ivan");
        try (PostfixHop mailServer = PostfixHop.startRelaying(Path.of("/tmp/ll-postfix-" + java.util.UUID.randomUUID().toString().substring(0, 8)), "ca.example.org",
                ACME_FROM, "smtp:[127.0.0.1]:" + replyPort,
                java.util.List.of(PostfixHop.dkimPassFor(MTA, "example.org")))) {
            java.util.concurrent.CompletableFuture<Void> filter = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    Files.writeString(challengeMail, server.awaitMail(ACME_MAILBOX, "Subject: ACME: ", java.time.Duration.ofSeconds(60)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            Shell.Run enrolled = Shell.run(work, "java", "-jar", jar.toString(), ACME_MAILBOX, "--protocol", "acme", "--server", enrollUrl(), "--trust", "root.pem",
                    "--challenge-mail", challengeMail.toString(), "--challenge-timeout", "90s", "--smtp", "smtp://127.0.0.1:" + mailServer.port(),
                    "--passphrase-file", "passphrase", "--out", out.toString());

            assertThat(enrolled.exit()).as(enrolled.output() + mailServer.maillog()).isZero();
            filter.join();
            assertThat(mailServer.maillog()).contains("status=sent (250 2.6.0 reply for order");
        }
        assertThat(Shell.run(work, "openssl", "verify", "-purpose", "smimesign", "-CAfile", out.resolve("ca-chain.pem").toString(),
                out.resolve(ACME_MAILBOX + "-signing.pem").toString()).output()).contains(": OK");
        assertThat(Shell.run(work, "openssl", "verify", "-purpose", "smimeencrypt", "-CAfile", out.resolve("ca-chain.pem").toString(),
                out.resolve(ACME_MAILBOX + "-encryption.pem").toString()).output()).contains(": OK");
    }

    @Test
    @Order(5)
    void opensslCmpEnrollsUnderASecretWithItsTransactionKeptInPostgresql() throws Exception {
        String mailbox = "heidi@example.org";
        HttpResponse<String> made = server.call("POST", "/api/enroll/secrets", OFFICER, PASSWORD, "application/json", "{\"mailbox\":\"" + mailbox + "\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        Matcher value = Pattern.compile("\"secret\":\"([A-Z2-9-]+)\"").matcher(made.body());
        assertThat(value.find()).isTrue();
        assertThat(Shell.run(work, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "heidi.key").exit()).isZero();
        assertThat(Shell.run(work, "openssl", "req", "-new", "-key", "heidi.key", "-subj", "/CN=" + mailbox, "-addext", "subjectAltName=email:" + mailbox,
                "-out", "heidi.csr").exit()).isZero();

        Shell.Run ir = Shell.run(work, "openssl", "cmp", "-server", "127.0.0.1:" + server.launcher.enrollPort, "-path", "cmp", "-tls_used", "-tls_trusted",
                "root.pem", "-tls_host", "127.0.0.1", "-cmd", "ir", "-secret", "pass:" + value.group(1), "-ref", mailbox, "-csr", "heidi.csr",
                "-newkey", "heidi.key", "-certout", "heidi.pem", "-recipient", "/CN=Letterlock");

        assertThat(ir.exit()).as(ir.output()).isZero();
        assertThat(Shell.run(work, "openssl", "verify", "-purpose", "smimesign", "-CAfile", "root.pem", "-untrusted", "grace/ca-chain.pem", "heidi.pem").output())
                .contains(": OK");
        try (var c = server.database(); var s = c.createStatement(); var rows = s.executeQuery("SELECT count(*) FROM cmp_transaction")) {
            rows.next();
            assertThat(rows.getLong(1)).as("the ir's transaction, kept for replays").isPositive();
        }
    }

    @Test
    @Order(6)
    void theAuditLogHoldsEachStepWithoutTheSecret() throws Exception {
        String audit;
        try (var c = server.database(); var s = c.createStatement(); var rows = s.executeQuery("SELECT actor || ' ' || action || ' ' || target || ' ' || detail FROM audit_record")) {
            StringBuilder all = new StringBuilder();
            while (rows.next()) {
                all.append(rows.getString(1)).append('\n');
            }
            audit = all.toString();
        }
        assertThat(audit).contains(OFFICER + " enroll.secret.issue mailbox:" + MAILBOX, "enroll.secret.use mailbox:" + MAILBOX).doesNotContain(secret);
        assertThat(audit).containsPattern("enroll-client 127\\.0\\.0\\.1 enroll\\.secret\\.use mailbox:" + Pattern.quote(MAILBOX));
        assertThat(audit).containsPattern("ca.issue certificate:[0-9a-f]+ mailbox-signing");
        assertThat(audit).as("the ACME order names the proven mailbox in the issuance's record")
                .containsPattern(Pattern.quote(ACME_MAILBOX) + " enroll/acme-email-reply/[^ ]+ ca\\.issue certificate:[0-9a-f]+ mailbox-signing");
    }
}
