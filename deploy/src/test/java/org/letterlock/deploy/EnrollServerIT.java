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

    private PostgresServer server;
    private Path work;
    private String secret;

    @BeforeAll
    void start() throws Exception {
        work = LauncherProcess.WORK.resolve("enroll-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
        server = PostgresServer.start("enroll-pg", Map.of());
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

    @Test
    @Order(4)
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
    @Order(5)
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
    }
}
