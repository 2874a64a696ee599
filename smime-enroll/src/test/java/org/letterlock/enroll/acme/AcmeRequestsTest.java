package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.enroll.EnrollFixture;

/**
 * ACME requests signed by jose4j, a JOSE library nobody here wrote: an EdDSA (Ed25519) account, which acme4j cannot
 * make, and the bad requests no well-behaved client sends. Each bad one gets its ACME problem document, a fresh
 * Replay-Nonce and an audit record; a fuzzed stream of mutated requests never gets a 5xx.
 */
class AcmeRequestsTest extends AcmeServerTests {
    static JoseClient client;
    static String base;
    static KeyPair edKey;
    static String account;
    static String otherAccount;
    static KeyPair otherKey;
    static String mailbox;
    static String order;

    @BeforeAll
    static void start() throws Exception {
        base = server.fixture.url() + "/acme";
        client = new JoseClient(HttpClient.newBuilder().sslContext(server.fixture.clientTls()).build(), base);
        edKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        HttpResponse<String> created = client.post("/new-account", "{\"termsOfServiceAgreed\":true}", edKey, "EdDSA", null);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        account = created.headers().firstValue("Location").orElseThrow();
        otherKey = ec("secp256r1");
        otherAccount = client.post("/new-account", "{}", otherKey, "ES256", null).headers().firstValue("Location").orElseThrow();
        mailbox = EnrollFixture.newMailbox("jose");
        server.fixture.verifiedMailbox(mailbox, "jo");
        HttpResponse<String> ordered = client.post("/new-order", "{\"identifiers\":[{\"type\":\"email\",\"value\":\"" + mailbox + "\"}]}", edKey, "EdDSA", account);
        assertThat(ordered.statusCode()).as(ordered.body()).isEqualTo(201);
        order = ordered.headers().firstValue("Location").orElseThrow();
    }

