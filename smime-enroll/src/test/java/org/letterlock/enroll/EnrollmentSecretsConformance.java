package org.letterlock.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Enrollment secrets on a real platform: single use, expiry, wrong tries, mailing only to verified mailboxes and only
 * so often. Run on every store: H2 ({@link H2EnrollmentSecretsTest}) and PostgreSQL ({@link PostgresEnrollmentSecretsTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EnrollmentSecretsConformance {
    EnrollFixture fixture;

    /** The database settings of the store under test (none: the fixture's H2 file). */
    protected abstract Map<String, String> database();

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        fixture = new EnrollFixture(work, database());
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private EnrollmentSecrets secrets() {
        return fixture.services.secrets();
    }

    @Test
    void aSecretWorksOnceAndIsAuditedWithoutItsValue() {
        String mailbox = EnrollFixture.newMailbox("once");
        String secret = fixture.officerSecret(mailbox);

        assertThat(secrets().redeem(mailbox, secret.toCharArray(), "est", "192.0.2.1")).isNotBlank();
        assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est", "192.0.2.1")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAUTHORIZED));
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).noneMatch(r -> r.event().detail().contains(secret));
    }

    @Test
    void theSecretIsTakenAsPeopleTypeIt() {
        String mailbox = EnrollFixture.newMailbox("typed");
        String secret = fixture.officerSecret(mailbox);

        assertThat(secrets().redeem(mailbox.toUpperCase(), secret.replace("-", "").toLowerCase().toCharArray(), "est", "192.0.2.1")).isNotBlank();
    }

    @Test
    void aSecretIsForItsMailboxOnly() {
        String mailbox = EnrollFixture.newMailbox("owner");
        String other = EnrollFixture.newMailbox("other");
        String secret = fixture.officerSecret(mailbox);
        fixture.officerSecret(other);

        assertThatThrownBy(() -> secrets().redeem(other, secret.toCharArray(), "est", "192.0.2.1")).hasMessageContaining("no open enrollment secret of " + other);
        assertThat(secrets().redeem(mailbox, secret.toCharArray(), "est", "192.0.2.1")).isNotBlank();
    }

    @Test
    void anUnusedSecretExpires() {
        String mailbox = EnrollFixture.newMailbox("late");
        String secret = fixture.officerSecret(mailbox);
        fixture.clock.advance(Duration.ofHours(73));
        try {
            assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est", "192.0.2.1")).isInstanceOf(LetterlockException.class);
        } finally {
            fixture.clock.advance(Duration.ofHours(-73));
        }
    }

    @Test
    void fiveWrongSecretsFromOneClientHoldItOffWhileOthersAndTheSecretAreUnaffected() {
        String mailbox = EnrollFixture.newMailbox("guessed");
        String secret = fixture.officerSecret(mailbox);
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> secrets().redeem(mailbox, "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray(), "est", "203.0.113.9"))
                    .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAUTHORIZED));
        }

        assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est", "203.0.113.9")).as("the guessing client, even with the right secret")
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.TOO_MANY_REQUESTS)).hasMessageContaining("203.0.113.9");
        assertThatThrownBy(() -> secrets().open(mailbox, "cmp", "203.0.113.9")).as("nor opened for its MAC")
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.TOO_MANY_REQUESTS));
        assertThat(secrets().redeem(mailbox, secret.toCharArray(), "est", "192.0.2.1")).as("the holder elsewhere: the secret is still open").isNotBlank();
    }

    @Test
    void triesStillBeingCheckedCountSoTriesMadeAtOnceCannotPassTheLimitTogether() {
        String mailbox = EnrollFixture.newMailbox("parallel");
        fixture.officerSecret(mailbox);
        for (int i = 0; i < 5; i++) {
            assertThat(secrets().open(mailbox, "cmp", "203.0.113.7")).as("try " + (i + 1) + ", its MAC not checked yet").hasSize(1);
        }

        assertThatThrownBy(() -> secrets().open(mailbox, "cmp", "203.0.113.7")).as("a sixth try while five are open")
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.TOO_MANY_REQUESTS));
    }

    @Test
    void aTryThatMatchedNoLongerCounts() {
        String mailbox = EnrollFixture.newMailbox("matching");
        String secret = fixture.officerSecret(mailbox);
        for (int i = 0; i < 6; i++) {
            assertThat(secrets().check(mailbox, secret.toCharArray(), "est", "203.0.113.8")).as("check " + (i + 1)).isNotBlank();
            assertThat(secrets().open(mailbox, "cmp", "203.0.113.8")).as("open " + (i + 1)).hasSize(1);
            secrets().matched(mailbox, "203.0.113.8");
        }
    }

    @Test
    void theSecretItselfOpensForMacProtocolsAndIsSpentOnce() {
        String mailbox = EnrollFixture.newMailbox("mac");
        String secret = fixture.officerSecret(mailbox);

        EnrollmentSecrets.OpenSecret open = secrets().open(mailbox, "cmp", "192.0.2.1").get(0);
        assertThat(new String(open.secret())).isEqualTo(secret);
        secrets().spend(mailbox, open.id(), "cmp");
        assertThat(secrets().open(mailbox, "cmp", "192.0.2.1")).isEmpty();
        assertThatThrownBy(() -> secrets().spend(mailbox, open.id(), "cmp")).hasMessageContaining("used already");
    }

    @Test
    void secretsAreMailedToVerifiedMailboxesOnlyAndAtMostThreeAnHour() throws Exception {
        String verified = EnrollFixture.newMailbox("mailed");
        fixture.verifiedMailbox(verified, "mia");
        String unverified = EnrollFixture.newMailbox("unverified");
        fixture.platform.identities().register(unverified, "uma");

        assertThat(secrets().mail(unverified)).isFalse();
        assertThat(secrets().mail("nobody-" + verified)).isFalse();
        assertThat(secrets().mail(verified)).isTrue();
        String first = EnrollFixture.mailedSecret(verified);
        assertThat(secrets().mail(verified)).isTrue();
        assertThat(secrets().mail(verified)).isTrue();
        assertThat(secrets().mail(verified)).as("past three an hour nothing is sent, and the caller is answered as for any address").isFalse();
        assertThat(org.letterlock.platform.store.Outbox.mailsTo(EnrollFixture.TOKEN_DATA, verified).stream().filter(m -> m.contains("Enrollment secret:")))
                .hasSize(3);

        assertThat(secrets().redeem(verified, first.toCharArray(), "est", "192.0.2.1")).as("each mailed secret is open until used").isNotBlank();
    }

    /** Requests at once cannot all pass the same count: the hourly limit holds under a burst. */
    @Test
    void secretsAskedForAtOnceStayWithinTheHourlyLimit() throws Exception {
        String mailbox = EnrollFixture.newMailbox("burst");
        fixture.verifiedMailbox(mailbox, "bea");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(8);
            List<java.util.concurrent.Future<Boolean>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                sent.add(pool.submit(() -> {
                    together.await();
                    return secrets().mail(mailbox);
                }));
            }
            long mailed = 0;
            for (java.util.concurrent.Future<Boolean> one : sent) {
                mailed += one.get() ? 1 : 0;
            }
            assertThat(mailed).isEqualTo(3);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAddressThatIsNoMailboxIsABadRequest() {
        assertThatThrownBy(() -> secrets().issue("not an address", "rita")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.BAD_REQUEST));
    }
}
