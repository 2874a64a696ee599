package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Escrow through the running server (PostgreSQL, SoftHSM2): an owner gets an escrowed encryption key as PKCS#12, mail
 * is encrypted to it with openssl, a recovery is requested and approved by two agents over the REST API, and the one
 * download decrypts that mail; a client-made key is archived after openssl encrypted it to the transport certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EscrowServerIT {
    private static final String PASSWORD = "-correct-horse-battery";
    private static final String OWNER = "it-carol";
    private static final String OFFICER = "it-rita";
    private static final String MAILBOX = "carol@example.org";

    private PostgresServer server;
    private Path work;
    private String encryptionPem;

    @BeforeAll
    void start() throws Exception {
        server = PostgresServer.start("escrow-pg", Map.of());
        work = server.launcher.dataDir.resolveSibling("escrow-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
        for (String[] account : new String[][] {{OWNER, "mailbox-owner"}, {OFFICER, "ra-officer"}, {"it-ann", "recovery-agent"}, {"it-ben", "recovery-agent"},
                {"it-cid", "recovery-agent"}}) {
            HttpResponse<String> created = server.call("POST", "/api/admins", "admin", server.adminPassword, "application/json",
                    "{\"name\":\"" + account[0] + "\",\"roles\":[\"" + account[1] + "\"],\"password\":\"" + account[0] + PASSWORD + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
        HttpResponse<String> registered = call(OFFICER, "POST", "/api/identities", "{\"address\":\"" + MAILBOX + "\",\"owner\":\"" + OWNER + "\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(202);
        server.verifyMailbox(MAILBOX);
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> call(String user, String method, String path, String json) throws Exception {
        return server.call(method, path, user, user + PASSWORD, json == null ? null : "application/json", json);
    }

    private Shell.Run run(String... command) throws Exception {
        Shell.Run run = Shell.run(work, command);
        assertThat(run.exit()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return run;
    }

    @Test
    @Order(1)
    void anOwnerGetsAnEscrowedKeyOnceAsPkcs12() throws Exception {
        HttpResponse<String> generated = call(OWNER, "POST", "/api/escrow/keys", "{\"mailbox\":\"" + MAILBOX + "\",\"keySpec\":\"rsa-3072\"}");
        assertThat(generated.statusCode()).as(generated.body()).isEqualTo(201);
        assertThat(generated.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
        String passphrase = Shell.field(generated.body(), "passphrase");
        Files.write(work.resolve("owner.p12"), Base64.getDecoder().decode(Shell.field(generated.body(), "pkcs12")));
        java.util.regex.Matcher pem = java.util.regex.Pattern.compile("\"certificate\":\"(-----BEGIN CERTIFICATE[^\"]*)\"").matcher(generated.body());
        assertThat(pem.find()).as(generated.body()).isTrue();
        encryptionPem = pem.group(1).replace("\\n", "\n");
        Files.writeString(work.resolve("carol-enc.pem"), encryptionPem);
        Shell.Run listed = run("openssl", "pkcs12", "-in", "owner.p12", "-passin", "pass:" + passphrase, "-nokeys", "-info");
        assertThat(listed.output()).contains("AES-256-CBC").contains("friendlyName: " + MAILBOX + " encryption key");
        Files.writeString(work.resolve("mail.txt"), "Subject: payroll\r\n\r\nsee attachment\r\n");
        run("openssl", "cms", "-encrypt", "-aes256", "-in", "mail.txt", "-out", "mail.p7m", "carol-enc.pem");

        HttpResponse<String> archives = call(OWNER, "GET", "/api/escrow/archives?mailbox=" + MAILBOX, null);
        assertThat(archives.body()).contains("\"origin\":\"server\"", "\"keySpec\":\"rsa-3072\"").doesNotContain("sealed", "BEGIN PRIVATE");
        HttpResponse<String> bad = call(OWNER, "POST", "/api/escrow/keys", "{\"mailbox\":\"" + MAILBOX + "\",\"keySpec\":\"ed25519\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    @Order(2)
    void aClientMadeKeyEncryptedWithOpensslToTheTransportCertificateIsArchived() throws Exception {
        HttpResponse<String> transport = server.call("GET", "/api/escrow/transport-certificate", null, null, null, null);
        assertThat(transport.statusCode()).isEqualTo(200);
        Files.writeString(work.resolve("transport.pem"), transport.body());
        run("openssl", "req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=" + MAILBOX,
                "-addext", "subjectAltName=email:" + MAILBOX);
        HttpResponse<String> issued = call(OWNER, "POST", "/api/ca/certificates", "{\"profile\":\"mailbox-encryption\",\"mailbox\":\"" + MAILBOX + "\",\"csr\":"
                + Shell.json(Files.readString(work.resolve("client.csr"))) + "}");
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        String serial = Shell.field(issued.body(), "serial");
        run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "client.key", "-outform", "DER", "-out", "client.p8");
        run("openssl", "cms", "-encrypt", "-aes256", "-binary", "-in", "client.p8", "-outform", "PEM", "-out", "client.cms", "transport.pem");
        HttpResponse<String> garbage = call(OWNER, "POST", "/api/escrow/archives", "{\"certificate\":\"" + serial + "\",\"encryptedKey\":\"AAAA\"}");
        assertThat(garbage.statusCode()).as(garbage.body()).isEqualTo(400);
        HttpResponse<String> archived = call(OWNER, "POST", "/api/escrow/archives", "{\"certificate\":\"" + serial + "\",\"encryptedKey\":"
                + Shell.json(Files.readString(work.resolve("client.cms"))) + "}");
        assertThat(archived.statusCode()).as(archived.body()).isEqualTo(201);
        assertThat(archived.body()).contains("\"origin\":\"client\"", "\"keySpec\":\"rsa-2048\"");
    }

    @Test
    @Order(3)
    void twoAgentsReleaseTheHistoryAndTheOneDownloadDecryptsTheMail() throws Exception {
        HttpResponse<String> requested = call(OWNER, "POST", "/api/escrow/recoveries", "{\"mailbox\":\"" + MAILBOX + "\",\"reason\":\"laptop died\"}");
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(201);
        String id = Shell.field(requested.body(), "id");
        assertThat(call("it-ann", "GET", "/api/escrow/recoveries?state=pending", null).body()).contains(id);
        assertThat(call(OWNER, "POST", "/api/escrow/recoveries/" + id + "/approve", "{}").statusCode()).isEqualTo(403);
        HttpResponse<String> first = call("it-ann", "POST", "/api/escrow/recoveries/" + id + "/approve", "{\"comment\":\"ticket 4711\"}");
        assertThat(first.body()).contains("\"state\":\"pending\"", "\"approvals\":1");
        HttpResponse<String> early = call(OWNER, "POST", "/api/escrow/recoveries/" + id + "/download", "{}");
        assertThat(early.statusCode()).as(early.body()).isEqualTo(409);
        HttpResponse<String> second = call("it-ben", "POST", "/api/escrow/recoveries/" + id + "/approve", "{}");
        assertThat(second.body()).contains("\"state\":\"released\"");

        HttpResponse<String> download = call(OWNER, "POST", "/api/escrow/recoveries/" + id + "/download", "{\"format\":\"legacy\"}");
        assertThat(download.statusCode()).as(download.body()).isEqualTo(200);
        assertThat(download.body()).contains("\"keys\":2", "\"format\":\"legacy\"");
        String passphrase = Shell.field(download.body(), "passphrase");
        byte[] p12 = Base64.getDecoder().decode(Shell.field(download.body(), "pkcs12"));
        Files.write(work.resolve("recovered.p12"), p12);
        run("openssl", "pkcs12", "-legacy", "-in", "recovered.p12", "-passin", "pass:" + passphrase, "-nocerts", "-nodes", "-out", "recovered.key");
        Shell.Run decrypted = run("openssl", "cms", "-decrypt", "-in", "mail.p7m", "-recip", "carol-enc.pem", "-inkey", "recovered.key");
        assertThat(decrypted.output()).contains("see attachment");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new java.io.ByteArrayInputStream(p12), passphrase.toCharArray());
        assertThat(Collections.list(store.aliases())).hasSize(2);

        HttpResponse<String> again = call(OWNER, "POST", "/api/escrow/recoveries/" + id + "/download", "{}");
        assertThat(again.statusCode()).isEqualTo(410);
        assertThat(again.body()).contains("delivered already");
        String mails = String.join("\n", Files.readAllLines(Files.list(server.launcher.dataDir.resolve("outbox")).sorted()
                .reduce((a, b) -> b).orElseThrow(), StandardCharsets.UTF_8));
        assertThat(mails).contains("To: " + MAILBOX).contains("were recovered");
    }

    @Test
    @Order(4)
    void theEscrowApiIsDescribedInOpenApi() throws Exception {
        HttpResponse<String> openapi = server.call("GET", "/openapi", null, null, null, null);
        assertThat(openapi.body()).contains("/api/escrow/keys:", "/api/escrow/archives:", "/api/escrow/recoveries/{id}/approve:",
                "/api/escrow/recoveries/{id}/download:", "/api/escrow/transport-certificate:");
    }
}