    @Test
    void anEdDsaAccountSignsItsRequests() throws Exception {
        HttpResponse<String> again = client.post("/new-account", "{\"onlyReturnExisting\":true}", edKey, "EdDSA", null);
        HttpResponse<String> read = client.post(order.substring(base.length()), "", edKey, "EdDSA", account);

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Location")).contains(account);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("\"status\":\"pending\"", "\"type\":\"email\",\"value\":\"" + mailbox + "\"");
    }

    @Test
    void aKeyWithAnAccountGetsItBackWhateverElseTheRequestAsks() throws Exception {
        HttpResponse<String> badContact = client.post("/new-account", "{\"contact\":[\"tel:+15550100\"]}", edKey, "EdDSA", null);
        HttpResponse<String> again = client.post("/new-account", "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:new@example.org\"]}", edKey, "EdDSA", null);

        for (HttpResponse<String> response : List.of(badContact, again)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue("Location")).contains(account);
            assertThat(response.body()).doesNotContain("new@example.org");
        }
    }

    /** One mailbox gets at most so many orders, so challenge mails, an hour, whoever asks. */
    @Test
    void aMailboxGetsAFewChallengeMailsAnHour() throws Exception {
        String busy = EnrollFixture.newMailbox("busy");
        server.fixture.verifiedMailbox(busy, "bea");
        for (int i = 0; i < AcmeOrders.ORDERS_PER_MAILBOX_PER_HOUR; i++) {
            assertThat(client.post("/new-order", newOrder(busy), edKey, "EdDSA", account).statusCode()).isEqualTo(201);
        }
        HttpResponse<String> more = client.post("/new-order", newOrder(busy), otherKey, "ES256", otherAccount);
        assertThat(more.statusCode()).as(more.body()).isEqualTo(429);
        assertThat(more.body()).contains("urn:ietf:params:acme:error:rateLimited");
        assertThat(org.letterlock.platform.store.Outbox.mailsTo(EnrollFixture.TOKEN_DATA, busy).stream().filter(m -> m.contains("ACME: ")))
                .hasSize(AcmeOrders.ORDERS_PER_MAILBOX_PER_HOUR);
    }

    @Test
    void curlSeesTheDirectoryAndANonce() throws Exception {
        String directory = AcmeTestServer.run("curl", "-sS", "--fail", "--cacert", server.fixture.rootPem().toString(), base + "/directory");
        String nonce = AcmeTestServer.run("curl", "-sS", "--fail", "-I", "--cacert", server.fixture.rootPem().toString(), base + "/new-nonce");

        assertThat(directory).contains("\"newNonce\":\"" + base + "/new-nonce\"", "\"newAccount\":\"" + base + "/new-account\"",
                "\"newOrder\":\"" + base + "/new-order\"", "\"revokeCert\":\"" + base + "/revoke-cert\"", "\"keyChange\":\"" + base + "/key-change\"");
        assertThat(nonce).containsIgnoringCase("replay-nonce: ").containsIgnoringCase("cache-control: no-store");
    }

    /** One bad request: how it is made, and the status and problem type it must get. */
    interface BadRequest {
        HttpResponse<String> send() throws Exception;
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad("rejects/replayed-nonce", 400, "badNonce", () -> {
                    String nonce = client.nonce();
                    client.post(order.substring(base.length()), "", edKey, "EdDSA", account, nonce, null);
                    return client.post(order.substring(base.length()), "", edKey, "EdDSA", account, nonce, null);
                }),
                bad("rejects/unknown-nonce", 400, "badNonce", () -> client.post("/new-order", newOrder(mailbox), edKey, "EdDSA", account, "bm9ub25jZQ", null)),
                bad("rejects/expired-nonce", 400, "badNonce", () -> {
                    String nonce = client.nonce();
                    server.fixture.clock.advance(Duration.ofMinutes(11));
                    try {
                        return client.post(order.substring(base.length()), "", edKey, "EdDSA", account, nonce, null);
                    } finally {
                        server.fixture.clock.advance(Duration.ofMinutes(-11));
                    }
                }),
                bad("rejects/url-of-another-resource", 403, "unauthorized", () -> client.post("/new-order", newOrder(mailbox), edKey, "EdDSA", account, null,
                        base + "/new-account")),
                bad("rejects/unsupported-jws-alg", 400, "badSignatureAlgorithm", () -> client.post("/new-account", "{}", ec("secp384r1"), "ES384", null)),
                bad("rejects/rsa-1024-account-key", 400, "badPublicKey", () -> client.post("/new-account", "{}", rsa(1024), "RS256", null)),
                bad("rejects/signature-by-another-key", 400, "malformed", () -> client.forged("/new-order", newOrder(mailbox), edKey, account)),
                bad("rejects/malformed-json", 400, "malformed", () -> client.raw("/new-order", "application/jose+json", "{\"protected\": ")),
                bad("rejects/payload-not-json", 400, "malformed", () -> client.post("/new-order", "identifiers=all", edKey, "EdDSA", account)),
                bad("rejects/wrong-media-type", 415, "malformed", () -> client.raw("/new-order", "application/json", "{}")),
                bad("rejects/get-on-new-order", 405, "malformed", () -> client.get("/new-order")),
                bad("rejects/kid-on-new-account", 400, "malformed", () -> client.post("/new-account", "{}", edKey, "EdDSA", account)),
                bad("rejects/jwk-on-new-order", 400, "malformed", () -> client.post("/new-order", newOrder(mailbox), edKey, "EdDSA", null)),
                bad("rejects/unknown-account", 400, "accountDoesNotExist", () -> client.post("/new-order", newOrder(mailbox), edKey, "EdDSA",
                        base + "/account/nobody")),
                bad("rejects/mailbox-not-registered-here", 400, "rejectedIdentifier", () -> client.post("/new-order", newOrder("nobody@example.net"), edKey,
                        "EdDSA", account)),
                bad("rejects/not-an-address", 400, "rejectedIdentifier", () -> client.post("/new-order", newOrder("not an address"), edKey, "EdDSA", account)),
                bad("rejects/dns-identifier", 400, "unsupportedIdentifier", () -> client.post("/new-order",
                        "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.org\"}]}", edKey, "EdDSA", account)),
                bad("rejects/two-identifiers", 400, "malformed", () -> client.post("/new-order", "{\"identifiers\":[{\"type\":\"email\",\"value\":\"" + mailbox
                        + "\"},{\"type\":\"email\",\"value\":\"" + mailbox + "\"}]}", edKey, "EdDSA", account)),
                bad("rejects/finalize-before-the-challenge-is-valid", 403, "orderNotReady", () -> client.post(
                        order.substring(base.length()).replace("/order/", "/finalize/"), "{\"csr\":\"" + csr(mailbox) + "\"}", edKey, "EdDSA", account)),
                bad("rejects/order-of-another-account", 403, "unauthorized", () -> {
                    KeyPair other = ec("secp256r1");
                    String otherKid = client.post("/new-account", "{}", other, "ES256", null).headers().firstValue("Location").orElseThrow();
                    return client.post(order.substring(base.length()), "", other, "ES256", otherKid);
                }),
                bad("rejects/es256-accounts-kid-signed-with-eddsa", 400, "badSignatureAlgorithm", () -> client.post("/new-order", newOrder(mailbox), edKey, "EdDSA", otherAccount)),
                bad("rejects/revoking-a-certificate-this-ca-did-not-issue", 403, "unauthorized", () -> client.post("/revoke-cert",
                        "{\"certificate\":\"" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(server.fixture.ca.issuer("root").orElseThrow()
                                .requireCertificate().getEncoded()) + "\"}", edKey, "EdDSA", account)),
                bad("rejects/order-read-with-a-payload", 400, "malformed", () -> client.post(order.substring(base.length()), "{}", edKey, "EdDSA", account)),
                bad("rejects/key-change-inner-jws-with-a-nonce", 400, "malformed", () -> keyChange(innerJws(ec("secp256r1"), keyChangeOf(account, edKey),
                        client.nonce(), base + "/key-change"))),
                bad("rejects/key-change-inner-jws-for-another-url", 400, "malformed", () -> keyChange(innerJws(ec("secp256r1"), keyChangeOf(account, edKey),
                        null, base + "/new-order"))),
                bad("rejects/key-change-inner-jws-with-kid", 400, "malformed", () -> keyChange(client.signed("/key-change", keyChangeOf(account, edKey),
                        ec("secp256r1"), "ES256", account, null, base + "/key-change"))),
                bad("rejects/key-change-not-a-jws", 400, "malformed", () -> keyChange(keyChangeOf(account, edKey))),
                bad("rejects/key-change-for-another-account", 400, "malformed", () -> keyChange(innerJws(ec("secp256r1"), keyChangeOf(otherAccount, edKey),
                        null, base + "/key-change"))),
                bad("rejects/key-change-with-another-old-key", 400, "malformed", () -> keyChange(innerJws(ec("secp256r1"), keyChangeOf(account, otherKey),
                        null, base + "/key-change"))),
                bad("rejects/key-change-to-a-weak-key", 400, "badPublicKey", () -> keyChange(client.signed("/key-change", keyChangeOf(account, edKey),
                        rsa(1024), "RS256", null, null, base + "/key-change"))),
                bad("rejects/key-change-to-another-accounts-key", 409, "malformed", () -> keyChange(innerJws(otherKey, keyChangeOf(account, edKey), null,
                        base + "/key-change"))),
                bad("rejects/key-change-to-the-same-key", 409, "malformed", () -> keyChange(client.signed("/key-change", keyChangeOf(account, edKey), edKey,
                        "EdDSA", null, null, base + "/key-change"))),
                bad("rejects/key-change-inner-jws-signed-by-another-key", 400, "malformed", () -> {
                    KeyPair claimed = ec("secp256r1");
                    String genuine = innerJws(claimed, keyChangeOf(account, edKey), null, base + "/key-change");
                    String other = innerJws(ec("secp256r1"), keyChangeOf(account, edKey), null, base + "/key-change");
                    return keyChange(genuine.replaceAll("\"signature\":\"[^\"]*\"", other.substring(other.indexOf("\"signature\""), other.lastIndexOf('"') + 1)));
                }),
                bad("rejects/key-change-of-a-deactivated-account", 403, "unauthorized", () -> {
                    KeyPair key = ec("secp256r1");
                    String kid = client.post("/new-account", "{}", key, "ES256", null).headers().firstValue("Location").orElseThrow();
                    client.post(kid.substring(base.length()), "{\"status\":\"deactivated\"}", key, "ES256", kid);
                    return client.post("/key-change", innerJws(ec("secp256r1"), keyChangeOf(kid, key), null, base + "/key-change"), key, "ES256", kid);
                }));
    }

    @Test
    void aKeyChangeToAnotherAccountsKeyNamesThatAccount() throws Exception {
        HttpResponse<String> response = keyChange(innerJws(otherKey, keyChangeOf(account, edKey), null, base + "/key-change"));

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.headers().firstValue("Location")).contains(otherAccount);
        assertThat(client.post(order.substring(base.length()), "", edKey, "EdDSA", account).statusCode()).as("the account keeps its key").isEqualTo(200);
    }

    /** A key change of the EdDSA account, signed by its key, carrying {@code inner} as its payload. */
    private static HttpResponse<String> keyChange(String inner) throws Exception {
        return client.post("/key-change", inner, edKey, "EdDSA", account);
    }

    /** The inner JWS of a key change (RFC 8555 section 7.3.5), signed by the new key with ES256; no nonce when {@code nonce} is null. */
    private static String innerJws(KeyPair newKey, String change, String nonce, String url) throws Exception {
        return client.signed("/key-change", change, newKey, "ES256", null, nonce, url);
    }

    private static String keyChangeOf(String accountUrl, KeyPair oldKey) throws Exception {
        return "{\"account\":\"" + accountUrl + "\",\"oldKey\":" + PublicJsonWebKey.Factory.newPublicJwk(oldKey.getPublic()).toJson() + "}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsGetTheirProblemDocument(String name, int status, String type, BadRequest request) throws Exception {
        long auditedBefore = refusals();
        long issuedBefore = server.issued(mailbox);

        HttpResponse<String> response = request.send();

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(response.body()).contains("\"type\":\"urn:ietf:params:acme:error:" + type + "\"").doesNotContain("Exception");
        assertThat(response.headers().firstValue("Replay-Nonce")).isPresent();
        assertThat(refusals()).as("audited").isGreaterThan(auditedBefore);
        assertThat(server.issued(mailbox)).as("nothing issued").isEqualTo(issuedBefore);
    }

    @Test
    void mutatedAndRandomRequestsNeverGetAServerError() throws Exception {
        Random random = new Random(8555);
        String[] paths = {"/new-account", "/new-order", order.substring(base.length()), order.substring(base.length()).replace("/order/", "/authz/"),
                order.substring(base.length()).replace("/order/", "/chall/"), order.substring(base.length()).replace("/order/", "/finalize/"), "/account/x",
                "/cert/x", "/nothing"};
        for (int i = 0; i < 300; i++) {
            String path = paths[random.nextInt(paths.length)];
            String body = random.nextInt(4) == 0 ? randomText(random) : mutate(client.signed(path, i % 2 == 0 ? "" : newOrder(mailbox), edKey, "EdDSA",
                    account, client.nonce(), base + path), random);
            HttpResponse<String> response = client.raw(path, "application/jose+json", body);

            assertThat(response.statusCode()).as(path + " " + body + "\n" + response.body()).isLessThan(500);
        }
    }

    private static long refusals() {
        return server.fixture.platform.auditLog().read(0, 1_000_000).stream()
                .filter(r -> r.event().action().startsWith("enroll.acme.") && !r.event().outcome().name().equals("ALLOWED")).count();
    }

    private static String mutate(String body, Random random) {
        StringBuilder mutated = new StringBuilder(body);
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && mutated.length() > 0; i++) {
            int at = random.nextInt(mutated.length());
            switch (random.nextInt(4)) {
                case 0 -> mutated.setCharAt(at, (char) (32 + random.nextInt(95)));
                case 1 -> mutated.deleteCharAt(at);
                case 2 -> mutated.insert(at, new String[] {"{", "}", "\"", ",", "null", "[]", "\\u0000", "=="}[random.nextInt(8)]);
                default -> mutated.setLength(at);
            }
        }
        return mutated.toString();
    }

    private static String randomText(Random random) {
        byte[] bytes = new byte[random.nextInt(300)];
        random.nextBytes(bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String newOrder(String address) {
        return "{\"identifiers\":[{\"type\":\"email\",\"value\":\"" + address + "\"}]}";
    }

    private static String csr(String address) throws Exception {
        Path der = work.resolve("early.csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                work.resolve("early.key").toString(), "-subj", "/CN=Jo", "-addext", "subjectAltName=email:" + address, "-outform", "DER", "-out", der.toString());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.nio.file.Files.readAllBytes(der));
    }

    private static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    private static KeyPair rsa(int bits) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    private static Arguments bad(String name, int status, String type, BadRequest request) {
        return Arguments.of(name, status, type, request);
    }

    /** An ACME client reduced to what these tests need, its JWS made by jose4j. */
    record JoseClient(HttpClient http, String base) {
        String nonce() throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/new-nonce")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).headers().firstValue("Replay-Nonce").orElseThrow();
        }

        HttpResponse<String> post(String path, String payload, KeyPair key, String alg, String kid) throws Exception {
            return post(path, payload, key, alg, kid, null, null);
        }

        /** With {@code nonce} or {@code url} null, a fresh nonce and the request's own URL. */
        HttpResponse<String> post(String path, String payload, KeyPair key, String alg, String kid, String nonce, String url) throws Exception {
            return raw(path, "application/jose+json", signed(path, payload, key, alg, kid, nonce == null ? nonce() : nonce, url == null ? base + path : url));
        }

        /** Signed by {@code key} for {@code kid}, then given the signature of another key. */
        HttpResponse<String> forged(String path, String payload, KeyPair key, String kid) throws Exception {
            String genuine = signed(path, payload, key, "EdDSA", kid, nonce(), base + path);
            String other = signed(path, payload, KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), "EdDSA", kid, nonce(), base + path);
            return raw(path, "application/jose+json", genuine.replaceAll("\"signature\":\"[^\"]*\"", other.substring(other.indexOf("\"signature\""),
                    other.lastIndexOf('"') + 1)));
        }

        String signed(String path, String payload, KeyPair key, String alg, String kid, String nonce, String url) throws Exception {
            JsonWebSignature jws = new JsonWebSignature();
            jws.setDoKeyValidation(false);
            jws.setPayload(payload);
            jws.setAlgorithmHeaderValue(alg);
            jws.setKey(key.getPrivate());
            if (kid == null) {
                jws.setJwkHeader(PublicJsonWebKey.Factory.newPublicJwk(key.getPublic()));
            } else {
                jws.setKeyIdHeaderValue(kid);
            }
            if (nonce != null) {
                jws.setHeader("nonce", nonce);
            }
            jws.setHeader("url", url);
            String[] parts = jws.getCompactSerialization().split("\\.", -1);
            return "{\"protected\":\"" + parts[0] + "\",\"payload\":\"" + parts[1] + "\",\"signature\":\"" + parts[2] + "\"}";
        }

        HttpResponse<String> raw(String path, String type, String body) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body,
                    StandardCharsets.ISO_8859_1)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> get(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
