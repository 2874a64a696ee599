package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A server started by {@code ./letterlock start} on its own schema of the PostgreSQL test database and the managed
 * SoftHSM2 token, with the first administrator's credential read from its data folder, and an HTTP client for it.
 */
final class PostgresServer {
    final LauncherProcess launcher;
    final String pgUrl;
    final String adminPassword;
    /** What {@code ./letterlock start} printed: where everything listens. */
    final String startOutput;
    final HttpClient http = HttpClient.newHttpClient();

    private PostgresServer(LauncherProcess launcher, String pgUrl, String adminPassword, String startOutput) {
        this.launcher = launcher;
        this.startOutput = startOutput;
        this.pgUrl = pgUrl;
        this.adminPassword = adminPassword;
    }

    static PostgresServer start(String name, Map<String, String> environment) throws Exception {
        LauncherProcess launcher = new LauncherProcess(name);
        String url = required("LETTERLOCK_TEST_PG_URL");
        String schema = "it_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = DriverManager.getConnection(url, required("LETTERLOCK_TEST_PG_USER"), required("LETTERLOCK_TEST_PG_PASSWORD"));
             Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        String pgUrl = url + "?currentSchema=" + schema;
        launcher.environment.put("LETTERLOCK_DB_URL", pgUrl);
        launcher.environment.put("LETTERLOCK_DB_USER", required("LETTERLOCK_TEST_PG_USER"));
        launcher.environment.put("LETTERLOCK_DB_PASSWORD_SOURCE", "env:LETTERLOCK_TEST_PG_PASSWORD");
        launcher.environment.putAll(environment);
        LauncherProcess.Result started = launcher.run("start");
        assertThat(started.exitCode()).as(started.output()).isZero();
        assertThat(started.output()).contains("Letterlock is up").contains(launcher.baseUrl() + "/api").contains("admin credential");
        Map<String, String> credential = Files.readAllLines(launcher.dataDir.resolve("secrets/admin-credential")).stream()
                .filter(l -> l.contains("=")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
        assertThat(credential.get("username")).isEqualTo("admin");
        assertThat(Files.getPosixFilePermissions(launcher.dataDir.resolve("secrets/admin-credential")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        return new PostgresServer(launcher, pgUrl, credential.get("password"), started.output());
    }

    static String required(String name) {
        String value = System.getenv(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run ./letterlock test, which starts PostgreSQL");
        }
        return value;
    }

    Connection database() throws Exception {
        return DriverManager.getConnection(pgUrl, required("LETTERLOCK_TEST_PG_USER"), required("LETTERLOCK_TEST_PG_PASSWORD"));
    }

    String baseUrl() {
        return launcher.baseUrl();
    }

    HttpResponse<String> call(String method, String path, String user, String password, String contentType, String body) throws IOException, InterruptedException {
        return http.send(request(method, path, user, password, contentType,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> callBytes(String method, String path, String user, String password, String contentType, byte[] body, String accept)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = request(method, path, user, password, contentType,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder request(String method, String path, String user, String password, String contentType, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(launcher.baseUrl() + path)).method(method, body);
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return request;
    }

    /** Confirms a mailbox with the token of the newest verification mail to it in the server's outbox. */
    /** The root certificate the server publishes at /ca/root.crt, written to {@code folder}/root.pem for the tools. */
    java.nio.file.Path rootPem(java.nio.file.Path folder) throws Exception {
        HttpResponse<byte[]> root = callBytes("GET", "/ca/root.crt", null, null, null, null, null);
        assertThat(root.statusCode()).isEqualTo(200);
        java.nio.file.Files.write(folder.resolve("root.der"), root.body());
        Shell.Run converted = Shell.run(folder, "openssl", "x509", "-inform", "DER", "-in", "root.der", "-out", "root.pem");
        assertThat(converted.exit()).as(converted.output()).isZero();
        return folder.resolve("root.pem");
    }

    void verifyMailbox(String address) throws Exception {
        HttpResponse<String> verified = call("POST", "/api/identities/verify", null, null, "application/json", "{\"token\":\"" + newestToken(address) + "\"}");
        assertThat(verified.statusCode()).as(verified.body()).isEqualTo(200);
    }

    /** Waits for a mail to {@code address} in the server's outbox that contains {@code marker}, and returns it. */
    String awaitMail(String address, String marker, java.time.Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try (var files = java.nio.file.Files.list(launcher.dataDir.resolve("outbox"))) {
                // Whole mails only: the outbox writes a .tmp file and renames it.
                for (java.nio.file.Path mail : files.filter(f -> f.toString().endsWith(".eml")).sorted().toList()) {
                    String text;
                    try {
                        text = java.nio.file.Files.readString(mail);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        continue;
                    }
                    if (text.contains("To: " + address) && text.contains(marker)) {
                        return text;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no mail to " + address + " with " + marker + " in " + limit.toSeconds() + " s");
    }

    /** The token in the newest mail to {@code address} that carries one (a link with token=...). */
    String newestToken(String address) throws Exception {
        String token = null;
        try (var files = java.nio.file.Files.list(launcher.dataDir.resolve("outbox"))) {
            for (java.nio.file.Path mail : files.sorted().toList()) {
                String text = java.nio.file.Files.readString(mail);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("token=([A-Za-z0-9_-]+)").matcher(text);
                if (text.contains("To: " + address) && m.find()) {
                    token = m.group(1);
                }
            }
        }
        assertThat(token).as("a mail with a token to " + address).isNotNull();
        return token;
    }

    void stop() throws Exception {
        launcher.stopQuietly();
        try (Connection c = DriverManager.getConnection(required("LETTERLOCK_TEST_PG_URL"), required("LETTERLOCK_TEST_PG_USER"), required("LETTERLOCK_TEST_PG_PASSWORD"));
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + pgUrl.substring(pgUrl.indexOf("currentSchema=") + "currentSchema=".length()) + " CASCADE");
        }
    }
}
