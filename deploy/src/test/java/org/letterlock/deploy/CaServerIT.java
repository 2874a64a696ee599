package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The CA in the running server (PostgreSQL, SoftHSM2 keys) as clients and relying parties meet it: CSRs made by
 * openssl, certificates checked by openssl verify, GnuTLS certtool and gpgsm, OCSP asked by openssl ocsp and curl
 * (GET and POST, with and without nonce), CRLs fetched over HTTP and verified by openssl crl, and bad input of every
 * kind answered with a 4xx, never a 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaServerIT {
    private static final String OFFICER = "it-ra";
    private static final String OWNER = "it-owner";
    private static final String AUDITOR = "it-auditor";
    private static final String PASSWORD = "-correct-horse-battery";

    private PostgresServer server;
    private int ocspPort;
    private Path work;
    private String signingSerial;
    private String encryptionSerial;
    private String pairId;

    @BeforeAll
    void start() throws Exception {
        ocspPort = LauncherProcess.freePort();
        server = PostgresServer.start("ca-pg", Map.of("LETTERLOCK_CA_OCSP_PORT", Integer.toString(ocspPort)));
        work = server.launcher.dataDir.resolveSibling("ca-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
        for (String[] account : new String[][] {{OFFICER, "ra-officer"}, {OWNER, "mailbox-owner"}, {AUDITOR, "auditor"}}) {
            HttpResponse<String> created = server.call("POST", "/api/admins", "admin", server.adminPassword, "application/json",
                    "{\"name\":\"" + account[0] + "\",\"roles\":[\"" + account[1] + "\"],\"password\":\"" + account[0] + PASSWORD + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private Shell.Run run(String... command) throws Exception {
        return Shell.run(work, command);
    }

    private String csr(String name, String keyAlgorithm, String mailbox) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "req", "-new", "-nodes", "-newkey", keyAlgorithm, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + mailbox));
        if (keyAlgorithm.startsWith("ec")) {
            command.addAll(List.of("-pkeyopt", "ec_paramgen_curve:" + keyAlgorithm.substring(3)));
            command.set(5, "ec");
        }
        command.addAll(List.of("-addext", "subjectAltName=email:" + mailbox));
        Shell.Run made = run(command.toArray(String[]::new));
        assertThat(made.exit()).as(made.output()).isZero();
        return Files.readString(work.resolve(name + ".csr"));
    }


    private HttpResponse<String> issue(String user, String profile, String mailbox, String csr, String extra) throws Exception {
        return server.call("POST", "/api/ca/certificates", user, user + PASSWORD, "application/json",
                "{\"profile\":\"" + profile + "\",\"mailbox\":\"" + mailbox + "\",\"csr\":" + Shell.json(csr) + extra + "}");
    }


    private Path save(String name, byte[] content) throws Exception {
        return Files.write(work.resolve(name), content);
    }

    private Path pemFromJson(String name, String json) throws Exception {
        return save(name, Shell.field(json, "certificate").replace("\\n", "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    @Order(1)
    void theHierarchyIsServedAndAcceptedByOpensslAndGnutls() throws Exception {
        HttpResponse<String> issuers = server.call("GET", "/api/ca/issuers", null, null, null, null);
        assertThat(issuers.statusCode()).isEqualTo(200);
        assertThat(issuers.body()).contains("\"id\":\"root\"", "\"id\":\"issuing-1\"", "\"active\":true");
        save("root.der", server.callBytes("GET", "/ca/root.crt", null, null, null, null, null).body());
        save("issuing.der", server.callBytes("GET", "/ca/issuing-1.crt", null, null, null, null, null).body());
        assertThat(run("openssl", "x509", "-inform", "DER", "-in", "root.der", "-out", "root.pem").exit()).isZero();
        assertThat(run("openssl", "x509", "-inform", "DER", "-in", "issuing.der", "-out", "issuing.pem").exit()).isZero();
        Shell.Run chain = run("openssl", "verify", "-CAfile", "root.pem", "issuing.pem");
        assertThat(chain.exit()).as(chain.output()).isZero();
        HttpResponse<String> pem = server.call("GET", "/ca/issuing-1.pem", null, null, null, null);
        assertThat(pem.body()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(server.call("GET", "/ca/nope.crt", null, null, null, null).statusCode()).isEqualTo(404);

        // The TLS server certificates have an issuing CA of their own, of that one purpose.
        assertThat(issuers.body()).contains("\"id\":\"tls-issuing-1\",\"kind\":\"tls-issuing\"");
        save("tls-issuing.der", server.callBytes("GET", "/ca/tls-issuing-1.crt", null, null, null, null, null).body());
        assertThat(run("openssl", "x509", "-inform", "DER", "-in", "tls-issuing.der", "-out", "tls-issuing.pem").exit()).isZero();
        Shell.Run tlsChain = run("openssl", "verify", "-CAfile", "root.pem", "tls-issuing.pem");
        assertThat(tlsChain.exit()).as(tlsChain.output()).isZero();
        assertThat(run("openssl", "x509", "-noout", "-purpose", "-in", "tls-issuing.pem").output()).contains("SSL server CA : Yes", "S/MIME signing CA : No");
        assertThat(run("openssl", "x509", "-noout", "-purpose", "-in", "issuing.pem").output()).contains("SSL server CA : No", "S/MIME signing CA : Yes");

        // GnuTLS checks the purpose along the chain too: a host certificate verifies as serverAuth through the TLS CA.
        Shell.Run hostKey = run("openssl", "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", "mx.key", "-out", "mx.csr",
                "-subj", "/CN=mx.example.org");
        assertThat(hostKey.exit()).as(hostKey.output()).isZero();
        HttpResponse<String> host = server.call("POST", "/api/ca/certificates", OFFICER, OFFICER + PASSWORD, "application/json",
                "{\"profile\":\"tls-server\",\"hosts\":[\"mx.example.org\"],\"csr\":" + Shell.json(Files.readString(work.resolve("mx.csr"))) + "}");
        assertThat(host.statusCode()).as(host.body()).isEqualTo(201);
        assertThat(host.body()).contains("\"issuer\":\"tls-issuing-1\"");
        Files.writeString(work.resolve("mx-chain.pem"), Files.readString(pemFromJson("mx.pem", host.body())) + Files.readString(work.resolve("tls-issuing.pem")));
        Shell.Run hostChain = run("certtool", "--verify", "--load-ca-certificate", "root.pem", "--infile", "mx-chain.pem", "--verify-hostname", "mx.example.org",
                "--verify-purpose", "1.3.6.1.5.5.7.3.1");
        assertThat(hostChain.exit()).as(hostChain.output()).isZero();
        Shell.Run asMail = run("certtool", "--verify", "--load-ca-certificate", "root.pem", "--infile", "mx-chain.pem", "--verify-purpose", "1.3.6.1.5.5.7.3.4");
        assertThat(asMail.exit()).as("a TLS chain is no mail chain: " + asMail.output()).isNotZero();
    }

    @Test
    @Order(2)
    void anOwnerWithAVerifiedMailboxGetsAPairThatOpensslGnutlsAndGpgsmAccept() throws Exception {
        HttpResponse<String> registered = server.call("POST", "/api/identities", OFFICER, OFFICER + PASSWORD, "application/json",
                "{\"address\":\"alice@example.org\",\"owner\":\"" + OWNER + "\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(202);
        String csr = csr("alice-sign", "ec:P-256", "alice@example.org");
        HttpResponse<String> early = issue(OWNER, "mailbox-signing", "alice@example.org", csr, "");
        assertThat(early.statusCode()).as(early.body()).isEqualTo(403);
        assertThat(early.body()).contains("not verified");
        verify("alice@example.org");

        HttpResponse<String> signing = issue(OWNER, "mailbox-signing", "alice@example.org", csr, "");
        assertThat(signing.statusCode()).as(signing.body()).isEqualTo(201);
        assertThat(signing.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/api/ca/certificates/"));
        signingSerial = Shell.field(signing.body(), "serial");
        pairId = Shell.field(signing.body(), "pair");
        HttpResponse<String> encryption = issue(OWNER, "mailbox-encryption", "alice@example.org", csr("alice-enc", "rsa:3072", "alice@example.org"),
                ",\"pair\":\"" + pairId + "\"");
        assertThat(encryption.statusCode()).as(encryption.body()).isEqualTo(201);
        encryptionSerial = Shell.field(encryption.body(), "serial");

        Path signingPem = pemFromJson("alice-sign.pem", signing.body());
        Path encryptionPem = pemFromJson("alice-enc.pem", encryption.body());
        Shell.Run sign = run("openssl", "verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "-purpose", "smimesign", signingPem.toString());
        assertThat(sign.exit()).as(sign.output()).isZero();
        assertThat(run("openssl", "verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "-purpose", "smimeencrypt", signingPem.toString()).exit()).isNotZero();
        Shell.Run encrypt = run("openssl", "verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "-purpose", "smimeencrypt", encryptionPem.toString());
        assertThat(encrypt.exit()).as(encrypt.output()).isZero();

        Files.writeString(work.resolve("gnutls-chain.pem"), Files.readString(signingPem) + Files.readString(work.resolve("issuing.pem")));
        Shell.Run certtool = run("certtool", "--verify", "--load-ca-certificate", "root.pem", "--infile", "gnutls-chain.pem", "--verify-purpose", "1.3.6.1.5.5.7.3.4");
        assertThat(certtool.exit()).as(certtool.output()).isZero();
        assertThat(certtool.output()).contains("Chain verification output: Verified");

        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpgsm.conf"), "disable-crl-checks\n");
        Shell.Run fingerprint = run("openssl", "x509", "-in", "root.pem", "-noout", "-fingerprint", "-sha1");
        Files.writeString(home.resolve("trustlist.txt"), fingerprint.output().replaceAll("(?s).*=", "").trim() + " S\n");
        Shell.Run imported = run("gpgsm", "--homedir", home.toString(), "--batch", "--import", "root.pem", "issuing.pem", signingPem.toString(), encryptionPem.toString());
        assertThat(imported.exit()).as(imported.output()).isZero();
        Shell.Run listed = run("gpgsm", "--homedir", home.toString(), "--batch", "--with-validation", "--list-keys", "alice@example.org");
        assertThat(listed.exit()).as(listed.output()).isZero();
        assertThat(listed.output()).contains("alice@example.org", "key usage: digitalSignature", "key usage: keyEncipherment")
                .doesNotContain("[certificate is bad", "not trusted");
    }

    private void verify(String address) throws Exception {
        server.verifyMailbox(address);
    }

    @Test
    @Order(3)
    void ocspAnswersGoodRevokedAndUnknownToOpensslAndCurl() throws Exception {
        Shell.Run good = ocsp("alice-sign.pem", true);
        assertThat(good.output()).contains("Response verify OK", "alice-sign.pem: good");
        assertThat(ocsp("alice-sign.pem", false).output()).contains("alice-sign.pem: good").doesNotContain("WARNING");

        HttpResponse<String> revoked = server.call("POST", "/api/ca/certificates/" + signingSerial + "/revoke", OWNER, OWNER + PASSWORD, "application/json",
                "{\"reason\":\"keyCompromise\",\"pair\":true}");
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertThat(revoked.body()).contains(signingSerial, encryptionSerial, "keyCompromise");
        assertThat(ocsp("alice-sign.pem", true).output()).contains("Response verify OK", "alice-sign.pem: revoked", "Reason: keyCompromise");
        assertThat(ocsp("alice-enc.pem", false).output()).contains("alice-enc.pem: revoked");

        Shell.Run request = run("openssl", "ocsp", "-issuer", "issuing.pem", "-serial", "0x1234567890abcdef", "-no_nonce", "-reqout", "unknown.der");
        assertThat(request.exit()).isZero();
        String path = "/ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(Files.readAllBytes(work.resolve("unknown.der"))), StandardCharsets.US_ASCII);
        HttpResponse<byte[]> get = server.callBytes("GET", path, null, null, null, null, null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
        save("unknown-response.der", get.body());
        Shell.Run unknown = run("openssl", "ocsp", "-respin", "unknown-response.der", "-resp_text", "-CAfile", "root.pem", "-verify_other", "issuing.pem");
        assertThat(unknown.output()).contains("Response verify OK", "Cert Status: unknown");

        Shell.Run goodRequest = run("openssl", "ocsp", "-issuer", "issuing.pem", "-cert", "alice-sign.pem", "-no_nonce", "-reqout", "cached.der");
        assertThat(goodRequest.exit()).isZero();
        HttpResponse<byte[]> cached = server.callBytes("GET", "/ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(
                Files.readAllBytes(work.resolve("cached.der"))), StandardCharsets.US_ASCII), null, null, null, null, null);
        assertThat(cached.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("max-age="));
        assertThat(cached.headers().firstValue("ETag")).isPresent();

        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        String listener = "http://127.0.0.1:" + ocspPort;
        HttpResponse<byte[]> fromListener = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(listener + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        save("listener-unknown.der", fromListener.body());
        assertThat(fromListener.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
        assertThat(run("openssl", "ocsp", "-respin", "listener-unknown.der", "-resp_text", "-CAfile", "root.pem", "-verify_other", "issuing.pem").output())
                .contains("Response verify OK", "Cert Status: unknown");
        assertThat(client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(listener + "/ocsp")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
        assertThat(client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(listener + "/ocsp")).header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(415);
        assertThat(client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(listener + "/elsewhere")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    /** Asks the servlet on the main port and the dedicated listener; both must give the same verdict. */
    private Shell.Run ocsp(String certificate, boolean nonce) throws Exception {
        Shell.Run servlet = ocspAt(server.baseUrl() + "/ocsp", certificate, nonce);
        Shell.Run listener = ocspAt("http://127.0.0.1:" + ocspPort + "/ocsp", certificate, nonce);
        assertThat(listener.output().lines().filter(l -> l.contains(certificate + ":")).toList())
                .isEqualTo(servlet.output().lines().filter(l -> l.contains(certificate + ":")).toList());
        return servlet;
    }

    private Shell.Run ocspAt(String url, String certificate, boolean nonce) throws Exception {
        Shell.Run run = run("openssl", "ocsp", "-issuer", "issuing.pem", "-cert", certificate, "-url", url, "-CAfile", "root.pem",
                "-verify_other", "issuing.pem", nonce ? "-nonce" : "-no_nonce");
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("Response verify OK");
        return run;
    }

    @Test
    @Order(4)
    void crlsAreServedAndUpdatedAfterRevocation() throws Exception {
        Files.writeString(work.resolve("chain.pem"), Files.readString(work.resolve("issuing.pem")) + Files.readString(work.resolve("root.pem")));
        String serialUpper = signingSerial.toUpperCase();
        Shell.Run full = null;
        for (int i = 0; i < 50; i++) {
            // The revocation re-signs the delta at once; the full CRL is re-signed on request here (and on schedule).
            save("full.crl", server.callBytes("GET", "/crl/issuing-1.crl", null, null, null, null, null).body());
            save("delta.crl", server.callBytes("GET", "/crl/issuing-1-delta.crl", null, null, null, null, null).body());
            full = run("openssl", "crl", "-inform", "DER", "-in", "delta.crl", "-noout", "-text", "-CAfile", "chain.pem");
            if (full.output().contains(serialUpper)) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(full.output()).contains("verify OK", "Delta CRL Indicator: critical", serialUpper, "Key Compromise");
        HttpResponse<String> published = server.call("POST", "/api/ca/crls", "admin", server.adminPassword, null, null);
        assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
        try (var c = server.database(); var s = c.createStatement();
             var rows = s.executeQuery("SELECT actor || ' ' || detail FROM audit_record WHERE action = 'ca.crl.publish'")) {
            assertThat(rows.next()).as("the admin's request is on record").isTrue();
            assertThat(rows.getString(1)).startsWith("admin full and delta CRLs of [").contains("issuing-1");
        }
        save("full.crl", server.callBytes("GET", "/crl/issuing-1.crl", null, null, null, null, null).body());
        Shell.Run text = run("openssl", "crl", "-inform", "DER", "-in", "full.crl", "-noout", "-text", "-CAfile", "chain.pem");
        assertThat(text.output()).contains("verify OK", serialUpper, encryptionSerial.toUpperCase(), "Issuing Distribution Point: critical");
        HttpResponse<String> pem = server.call("GET", "/crl/issuing-1.crl?format=pem", null, null, null, null);
        assertThat(pem.body()).startsWith("-----BEGIN X509 CRL-----");
        save("full-crl.pem", pem.body().getBytes(StandardCharsets.US_ASCII));
        Shell.Run revoked = run("openssl", "verify", "-crl_check", "-CAfile", "chain.pem", "-CRLfile", "full-crl.pem", "alice-sign.pem");
        assertThat(revoked.output()).contains("certificate revoked");
    }

    @Test
    @Order(5)
    void badInputGetsAPrecise4xxAndNothingIsStored() throws Exception {
        long before = certificateCount();
        String alice = csr("again", "ec:P-256", "alice@example.org");
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key");
        Shell.Run weak = run("openssl", "req", "-new", "-key", "weak.key", "-subj", "/CN=x", "-out", "weak.csr");
        assertThat(weak.exit()).as(weak.output()).isZero();
        String tampered = alice.replace(alice.substring(100, 104), alice.substring(100, 104).equals("AAAA") ? "BBBB" : "AAAA");
        Object[][] cases = {
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":\"not a csr\"}", 400, "PKCS#10"},
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":" + Shell.json(Files.readString(work.resolve("weak.csr"))) + "}", 400, "2048"},
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":" + Shell.json(tampered) + "}", 400, ""},
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":" + Shell.json("x".repeat(70_000)) + "}", 400, ""},
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":" + Shell.json(alice) + "}", 400, "not the mailbox"},
                {OWNER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"bob@example.org\",\"csr\":" + Shell.json(alice) + "}", 403, "not a mailbox of"},
                {OWNER, "{\"profile\":\"tls-server\",\"hosts\":[\"mx.example.org\"],\"csr\":" + Shell.json(alice) + "}", 403, "ra-officer"},
                {OFFICER, "{\"profile\":\"ocsp-signing\",\"mailbox\":\"alice@example.org\",\"csr\":" + Shell.json(alice) + "}", 400, "requestable"},
                {OFFICER, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"alice@example.org\",\"csr\":" + Shell.json(alice) + ",\"validityDays\":5000}", 400, "validity"},
                {OFFICER, "{\"profile\":", 400, ""},
                {AUDITOR, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"alice@example.org\",\"csr\":" + Shell.json(alice) + "}", 403, "roles"},
                {null, "{\"profile\":\"mailbox-signing\",\"mailbox\":\"alice@example.org\",\"csr\":" + Shell.json(alice) + "}", 401, ""},
        };
        for (Object[] c : cases) {
            String user = (String) c[0];
            HttpResponse<String> response = server.call("POST", "/api/ca/certificates", user, user == null ? null : user + PASSWORD, "application/json", (String) c[1]);
            assertThat(response.statusCode()).as(c[1].toString().substring(0, Math.min(120, c[1].toString().length())) + " -> " + response.body()).isEqualTo(c[2]);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(response.body()).contains((String) c[3]).doesNotContain("Exception", "at org.");
        }
        assertThat(server.call("GET", "/api/ca/certificates/xyz", OFFICER, OFFICER + PASSWORD, null, null).statusCode()).isEqualTo(400);
        assertThat(server.call("GET", "/api/ca/certificates/:", OFFICER, OFFICER + PASSWORD, null, null).statusCode()).isEqualTo(400);
        assertThat(server.call("POST", "/api/ca/certificates", OFFICER, OFFICER + PASSWORD, "application/json",
                "{\"profile\":\"tls-server\",\"hosts\":[null],\"csr\":" + Shell.json(alice) + "}").statusCode()).isEqualTo(400);
        assertThat(server.call("GET", "/api/ca/certificates/abcdef", OFFICER, OFFICER + PASSWORD, null, null).statusCode()).isEqualTo(404);
        assertThat(server.call("POST", "/api/ca/certificates/" + signingSerial + "/revoke", OFFICER, OFFICER + PASSWORD, "application/json",
                "{\"reason\":\"certificateHold\"}").statusCode()).isEqualTo(400);
        assertThat(server.call("POST", "/api/ca/certificates/" + signingSerial + "/revoke", OFFICER, OFFICER + PASSWORD, "application/json",
                "{\"reason\":\"superseded\"}").statusCode()).isEqualTo(409);
        assertThat(certificateCount()).isEqualTo(before);
    }

    @Test
    @Order(6)
    void randomAndMutatedBytesNeverGetA5xx() throws Exception {
        Random random = new Random(7);
        byte[] request = Files.readAllBytes(work.resolve("cached.der"));
        for (int i = 0; i < 150; i++) {
            byte[] body = i % 3 == 0 ? new byte[random.nextInt(300)] : request.clone();
            if (i % 3 == 0) {
                random.nextBytes(body);
            } else {
                for (int flips = 0; flips < 1 + random.nextInt(4); flips++) {
                    body[random.nextInt(body.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            HttpResponse<byte[]> ocsp = server.callBytes("POST", "/ocsp", null, null, "application/ocsp-request", body, null);
            assertThat(ocsp.statusCode()).isEqualTo(200);
            assertThat(ocsp.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
            HttpResponse<String> issue = server.call("POST", "/api/ca/certificates", OFFICER, OFFICER + PASSWORD, "application/json",
                    "{\"profile\":\"mailbox-signing\",\"mailbox\":\"fuzz@example.org\",\"csr\":\"" + Base64.getEncoder().encodeToString(body) + "\"}");
            assertThat(issue.statusCode()).as(issue.body()).isBetween(400, 499);
        }
        HttpResponse<byte[]> wrongType = server.callBytes("POST", "/ocsp", null, null, "text/plain", request, null);
        assertThat(wrongType.statusCode()).isEqualTo(415);
        HttpResponse<byte[]> notBase64 = server.callBytes("GET", "/ocsp/not%20base64!", null, null, null, null, null);
        assertThat(notBase64.statusCode()).isBetween(200, 499);
    }

    @Test
    @Order(7)
    void everyIssuanceAndRevocationIsInTheAuditLog() throws Exception {
        HttpResponse<String> audit = server.call("GET", "/api/audit/records?limit=1000", AUDITOR, AUDITOR + PASSWORD, null, null);
        assertThat(audit.statusCode()).isEqualTo(200);
        assertThat(audit.body()).contains("\"action\":\"ca.issue\"", "certificate:" + signingSerial, "\"action\":\"ca.revoke\"", "\"action\":\"vault.sign\"",
                "\"action\":\"ca.issuer.create\"");
        HttpResponse<String> openapi = server.call("GET", "/openapi", null, null, null, null);
        assertThat(openapi.body()).contains("/api/ca/certificates", "/api/ca/pairs/{id}/revoke");
        try (Connection c = server.database(); Statement s = c.createStatement();
             ResultSet row = s.executeQuery("SELECT COUNT(*) FROM ca_certificate WHERE pair_id = '" + pairId + "' AND revoked_at IS NOT NULL")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(2);
        }
    }

    /**
     * One resource instance serves every request: under concurrent requests from two owners, each request acts as
     * its own caller (the injected SecurityContext is the request's, never another's).
     */
    @Test
    @Order(8)
    void concurrentRequestsFromTwoOwnersEachActAsTheirOwnCaller() throws Exception {
        String otherOwner = "it-owner-two";
        HttpResponse<String> created = server.call("POST", "/api/admins", "admin", server.adminPassword, "application/json",
                "{\"name\":\"" + otherOwner + "\",\"roles\":[\"mailbox-owner\"],\"password\":\"" + otherOwner + PASSWORD + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Map<String, String> mailboxOf = Map.of(OWNER, "carol@example.org", otherOwner, "dave@example.org");
        for (Map.Entry<String, String> owner : mailboxOf.entrySet()) {
            HttpResponse<String> registered = server.call("POST", "/api/identities", OFFICER, OFFICER + PASSWORD, "application/json",
                    "{\"address\":\"" + owner.getValue() + "\",\"owner\":\"" + owner.getKey() + "\"}");
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(202);
            verify(owner.getValue());
        }
        Map<String, String> csrOf = Map.of(OWNER, csr("carol-sign", "ec:P-256", "carol@example.org"), otherOwner, csr("dave-sign", "ec:P-256", "dave@example.org"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String caller = i % 2 == 0 ? OWNER : otherOwner;
                answers.add(pool.submit(() -> {
                    HttpResponse<String> issued = issue(caller, "mailbox-multipurpose", mailboxOf.get(caller), csrOf.get(caller), "");
                    return caller + " " + issued.statusCode() + " " + (issued.statusCode() == 201 ? Shell.field(issued.body(), "requestedBy") : issued.body());
                }));
            }
            for (int i = 0; i < answers.size(); i++) {
                String caller = i % 2 == 0 ? OWNER : otherOwner;
                assertThat(answers.get(i).get()).isEqualTo(caller + " 201 " + caller);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private long certificateCount() throws Exception {
        try (Connection c = server.database(); Statement s = c.createStatement(); ResultSet row = s.executeQuery("SELECT COUNT(*) FROM ca_certificate")) {
            row.next();
            return row.getLong(1);
        }
    }
}
