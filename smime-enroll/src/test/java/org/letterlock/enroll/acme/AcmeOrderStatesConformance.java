package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.platform.store.Jdbc;

/**
 * The challenge of an order completes when both the client's response (RFC 8555 section 7.5.1) and a verified reply
 * (RFC 8823) are in, in whichever order, and at once when they come together: each event records itself and completes
 * the order in one statement. Run on every store: H2 ({@link H2AcmeOrderStatesTest}) and PostgreSQL
 * ({@link PostgresAcmeOrderStatesTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AcmeOrderStatesConformance {
    private EnrollFixture fixture;
    private AcmeOrders orders;
    private AcmeOrders.Account account;

    /** The database settings of the store under test (none: the fixture's H2 file). */
    protected abstract Map<String, String> database();

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        fixture = new EnrollFixture(work, database());
        var platform = fixture.platform;
        orders = new AcmeOrders(new Jdbc(platform.database().dataSource()), platform.mail(), platform.auditLog(), fixture.clock,
                platform.config().enrollAcme(), platform.vault()::verifier);
        String jwk = PublicJsonWebKey.Factory.newPublicJwk(AcmeTestServer.accountKeyPair("ES256").getPublic()).toJson();
        account = orders.createAccount(AccountKey.of(AcmeJson.parse(jwk.getBytes(StandardCharsets.UTF_8), "jwk"), platform.vault()::verifier), "").getKey();
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Events: r = the client responds, v = a verified reply arrives, x = the order expires (the clock passes its end). */
    @ParameterizedTest(name = "{0}: challenge {1}, authorization {2}, order {3}")
    @CsvSource({
        "rv,   valid,      valid,   ready",
        "vr,   valid,      valid,   ready",
        "rrv,  valid,      valid,   ready",
        "vvr,  valid,      valid,   ready",
        "r,    processing, pending, pending",
        "v,    pending,    pending, pending",
        "rvr,  valid,      valid,   ready",
        "rxv,  processing, pending, pending",
        "vxr,  processing, pending, pending",
    })
    void theChallengeCompletesOnceBothAreIn(String events, String challenge, String authorization, String order) {
        AcmeOrders.Order made = orders.newOrder(account, EnrollFixture.newMailbox("states"));
        for (char event : events.toCharArray()) {
            AcmeOrders.Order now = orders.order(made.id()).orElseThrow();
            switch (event) {
                case 'r' -> assertThat(orders.respond(now)).as("the order as the response left it").isEqualTo(orders.order(made.id()).orElseThrow());
                case 'v' -> orders.replyVerified(now);
                case 'x' -> fixture.clock.advance(orders.settings().orderTtl().plus(Duration.ofSeconds(1)));
                default -> throw new IllegalArgumentException("event " + event);
            }
        }
        AcmeOrders.Order after = orders.order(made.id()).orElseThrow();
        assertThat(List.of(after.challengeStatus(), after.authzStatus(), after.status())).containsExactly(challenge, authorization, order);
        assertThat(after.validatedAt()).as("validated at").matches(at -> at.isPresent() == challenge.equals("valid"));
        assertThat(after.replyVerified()).isEqualTo(events.contains("v"));
    }

    @Test
    void aDeactivationDuringFinalizationLeavesTheOrderWithoutItsCertificate() {
        AcmeOrders.Order made = orders.newOrder(account, EnrollFixture.newMailbox("finalize"));
        orders.replyVerified(made);
        AcmeOrders.Order ready = orders.respond(orders.order(made.id()).orElseThrow());
        assertThat(ready.status()).isEqualTo("ready");
        AcmeOrders.Order another = orders.respond(orders.order(orders.newOrder(account, EnrollFixture.newMailbox("finalize")).id()).orElseThrow());

        assertThat(orders.startFinalizing(ready)).isTrue();
        orders.deactivate(ready);
        assertThat(orders.finalized(ready, java.math.BigInteger.TEN)).as("deactivated meanwhile").isEmpty();
        assertThat(orders.order(ready.id()).orElseThrow().serial()).isEmpty();
        assertThat(orders.finalized(another, java.math.BigInteger.TWO)).as("never taken for finalization").isEmpty();

        AcmeOrders.Order next = orders.newOrder(account, EnrollFixture.newMailbox("finalize"));
        orders.replyVerified(next);
        AcmeOrders.Order nextReady = orders.respond(orders.order(next.id()).orElseThrow());
        assertThat(orders.startFinalizing(nextReady)).isTrue();
        assertThat(orders.finalized(nextReady, java.math.BigInteger.TEN)).contains(orders.order(next.id()).orElseThrow());
    }

    @Test
    void aKeyMakesOneAccountHoweverOftenItAsks() throws Exception {
        String jwk = PublicJsonWebKey.Factory.newPublicJwk(AcmeTestServer.accountKeyPair("ES256").getPublic()).toJson();
        AccountKey key = AccountKey.of(AcmeJson.parse(jwk.getBytes(StandardCharsets.UTF_8), "jwk"), fixture.platform.vault()::verifier);
        var first = orders.createAccount(key, "mailto:first@example.org");
        var again = orders.createAccount(key, "mailto:second@example.org");

        assertThat(first.getValue()).as("made").isTrue();
        assertThat(again.getValue()).as("made again").isFalse();
        assertThat(again.getKey().id()).isEqualTo(first.getKey().id());
        assertThat(again.getKey().contact()).as("the existing account, unchanged").isEqualTo("mailto:first@example.org");
        assertThat(orders.accountByThumbprint(key.thumbprint()).map(AcmeOrders.Account::id)).contains(first.getKey().id());
    }

    @Test
    void aResponseAndAReplyAtTheSameMomentCompleteTheOrder() throws Exception {
        int rounds = 40;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                AcmeOrders.Order made = orders.newOrder(account, EnrollFixture.newMailbox("race"));
                CyclicBarrier together = new CyclicBarrier(2);
                Future<AcmeOrders.Order> respond = threads.submit(() -> {
                    together.await();
                    return orders.respond(made);
                });
                Future<?> reply = threads.submit(() -> {
                    together.await();
                    orders.replyVerified(made);
                    return null;
                });
                AcmeOrders.Order responded = respond.get();
                reply.get();
                // The response saw the reply (valid) or came first (processing); either way what it says is what it left.
                assertThat(responded.challengeStatus()).isIn("processing", "valid");
                assertThat(responded.validatedAt().isPresent()).isEqualTo(responded.challengeStatus().equals("valid"));
                assertThat(responded.replyVerified()).isEqualTo(responded.challengeStatus().equals("valid"));
                ids.add(made.id());
            }
            for (String id : ids) {
                AcmeOrders.Order after = orders.order(id).orElseThrow();
                assertThat(List.of(after.challengeStatus(), after.authzStatus(), after.status())).as(id).containsExactly("valid", "valid", "ready");
            }
        } finally {
            threads.shutdown();
        }
    }
}
