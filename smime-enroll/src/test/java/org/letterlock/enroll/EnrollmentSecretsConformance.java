package org.letterlock.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
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

        assertThat(secrets().redeem(mailbox, secret.toCharArray(), "est")).isNotBlank();
        assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAUTHORIZED));
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).noneMatch(r -> r.event().detail().contains(secret));
    }

    @Test
    void theSecretIsTakenAsPeopleTypeIt() {
        String mailbox = EnrollFixture.newMailbox("typed");
        String secret = fixture.officerSecret(mailbox);

        assertThat(secrets().redeem(mailbox.toUpperCase(), secret.replace("-", "").toLowerCase().toCharArray(), "est")).isNotBlank();
    }

    @Test
    void aSecretIsForItsMailboxOnly() {
        String mailbox = EnrollFixture.newMailbox("owner");
        String other = EnrollFixture.newMailbox("other");
        String secret = fixture.officerSecret(mailbox);
        fixture.officerSecret(other);

        assertThatThrownBy(() -> secrets().redeem(other, secret.toCharArray(), "est")).hasMessageContaining("no open enrollment secret of " + other);
        assertThat(secrets().redeem(mailbox, secret.toCharArray(), "est")).isNotBlank();
    }

    @Test
    void anUnusedSecretExpires() {
        String mailbox = EnrollFixture.newMailbox("late");
        String secret = fixture.officerSecret(mailbox);
        fixture.clock.advance(Duration.ofHours(73));
        try {
            assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est")).isInstanceOf(LetterlockException.class);
        } finally {
            fixture.clock.advance(Duration.ofHours(-73));
        }
    }

    @Test
    void fiveWrongSecretsSpendTheMailboxsOpenSecrets() {
        String mailbox = EnrollFixture.newMailbox("guessed");
        String secret = fixture.officerSecret(mailbox);
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> secrets().redeem(mailbox, "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray(), "est")).isInstanceOf(LetterlockException.class);
        }

        assertThatThrownBy(() -> secrets().redeem(mailbox, secret.toCharArray(), "est")).as("the right secret, too late").isInstanceOf(LetterlockException.class);
        assertThat(secrets().redeem(mailbox, fixture.officerSecret(mailbox).toCharArray(), "est")).as("a new secret works").isNotBlank();
    }

    @Test
    void theSecretItselfOpensForMacProtocolsAndIsSpentOnce() {
        String mailbox = EnrollFixture.newMailbox("mac");
        String secret = fixture.officerSecret(mailbox);

        EnrollmentSecrets.OpenSecret open = secrets().open(mailbox).get(0);
        assertThat(new String(open.secret())).isEqualTo(secret);
        secrets().spend(mailbox, open.id(), "cmp");
        assertThat(secrets().open(mailbox)).isEmpty();
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

        assertThat(secrets().redeem(verified, first.toCharArray(), "est")).as("each mailed secret is open until used").isNotBlank();
    }

    @Test
    void anAddressThatIsNoMailboxIsABadRequest() {
        assertThatThrownBy(() -> secrets().issue("not an address", "rita")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.BAD_REQUEST));
    }
}
