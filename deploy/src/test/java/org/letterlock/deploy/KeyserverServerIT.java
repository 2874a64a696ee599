package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The keyserver in the running server (PostgreSQL): gpg sends a key to the HKP port, the owner follows the mailed link
 * (the page, then its button's POST), and a fresh gpg receives it over HKP, VKS and WKD; bad requests get precise
 * answers. The directory over LDAPS and StartTLS is checked by ldapsearch and openssl against the root the server
 * publishes at /ca/root.crt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyserverServerIT {
    private static final String MAILBOX = "dora@example.org";

    private PostgresServer server;
    private Path work;
    private String fingerprint;

    @BeforeAll
    void start() throws Exception {
        server = PostgresServer.start("keyserver-pg", Map.of());
        work = server.launcher.dataDir.resolveSibling("keyserver-pg-work");
        LauncherProcess.deleteRecursively(work);
        Files.createDirectories(work);
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private Shell.Run gpg(String home, String... arguments) throws Exception {
        Path dir = work.resolve(home);
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        String[] command = new String[arguments.length + 7];
        System.arraycopy(new String[] {"gpg", "--homedir", dir.toString(), "--batch", "--pinentry-mode", "loopback", "--passphrase="}, 0, command, 0, 7);
        System.arraycopy(arguments, 0, command, 7, arguments.length);
        return Shell.run(work, command);
    }

    private String hkp() {
        return "hkp://127.0.0.1:" + server.launcher.hkpPort;
    }

    @Test
    @Order(1)
    void gpgSendsAKeyToTheHkpPortAndTheOwnerPublishesItFromTheMailedLink() throws Exception {
        assertThat(gpg("dora", "--quick-gen-key", "Dora <" + MAILBOX + ">", "ed25519", "sign", "0").exit()).isZero();
        fingerprint = gpg("dora", "--with-colons", "--list-keys", MAILBOX).output().lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        Shell.Run sent = gpg("dora", "--keyserver", hkp(), "--send-keys", fingerprint);
        assertThat(sent.exit()).as(sent.output()).isZero();
        String token = server.newestToken(MAILBOX);
        HttpResponse<String> page = server.call("GET", "/api/keyserver/verify?token=" + token, null, null, null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<form method=\"post\"").contains(token);
        HttpResponse<String> published = server.call("POST", "/api/keyserver/verify", null, null, "application/x-www-form-urlencoded", "token=" + token);
        assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
        assertThat(published.body()).contains(fingerprint);
        HttpResponse<String> again = server.call("POST", "/api/keyserver/verify", null, null, "application/json", "{\"token\":\"" + token + "\"}");
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(again.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    @Order(2)
    void aFreshGpgReceivesItOverHkpVksAndWkd() throws Exception {
        Shell.Run received = gpg("erin", "--keyserver", hkp(), "--recv-keys", fingerprint);
        assertThat(received.exit()).as(received.output()).isZero();
        assertThat(received.output()).contains("imported: 1");

        HttpResponse<String> vks = server.call("GET", "/vks/v1/by-email/" + MAILBOX, null, null, null, null);
        assertThat(vks.statusCode()).isEqualTo(200);
        assertThat(vks.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/pgp-keys"));
        Files.writeString(work.resolve("vks.asc"), vks.body());
        Shell.Run fromVks = gpg("frank", "--import", work.resolve("vks.asc").toString());
        assertThat(fromVks.output()).contains("imported: 1");

        Shell.Run hash = Shell.run(work, "/usr/lib/gnupg/gpg-wks-client", "--print-wkd-hash", MAILBOX);
        String wkdHash = hash.output().trim().split(" ")[0];
        HttpResponse<byte[]> wkd = server.callBytes("GET", "/.well-known/openpgpkey/example.org/hu/" + wkdHash + "?l=dora", null, null, null, null, null);
        assertThat(wkd.statusCode()).isEqualTo(200);
        Files.write(work.resolve("wkd.pgp"), wkd.body());
        Shell.Run fromWkd = gpg("grace", "--import", work.resolve("wkd.pgp").toString());
        assertThat(fromWkd.output()).contains("imported: 1").contains(MAILBOX);
        assertThat(server.call("GET", "/.well-known/openpgpkey/example.org/policy", null, null, null, null).statusCode()).isEqualTo(200);

        String ldap = "ldap://127.0.0.1:" + server.launcher.ldapPort;
        Shell.Run fromLdap = gpg("ivan", "--keyserver", ldap + "/dc=example,dc=org", "--recv-keys", fingerprint);
        assertThat(fromLdap.exit()).as(fromLdap.output()).isZero();
        assertThat(fromLdap.output()).contains("imported: 1");
        Shell.Run search = Shell.run(work, "ldapsearch", "-x", "-LLL", "-H", ldap, "-b", "dc=example,dc=org", "(gpgMailbox=" + MAILBOX + ")", "gpgFingerprint");
        assertThat(search.output()).contains("gpgFingerprint: " + fingerprint);
        HttpResponse<String> index = server.call("GET", "/pks/lookup?op=index&options=mr&search=" + MAILBOX, null, null, null, null);
        assertThat(index.body()).startsWith("info:1:1").contains("pub:" + fingerprint);
        for (String dir : new String[] {"erin", "frank", "grace", "dora", "ivan"}) {
            Shell.run(work, "gpgconf", "--homedir", work.resolve(dir).toString(), "--kill", "all");
        }
    }

    @Test
    @Order(4)
    void aDumpIsImportedFromTheCommandLineBesideTheRunningServer() throws Exception {
        assertThat(gpg("henry", "--quick-gen-key", "Henry <henry@example.org>", "ed25519", "sign", "0").exit()).isZero();
        String henry = gpg("henry", "--with-colons", "--list-keys", "henry@example.org").output().lines().filter(l -> l.startsWith("fpr:")).findFirst()
                .orElseThrow().split(":")[9];
        Path dump = work.resolve("dump.pgp");
        Shell.Run exported = gpg("henry", "--output", dump.toString(), "--export", henry);
        assertThat(exported.exit()).as(exported.output()).isZero();
        Files.write(dump, Files.readAllBytes(work.resolve("wkd.pgp")), java.nio.file.StandardOpenOption.APPEND);
        LauncherProcess.Result imported = server.launcher.run("keyserver", "import", dump.toString());
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        assertThat(imported.output()).contains("read 2 keys").contains("2 stored, 0 rejected").contains("nothing is published by an import");
        HttpResponse<String> served = server.call("GET", "/pks/lookup?op=get&options=mr&search=0x" + henry, null, null, null, null);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(server.call("GET", "/vks/v1/by-email/henry@example.org", null, null, null, null).statusCode()).isEqualTo(404);
        Shell.run(work, "gpgconf", "--homedir", work.resolve("henry").toString(), "--kill", "all");
    }

    /** A keys.openpgp.org-style client: upload, the status per address, request-verify with the token, then by-fingerprint. */
    @Test
    @Order(5)
    void aVksClientUploadsAndAsksForVerification() throws Exception {
        assertThat(gpg("judy", "--quick-gen-key", "Judy <judy@example.org>", "ed25519", "sign", "0").exit()).isZero();
        String judy = gpg("judy", "--with-colons", "--list-keys", "judy@example.org").output().lines().filter(l -> l.startsWith("fpr:")).findFirst()
                .orElseThrow().split(":")[9];
        String armored = gpg("judy", "--armor", "--export", judy).output();
        HttpResponse<String> uploaded = server.call("POST", "/vks/v1/upload", null, null, "application/json", "{\"keytext\":" + Shell.json(armored) + "}");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        assertThat(uploaded.body()).contains("\"key_fpr\":\"" + judy + "\"").contains("\"judy@example.org\":\"pending\"").contains("\"token\":");
        String token = Shell.field(uploaded.body(), "token");
        HttpResponse<String> asked = server.call("POST", "/vks/v1/request-verify", null, null, "application/json", "{\"token\":\"" + token + "\",\"addresses\":[]}");
        assertThat(asked.body()).as("the token is the fingerprint, which anyone knows: no unpublished address in the answer").doesNotContain("judy@example.org");
        HttpResponse<String> requested = server.call("POST", "/vks/v1/request-verify", null, null, "application/json",
                "{\"token\":\"" + token + "\",\"addresses\":[\"judy@example.org\"]}");
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(200);
        assertThat(requested.body()).contains("\"judy@example.org\":\"pending\"");
        server.call("POST", "/api/keyserver/verify", null, null, "application/json", "{\"token\":\"" + server.newestToken("judy@example.org") + "\"}");
        HttpResponse<String> served = server.call("GET", "/vks/v1/by-fingerprint/" + judy, null, null, null, null);
        assertThat(served.statusCode()).isEqualTo(200);
        Files.writeString(work.resolve("judy.asc"), served.body());
        assertThat(gpg("kim", "--import", work.resolve("judy.asc").toString()).output()).contains("imported: 1").contains("judy@example.org");
        HttpResponse<String> status = server.call("POST", "/vks/v1/request-verify", null, null, "application/json",
                "{\"token\":\"" + token + "\",\"addresses\":[]}");
        assertThat(status.body()).contains("\"judy@example.org\":\"published\"");
        for (String dir : new String[] {"judy", "kim"}) {
            Shell.run(work, "gpgconf", "--homedir", work.resolve(dir).toString(), "--kill", "all");
        }
    }

    @Test
    @Order(3)
    void badRequestsGetPreciseAnswers() throws Exception {
        String[][] cases = {
                {"GET", "/vks/v1/by-fingerprint/not-hex", "400"},
                {"GET", "/vks/v1/by-keyid/0123456789ABCDEF", "404"},
                {"GET", "/vks/v1/by-email/nobody@example.org", "404"},
                {"GET", "/.well-known/openpgpkey/example.org/hu/notzbase32!", "404"},
                {"GET", "/.well-known/openpgpkey/example.org/hu/" + "y".repeat(32), "404"},
                {"GET", "/pks/lookup?op=get&search=0x1234ABCD", "400"},
                {"GET", "/pks/lookup?op=get", "400"},
                {"POST", "/pks/add", "415"}};
        for (String[] bad : cases) {
            HttpResponse<String> answer = server.call(bad[0], bad[1], null, null, null, null);
            assertThat(answer.statusCode()).as(bad[0] + " " + bad[1] + ": " + answer.body()).isEqualTo(Integer.parseInt(bad[2]));
        }
        HttpResponse<String> notJson = server.call("POST", "/vks/v1/upload", null, null, "application/json", "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("\"error\"");
        HttpResponse<String> garbage = server.call("POST", "/vks/v1/upload", null, null, "application/json", "{\"keytext\":\"hello\"}");
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(garbage.body()).contains("\"error\"");
    }

    /**
     * An administrator of another organisation trusts the root from /ca/root.crt and reaches the directory over LDAPS
     * and StartTLS, the server's certificate verified (LDAPTLS_REQCERT=demand); trusting the machine's web CAs instead
     * gets no connection.
     */
    @Test
    @Order(6)
    void theDirectoryIsServedOverLdapsAndStartTlsWithTheCaRoot() throws Exception {
        String ldaps = "ldaps://127.0.0.1:" + server.launcher.ldapsPort;
        assertThat(server.startOutput).contains("LDAPS             " + ldaps + "/dc=example,dc=org");
        HttpResponse<byte[]> root = server.callBytes("GET", "/ca/root.crt", null, null, null, null, null);
        assertThat(root.statusCode()).isEqualTo(200);
        Files.write(work.resolve("root.der"), root.body());
        Shell.Run converted = Shell.run(work, "openssl", "x509", "-inform", "DER", "-in", "root.der", "-out", "root.pem");
        assertThat(converted.exit()).as(converted.output()).isZero();
        Map<String, String> trustRoot = Map.of("LDAPTLS_CACERT", work.resolve("root.pem").toString(), "LDAPTLS_REQCERT", "demand", "HOME", work.toString());
        Map<String, String> trustWebCas = Map.of("LDAPTLS_CACERT", "/etc/ssl/certs/ca-certificates.crt", "LDAPTLS_REQCERT", "demand", "HOME", work.toString());
        String[] query = {"-b", "dc=example,dc=org", "(gpgMailbox=" + MAILBOX + ")", "gpgFingerprint"};

        for (String[] transport : new String[][] {{"-H", ldaps}, {"-ZZ", "-H", "ldap://127.0.0.1:" + server.launcher.ldapPort}}) {
            String[] command = java.util.stream.Stream.of(new String[] {"ldapsearch", "-x", "-LLL"}, transport, query).flatMap(java.util.Arrays::stream)
                    .toArray(String[]::new);
            Shell.Run found = Shell.run(work, trustRoot, command);
            assertThat(found.exit()).as(String.join(" ", command) + ": " + found.output()).isZero();
            assertThat(found.output()).contains("gpgFingerprint: " + fingerprint);
            Shell.Run refused = Shell.run(work, trustWebCas, command);
            assertThat(refused.exit()).as(refused.output()).isNotZero();
            assertThat(refused.output()).doesNotContain("gpgFingerprint");
        }
        Shell.Run session = Shell.run(work, "openssl", "s_client", "-connect", "127.0.0.1:" + server.launcher.ldapsPort, "-verify_return_error",
                "-verify_ip", "127.0.0.1", "-CAfile", "root.pem");
        assertThat(session.exit()).as(session.output()).isZero();
        assertThat(session.output()).contains("Verify return code: 0 (ok)");
    }

    /** A taken LDAPS port stops the start with one message that names the setting that moves it. */
    @Test
    @Order(7)
    void aTakenLdapsPortStopsTheStartWithOneMessage() throws Exception {
        LauncherProcess taken = new LauncherProcess("ldaps-port-taken");
        try (ServerSocket occupied = new ServerSocket(taken.ldapsPort, 1, InetAddress.getLoopbackAddress())) {
            LauncherProcess.Result start = taken.run("start");
            assertThat(start.exitCode()).as(start.output()).isNotZero();
            assertThat(start.output()).contains("Letterlock cannot start").contains("the LDAPS listener cannot listen on 127.0.0.1:" + taken.ldapsPort)
                    .contains("letterlock.keyserver.ldaps.port");
        } finally {
            taken.stopQuietly();
        }
    }
}
