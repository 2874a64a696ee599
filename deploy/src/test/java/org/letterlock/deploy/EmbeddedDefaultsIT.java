package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The README's run command on embedded defaults (H2 file + SoftHSM2 token made in the data folder), the command-line
 * audit verifier after the server stopped, and the clear refusals of bad configuration, a wrong PIN and a missing
 * token library.
 */
class EmbeddedDefaultsIT {

    @Test
    void startsOnEmbeddedDefaultsAndTheAuditVerifierCatchesAnEditedRow() throws Exception {
        LauncherProcess server = new LauncherProcess("embedded");
        byte[] root;
        try {
            LauncherProcess.Result started = server.run("start");
            assertThat(started.exitCode()).as(started.output()).isZero();
            assertThat(started.output()).contains("Letterlock is up").contains("H2 file").contains("pkcs11");
            assertThat(server.dataDir.resolve("softhsm/softhsm2.conf")).exists();
            assertThat(server.dataDir.resolve("db")).isDirectory();
            HttpResponse<String> ready = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"H2\"");
            root = caCertificatesAndCrlVerify(server);
        } finally {
            server.stopQuietly();
        }

        LauncherProcess.Result intact = server.run("audit", "verify");
        assertThat(intact.exitCode()).as(intact.output()).isZero();
        assertThat(intact.output()).contains("audit log intact");
        String url = "jdbc:h2:file:" + server.dataDir.resolve("db/letterlock") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
        try (Connection c = DriverManager.getConnection(url, "letterlock", ""); Statement s = c.createStatement();
             java.sql.ResultSet verified = s.executeQuery("SELECT actor FROM audit_record WHERE action = 'audit.verify'")) {
            assertThat(verified.next()).as("the check is on record").isTrue();
            assertThat(verified.getString(1)).as("in the name of the operator who ran the command").isEqualTo("cli " + System.getProperty("user.name"));
        }

        // A restart finds the CA's keys on the token and its certificates in H2: the same root, no second hierarchy.
        try {
            LauncherProcess.Result restarted = server.run("start");
            assertThat(restarted.exitCode()).as(restarted.output()).isZero();
            assertThat(caCertificatesAndCrlVerify(server)).isEqualTo(root);
        } finally {
            server.stopQuietly();
        }

        try (Connection c = DriverManager.getConnection(url, "letterlock", ""); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("DELETE FROM audit_record WHERE seq = 2")).isEqualTo(1);
        }
        LauncherProcess.Result broken = server.run("audit", "verify");
        assertThat(broken.exitCode()).as(broken.output()).isEqualTo(1);
        assertThat(broken.output()).contains("BROKEN at record 2").contains("deleted");
    }

    /** The CA made on first start (SoftHSM2 keys, H2 store): its certificates served, its CRL verified by openssl. Returns the root. */
    private static byte[] caCertificatesAndCrlVerify(LauncherProcess server) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> issuers = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/ca/issuers")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(issuers.body()).contains("\"id\":\"root\"", "\"id\":\"issuing-1\"").doesNotContain("issuing-2");
        Path dir = Files.createDirectories(server.dataDir.resolveSibling("embedded-ca"));
        byte[] root = get(http, server.baseUrl() + "/ca/root.pem");
        Files.write(dir.resolve("chain.pem"), concat(get(http, server.baseUrl() + "/ca/issuing-1.pem"), root));
        Files.write(dir.resolve("issuing-1.crl"), get(http, server.baseUrl() + "/crl/issuing-1.crl"));
        Process openssl = new ProcessBuilder("openssl", "crl", "-inform", "DER", "-in", dir.resolve("issuing-1.crl").toString(), "-noout",
                "-CAfile", dir.resolve("chain.pem").toString()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(openssl.waitFor()).as(output).isZero();
        assertThat(output).contains("verify OK");
        return root;
    }

    private static byte[] get(HttpClient http, String url) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    @Test
    void badConfigurationIsOneMessageNamingTheKeyAndANonZeroExit() throws Exception {
        LauncherProcess cli = new LauncherProcess("bad-config");
        cli.environment.put("LETTERLOCK_DB_POOL_SIZE", "lots");
        LauncherProcess.Result result = cli.run("init");
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("letterlock.db.pool-size").contains("LETTERLOCK_DB_POOL_SIZE").contains("whole number").doesNotContain("Exception");
    }

    @Test
    void aWrongPinStopsTheServerWithOneClearMessage() throws Exception {
        LauncherProcess first = new LauncherProcess("wrong-pin");
        LauncherProcess.Result init = first.run("init");
        assertThat(init.exitCode()).as(init.output()).isZero();
        Files.writeString(first.dataDir.resolve("wrong.pin"), "000000\n");
        first.environment.put("LETTERLOCK_VAULT_PIN_SOURCE", "file:" + first.dataDir.resolve("wrong.pin"));

        LauncherProcess.Result cli = first.run("init");
        assertThat(cli.exitCode()).isNotZero();
        assertThat(cli.output()).contains("refused the PIN").contains("wrong.pin").doesNotContain("Exception");

        LauncherProcess.Result server = first.run("start");
        assertThat(server.exitCode()).isNotZero();
        assertThat(server.output()).contains("Letterlock cannot start").contains("refused the PIN");
        first.stopQuietly();
    }

    @Test
    void aMissingTokenLibrarySaysWhatToInstall() throws Exception {
        LauncherProcess cli = new LauncherProcess("no-library");
        cli.environment.put("LETTERLOCK_VAULT_PKCS11_LIBRARY", "/opt/no-such-hsm/libpkcs11.so");
        LauncherProcess.Result result = cli.run("start");
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("/opt/no-such-hsm/libpkcs11.so").contains("LETTERLOCK_VAULT_PKCS11_LIBRARY");
    }
}
