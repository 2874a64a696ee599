package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.stream.Stream;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.vault.SignatureVerifiers;

/**
 * Account keys kept decoded never let a request through that the account row, as stored now, would refuse: after a key
 * rollover the old key fails at once, a deactivated account fails whether this node or another one deactivated it, and
 * one account's kept key never verifies another account's request; ES256, RS256 and EdDSA accounts verify again and
 * again. Each case reads an account (the account row alone) and an order (order and account in one read), each
 * {@value #WARM_UP} times first, so the key is kept (and for ES256, Bouncy Castle's precomputation is on its point).
 * Run on every store: H2 ({@link H2AccountKeysTest}) and PostgreSQL ({@link PostgresAccountKeysTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AccountKeysConformance {
    static final int WARM_UP = 8;
    EnrollFixture fixture;
    AcmeRequestsTest.JoseClient client;
    String base;

    /** The database settings of the store under test (none: the fixture's H2 file). */
    protected abstract Map<String, String> database();

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        fixture = new EnrollFixture(work, database());
        base = fixture.url() + "/acme";
        client = new AcmeRequestsTest.JoseClient(HttpClient.newBuilder().sslContext(fixture.clientTls()).build(), base);
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** An account with the key that signs its requests, and the path of what the case reads: the account or its order. */
    record Holder(String alg, KeyPair key, String kid, String resource) {
    }

    /** What is done to a warmed-up account before the request whose answer is checked; that answer is returned. */
    interface Step {
        HttpResponse<String> run(AccountKeysConformance suite, Holder holder) throws Exception;
    }

    Stream<Arguments> cases() {
        return Stream.of("account", "order").flatMap(resource -> Stream.of("ES256", "RS256", "EdDSA").flatMap(alg -> cases(resource, alg)));
    }

    private static Stream<Arguments> cases(String resource, String alg) {
        return Stream.of(
                row(resource, "verifies/" + alg + "-again-with-its-kept-key", alg, 200, "", (s, h) -> s.read(h, h.key())),
                row(resource, "rollover/" + alg + "-old-key-fails-at-once", alg, 400, "malformed", (s, h) -> {
                    s.storeKey(h, AcmeTestServer.accountKeyPair(alg));
                    return s.read(h, h.key());
                }),
                row(resource, "rollover/" + alg + "-new-key-verifies-at-once", alg, 200, "", (s, h) -> {
                    KeyPair next = AcmeTestServer.accountKeyPair(alg);
                    s.storeKey(h, next);
                    return s.read(h, next);
                }),
                row(resource, "deactivated/" + alg + "-by-its-holder-fails", alg, 403, "unauthorized", (s, h) -> {
                    HttpResponse<String> deactivated = s.client.post(h.kid().substring(s.base.length()), "{\"status\":\"deactivated\"}", h.key(), h.alg(), h.kid());
                    assertThat(deactivated.statusCode()).as(deactivated.body()).isEqualTo(200);
                    return s.read(h, h.key());
                }),
                row(resource, "deactivated/" + alg + "-on-another-node-fails", alg, 403, "unauthorized", (s, h) -> {
                    s.sql("UPDATE acme_account SET status = 'deactivated' WHERE id = ?", s.id(h));
                    return s.read(h, h.key());
                }),
                row(resource, "another-account/" + alg + "-key-kept-for-one-fails-for-the-other", alg, 400, "malformed", (s, h) -> {
                    Holder other = s.warmedUp(alg, resource.equals("order"));
                    return s.client.post(other.resource(), "", h.key(), alg, other.kid());
                }),
                row(resource, "another-account/" + alg + "-cannot-read-what-the-other-has", alg, 403, "unauthorized", (s, h) -> {
                    Holder other = s.warmedUp(alg, resource.equals("order"));
                    return s.client.post(resource.equals("order") ? other.resource() : other.resource() + "/orders", "", h.key(), alg, h.kid());
                }));
    }

    /** A case named {@code <resource>/<name>}: what is read, the account's algorithm, the answer expected after {@code step}. */
    private static Arguments row(String resource, String name, String alg, int status, String type, Step step) {
        return Arguments.of(resource + "/" + name, resource, alg, status, type, step);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aKeptKeyVerifiesOnlyWhatTheStoredAccountWould(String name, String resource, String alg, int status, String type, Step step) throws Exception {
        Holder holder = warmedUp(alg, resource.equals("order"));

        HttpResponse<String> answer = step.run(this, holder);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
        if (!type.isEmpty()) {
            assertThat(answer.body()).contains("\"type\":\"urn:ietf:params:acme:error:" + type + "\"");
        }
    }

    private Holder warmedUp(String alg, boolean readsAnOrder) throws Exception {
        KeyPair key = AcmeTestServer.accountKeyPair(alg);
        HttpResponse<String> created = client.post("/new-account", "{}", key, alg, null);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String kid = created.headers().firstValue("Location").orElseThrow();
        String resource = kid.substring(base.length());
        if (readsAnOrder) {
            // A mailbox of its own each time: one mailbox gets only a few orders an hour.
            String mailbox = EnrollFixture.newMailbox("keys");
            fixture.verifiedMailbox(mailbox, "kim");
            HttpResponse<String> ordered = client.post("/new-order", "{\"identifiers\":[{\"type\":\"email\",\"value\":\"" + mailbox + "\"}]}", key, alg, kid);
            assertThat(ordered.statusCode()).as(ordered.body()).isEqualTo(201);
            resource = ordered.headers().firstValue("Location").orElseThrow().substring(base.length());
        }
        Holder holder = new Holder(alg, key, kid, resource);
        for (int i = 0; i < WARM_UP; i++) {
            HttpResponse<String> read = read(holder, key);
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        }
        return holder;
    }

    private HttpResponse<String> read(Holder holder, KeyPair signer) throws Exception {
        return client.post(holder.resource(), "", signer, holder.alg(), holder.kid());
    }

    /** The account's key replaced in its row, as a key change (RFC 8555 section 7.3.5) on any node stores it. */
    private void storeKey(Holder holder, KeyPair next) throws Exception {
        String jwk = PublicJsonWebKey.Factory.newPublicJwk(next.getPublic()).toJson();
        String thumbprint = AccountKey.of(AcmeJson.parse(jwk.getBytes(StandardCharsets.UTF_8), "the JWK"), SignatureVerifiers::software).thumbprint();
        sql("UPDATE acme_account SET jwk = ?, thumbprint = ? WHERE id = ?", jwk, thumbprint, id(holder));
    }

    private String id(Holder holder) {
        return holder.kid().substring((base + "/account/").length());
    }

    private void sql(String statement, String... values) throws Exception {
        try (Connection connection = fixture.platform.database().dataSource().getConnection();
             PreparedStatement update = connection.prepareStatement(statement)) {
            for (int i = 0; i < values.length; i++) {
                update.setString(i + 1, values[i]);
            }
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }
}
