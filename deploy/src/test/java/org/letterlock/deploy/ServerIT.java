package org.letterlock.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.letterlock.platform.identity.Role;

/**
 * The real server, started by {@code ./letterlock start} on PostgreSQL and the managed SoftHSM2 token, driven over
 * HTTP: health, metrics, every role boundary, problem+json on bad input, mailbox verification, and the audit chain
 * verifying after the run and failing once a row is edited in the database behind the server's back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerIT {
    private static final String PASSWORD_SUFFIX = "-correct-horse";
    private PostgresServer fixture;
    private LauncherProcess server;
    private HttpClient http;
    private String pgUrl;
    private String adminPassword;

    @BeforeAll
    void start() throws Exception {
        fixture = PostgresServer.start("server-pg", Map.of("LETTERLOCK_AUDIT_CHECKPOINT_EVERY", "25"));
        server = fixture.launcher;
        http = fixture.http;
        pgUrl = fixture.pgUrl;
        adminPassword = fixture.adminPassword;
    }

    @AfterAll
    void stop() throws Exception {
        if (fixture != null) {
            fixture.stop();
        }
    }

    private static String required(String name) {
        return PostgresServer.required(name);
    }

    private HttpResponse<String> call(String method, String path, String user, String password, String contentType, String body) throws IOException, InterruptedException {
        return fixture.call(method, path, user, password, contentType, body);
    }

    private HttpResponse<String> asAdmin(String method, String path, String json) throws IOException, InterruptedException {
        return call(method, path, "admin", adminPassword, json == null ? null : "application/json", json);
    }

    private HttpResponse<String> as(Role role, String method, String path, String json) throws IOException, InterruptedException {
        return call(method, path, account(role), account(role) + PASSWORD_SUFFIX, json == null ? null : "application/json", json);
    }

    private static String account(Role role) {
        return "it-" + role.id();
    }

    @Test
    @Order(1)
    void isHealthyWithVaultAndDatabaseChecks() throws Exception {
        HttpResponse<String> ready = call("GET", "/health/ready", null, null, null, null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"UP\"").contains("\"vault\"").contains("\"database\"").contains("PostgreSQL").contains("libsofthsm2.so");
        assertThat(call("GET", "/health/live", null, null, null, null).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void createsAnAccountForEveryRole() throws Exception {
        for (Role role : Role.values()) {
            HttpResponse<String> created = asAdmin("POST", "/api/admins",
                    "{\"name\":\"" + account(role) + "\",\"roles\":[\"" + role.id() + "\"],\"password\":\"" + account(role) + PASSWORD_SUFFIX + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).contains("\"roles\":[\"" + role.id() + "\"]").doesNotContain("password");
        }
        HttpResponse<String> generated = asAdmin("POST", "/api/admins", "{\"name\":\"it-generated\",\"roles\":[\"auditor\"]}");
        assertThat(generated.statusCode()).isEqualTo(201);
        assertThat(generated.body()).containsPattern("\"password\":\"[A-Za-z0-9]{24}\"");
    }

    /**
     * One state-changing or reading endpoint, the roles that may use it, and a body for POSTs (%s: the caller's role).
     * Bodies name no real mailbox, so an allowed role meets a 400 or 404, never the domain's own 403.
     */
    private record Endpoint(String method, String path, Set<Role> allowed, String body) {
    }

    private static List<Endpoint> endpoints() {
        Set<Role> all = EnumSet.allOf(Role.class);
        return List.of(
                new Endpoint("GET", "/api/admins", EnumSet.of(Role.CA_ADMIN), null),
                new Endpoint("POST", "/api/admins", EnumSet.of(Role.CA_ADMIN), "{\"name\":\"probe-%s\",\"roles\":[\"auditor\"]}"),
                new Endpoint("POST", "/api/admins/it-generated/disable", EnumSet.of(Role.CA_ADMIN), ""),
                new Endpoint("GET", "/api/admins/me", all, null),
                new Endpoint("POST", "/api/identities", EnumSet.of(Role.CA_ADMIN, Role.RA_OFFICER), "{\"address\":\"probe-%s@example.org\",\"owner\":\"probe\"}"),
                new Endpoint("GET", "/api/identities/nobody@example.org", EnumSet.of(Role.CA_ADMIN, Role.RA_OFFICER, Role.AUDITOR), null),
                new Endpoint("PUT", "/api/identities/nobody@example.org/owner", EnumSet.of(Role.CA_ADMIN, Role.RA_OFFICER), "{\"owner\":\"probe-%s\"}"),
                new Endpoint("GET", "/api/audit/verify", EnumSet.of(Role.AUDITOR), null),
                new Endpoint("GET", "/api/audit/records?limit=5", EnumSet.of(Role.AUDITOR), null),
                new Endpoint("POST", "/api/audit/checkpoint", EnumSet.of(Role.AUDITOR), ""),
                new Endpoint("GET", "/api/vault", EnumSet.of(Role.CA_ADMIN, Role.AUDITOR), null),
                new Endpoint("GET", "/api/ca/certificates?limit=5", EnumSet.of(Role.CA_ADMIN, Role.RA_OFFICER, Role.AUDITOR), null),
                new Endpoint("POST", "/api/ca/crls", EnumSet.of(Role.CA_ADMIN), ""),
                new Endpoint("POST", "/api/ca/issuers/rollover", EnumSet.of(Role.CA_ADMIN), ""),
                new Endpoint("GET", "/api/ca/issuers/issuing-1/csr", EnumSet.of(Role.CA_ADMIN), null),
                new Endpoint("GET", "/api/escrow/recovery-keys", EnumSet.of(Role.CA_ADMIN, Role.RECOVERY_AGENT, Role.AUDITOR), null),
                new Endpoint("POST", "/api/escrow/recovery-keys/rotate", EnumSet.of(Role.CA_ADMIN), ""),
                new Endpoint("POST", "/api/escrow/keys", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER), "{\"mailbox\":\"not an address %s\"}"),
                new Endpoint("POST", "/api/escrow/archives", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER), "{\"certificate\":\"01\",\"encryptedKey\":\"AAAA\"}"),
                new Endpoint("GET", "/api/escrow/archives?mailbox=not-an-address", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR),
                        null),
                new Endpoint("POST", "/api/escrow/recoveries", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT),
                        "{\"mailbox\":\"not an address\",\"reason\":\"probe\"}"),
                new Endpoint("GET", "/api/escrow/recoveries", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR), null),
                new Endpoint("POST", "/api/escrow/recoveries/no-such-id/approve", EnumSet.of(Role.RECOVERY_AGENT), "{}"),
                new Endpoint("POST", "/api/escrow/recoveries/no-such-id/deny", EnumSet.of(Role.RECOVERY_AGENT), "{}"),
                new Endpoint("POST", "/api/escrow/recoveries/no-such-id/download", EnumSet.of(Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT), "{}"),
                new Endpoint("POST", "/api/keyserver/keys/" + "0".repeat(40) + "/delete", EnumSet.of(Role.CA_ADMIN), "{}"),
                new Endpoint("GET", "/api/keyserver/dane?domain=example.org", EnumSet.of(Role.CA_ADMIN, Role.AUDITOR), null));
    }

    @Test
    @Order(3)
    void everyRoleBoundaryHolds() throws Exception {
        int probe = 0;
        for (Endpoint endpoint : endpoints()) {
            HttpResponse<String> anonymous = call(endpoint.method(), endpoint.path(), null, null, endpoint.body() == null ? null : "application/json",
                    endpoint.body() == null ? null : String.format(endpoint.body(), "anonymous"));
            assertThat(anonymous.statusCode()).as("anonymous " + endpoint).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            // A wrong password for admin once; then names of their own, as failed logins per name and client are limited (10 in 15 minutes).
            HttpResponse<String> wrongPassword = call(endpoint.method(), endpoint.path(), probe++ == 0 ? "admin" : "nobody-" + probe, "not-the-password", null, null);
            assertThat(wrongPassword.statusCode()).as("wrong password " + endpoint).isEqualTo(401);
            for (Role role : Role.values()) {
                String body = endpoint.body() == null ? null : String.format(endpoint.body(), role.id());
                HttpResponse<String> response = as(role, endpoint.method(), endpoint.path(), body);
                if (endpoint.allowed().contains(role)) {
                    assertThat(response.statusCode()).as(role.id() + " on " + endpoint + ": " + response.body()).isNotIn(401, 403).isLessThan(500);
                } else {
                    assertThat(response.statusCode()).as(role.id() + " on " + endpoint).isEqualTo(403);
                    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                    assertThat(response.body()).contains("\"status\":403").contains(role.id());
                }
            }
        }
    }

    private static Stream<String[]> badRequests() {
        return Stream.of(
                new String[] {"POST", "/api/admins", "application/json", "{not json", "400"},
                new String[] {"POST", "/api/admins", "application/json", "{\"name\":\"Bad Name!\",\"roles\":[\"auditor\"]}", "400"},
                new String[] {"POST", "/api/admins", "application/json", "{\"name\":\"x1\",\"roles\":[\"wizard\"]}", "400"},
                new String[] {"POST", "/api/admins", "application/json", "{\"name\":\"x2\",\"roles\":[]}", "400"},
                new String[] {"POST", "/api/admins", "application/json", "{\"name\":\"x3\",\"roles\":[null]}", "400"},
                new String[] {"POST", "/api/identities", "application/json", "{\"address\":\"nul@example.org\",\"owner\":\"a\\u0000b\"}", "400"},
                new String[] {"POST", "/api/admins", "text/plain", "hello", "415"},
                new String[] {"POST", "/api/admins", "application/json", "{\"name\":\"admin\",\"roles\":[\"auditor\"]}", "409"},
                new String[] {"POST", "/api/identities", "application/json", "{\"address\":\"not an address\",\"owner\":\"x\"}", "400"},
                new String[] {"GET", "/api/identities/unknown@example.org", null, null, "404"},
                new String[] {"GET", "/api/no-such-thing", null, null, "404"},
                new String[] {"DELETE", "/api/admins", null, null, "405"});
    }

    @Test
    @Order(4)
    void badInputGetsAPreciseProblemAndChangesNothing() throws Exception {
        int accountsBefore = asAdmin("GET", "/api/admins", null).body().split("\"name\"").length;
        for (String[] bad : badRequests().toList()) {
            HttpResponse<String> response = call(bad[0], bad[1], "admin", adminPassword, bad[2], bad[3]);
            assertThat(response.statusCode()).as(String.join(" ", bad) + " -> " + response.body()).isEqualTo(Integer.parseInt(bad[4]));
            assertThat(response.headers().firstValue("Content-Type")).as(bad[1]).hasValue("application/problem+json");
            assertThat(response.body()).contains("\"type\":").contains("\"status\":" + bad[4]).doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(asAdmin("GET", "/api/admins", null).body().split("\"name\"").length).isEqualTo(accountsBefore);
        HttpResponse<String> malformedQuery = as(Role.AUDITOR, "GET", "/api/audit/records?after=abc", null);
        assertThat(malformedQuery.statusCode()).isEqualTo(400);
        assertThat(malformedQuery.body()).contains("after must be a whole number");
    }

    @Test
    @Order(4)
    void aCrossSiteFormPostIsRefusedEvenWithValidCredentials() throws Exception {
        HttpRequest forged = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/admins/it-auditor/disable"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + adminPassword).getBytes(StandardCharsets.UTF_8)))
                .header("Origin", "http://attacker.example")
                .build();
        HttpResponse<String> response = http.send(forged, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("cross-site");
        assertThat(asAdmin("GET", "/api/admins", null).body()).contains("\"disabled\":false,\"name\":\"it-auditor\"");
    }

    @Test
    @Order(5)
    void aMailboxIsVerifiedThroughTheMailedLinkOnce() throws Exception {
        HttpResponse<String> registered = as(Role.RA_OFFICER, "POST", "/api/identities", "{\"address\":\"Dana@Example.org\",\"owner\":\"dana\"}");
        assertThat(registered.statusCode()).isEqualTo(202);
        String mail;
        try (Stream<Path> files = Files.list(server.dataDir.resolve("outbox"))) {
            mail = files.filter(p -> p.toString().endsWith(".eml")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).filter(m -> m.contains("To: dana@example.org")).findFirst().orElseThrow();
        }
        Matcher link = Pattern.compile("(http://\\S+/api/identities/verify\\?token=([A-Za-z0-9_-]+))").matcher(mail);
        assertThat(link.find()).as(mail).isTrue();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(link.group(1))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.body()).contains("<form method=\"post\"").contains(link.group(2));
        assertThat(as(Role.AUDITOR, "GET", "/api/identities/dana@example.org", null).body()).contains("\"verified\":false");

        HttpResponse<String> confirmed = call("POST", "/api/identities/verify", null, null, "application/x-www-form-urlencoded", "token=" + link.group(2));
        assertThat(confirmed.statusCode()).isEqualTo(200);
        assertThat(as(Role.AUDITOR, "GET", "/api/identities/dana@example.org", null).body()).contains("\"verified\":true");

        HttpResponse<String> again = call("POST", "/api/identities/verify", null, null, "application/json", "{\"token\":\"" + link.group(2) + "\"}");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("used already");

        HttpResponse<String> transferred = as(Role.RA_OFFICER, "PUT", "/api/identities/dana@example.org/owner", "{\"owner\":\"erin\"}");
        assertThat(transferred.statusCode()).as(transferred.body()).isEqualTo(200);
        assertThat(transferred.body()).contains("\"owner\":\"erin\"").contains("\"verified\":true");
        assertThat(as(Role.RA_OFFICER, "PUT", "/api/identities/dana@example.org/owner", "{\"owner\":\"\"}").statusCode()).isEqualTo(400);
    }

    @Test
    @Order(6)
    void metricsAreOpenMetrics() throws Exception {
        HttpRequest scrape = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/metrics")).header("Accept", "application/openmetrics-text").build();
        HttpResponse<String> metrics = http.send(scrape, HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/openmetrics-text"));
        assertThat(metrics.body()).endsWith("# EOF\n").containsPattern("(?m)^letterlock_audit_records_total [1-9]\\d*$")
                .containsPattern("(?m)^letterlock_vault_signatures_total \\d+$").contains("letterlock_vault_ready 1");
        for (String line : metrics.body().split("\n")) {
            assertThat(line).as("OpenMetrics line").matches("# (TYPE|HELP) [a-z_]+ .+|# EOF|[a-z_]+ -?[0-9.]+");
        }
        HttpResponse<String> prometheus = call("GET", "/metrics", null, null, null, null);
        assertThat(prometheus.body()).containsPattern("letterlock_audit_records_appended\\{[^}]*\\} [1-9]");
    }

    @Test
    @Order(6)
    void theApiIsDescribedInOpenApi() throws Exception {
        HttpResponse<String> openapi = call("GET", "/openapi", null, null, null, null);
        assertThat(openapi.statusCode()).isEqualTo(200);
        assertThat(openapi.body()).contains("title: Letterlock").contains("/api/admins:").contains("/api/audit/verify:").contains("/api/identities/verify:");
    }

    /** Guessing one account's password from one client: the eleventh try in 15 minutes is a 429 before any hash; other names are not held up. */
    @Test
    @Order(6)
    void failedLoginsForOneNameFromOneClientAreLimited() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(call("GET", "/api/admins/me", "guessed", "guess-" + i, null, null).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> limited = call("GET", "/api/admins/me", "guessed", "guess-10", null, null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("failed logins");
        assertThat(call("GET", "/api/admins/me", "someone-else", "a-guess", null, null).statusCode()).isEqualTo(401);
        assertThat(as(Role.AUDITOR, "GET", "/api/admins/me", null).statusCode()).isEqualTo(200);
    }

    /** Credentials are cached after a login (an Argon2 hash each time would cap the API); disabling an account drops them at once. */
    @Test
    @Order(6)
    void aDisabledAccountIsRefusedAtOnceThoughItsLoginWasCached() throws Exception {
        String password = "it-leaving" + PASSWORD_SUFFIX;
        assertThat(asAdmin("POST", "/api/admins", "{\"name\":\"it-leaving\",\"roles\":[\"auditor\"],\"password\":\"" + password + "\"}").statusCode())
                .isEqualTo(201);
        assertThat(call("GET", "/api/admins/me", "it-leaving", password, null, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/admins/me", "it-leaving", password, null, null).statusCode()).as("served from the cache").isEqualTo(200);
        assertThat(asAdmin("POST", "/api/admins/it-leaving/disable", null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/admins/me", "it-leaving", password, null, null).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(7)
    void auditChainVerifiesAfterTheRunAndFailsAfterARowIsEdited() throws Exception {
        HttpResponse<String> intact = as(Role.AUDITOR, "GET", "/api/audit/verify", null);
        assertThat(intact.statusCode()).isEqualTo(200);
        assertThat(intact.body()).contains("\"intact\":true").containsPattern("\"checkpointsVerified\":[1-9]");
        HttpResponse<String> records = as(Role.AUDITOR, "GET", "/api/audit/records?limit=1000", null);
        assertThat(records.body()).contains("\"action\":\"http.POST /admins\"").contains("\"outcome\":\"DENIED\"")
                .contains("\"action\":\"admin.create\"").contains("\"action\":\"vault.create-key\"").contains("\"action\":\"identity.verify\"");

        try (Connection c = DriverManager.getConnection(pgUrl, required("LETTERLOCK_TEST_PG_USER"), required("LETTERLOCK_TEST_PG_PASSWORD"));
             Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE audit_record SET outcome = 'ALLOWED' WHERE seq = (SELECT MIN(seq) FROM audit_record WHERE outcome = 'DENIED')")).isEqualTo(1);
        }
        HttpResponse<String> broken = as(Role.AUDITOR, "GET", "/api/audit/verify", null);
        assertThat(broken.statusCode()).isEqualTo(200);
        assertThat(broken.body()).contains("\"intact\":false").contains("edited").containsPattern("\"firstBadSeq\":[1-9]");
    }
}
