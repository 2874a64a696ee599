package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.letterlock.platform.store.MovableClock;

/** Nonces are single-use and expire; anyone can ask for them, so only so many are held, the oldest forgotten first. */
class NoncesTest {
    @Test
    void aNonceIsSpentOnceBeforeItExpires() {
        MovableClock clock = new MovableClock();
        Nonces nonces = new Nonces(clock, Duration.ofMinutes(10));
        String first = nonces.next();
        String second = nonces.next();
        assertThat(nonces.spend(first)).isTrue();
        assertThat(nonces.spend(first)).as("spent").isFalse();
        clock.advance(Duration.ofMinutes(11));
        assertThat(nonces.spend(second)).as("expired").isFalse();
        assertThat(nonces.spend("made-up")).isFalse();
    }

    @Test
    void pastTheLimitTheOldestAreForgotten() {
        Nonces nonces = new Nonces(new MovableClock(), Duration.ofMinutes(10));
        String oldest = nonces.next();
        String kept = null;
        for (int i = 0; i < Nonces.MAX_HELD; i++) {
            kept = nonces.next();
        }
        assertThat(nonces.held()).isLessThanOrEqualTo(Nonces.MAX_HELD);
        assertThat(nonces.spend(oldest)).as("forgotten").isFalse();
        assertThat(nonces.spend(kept)).isTrue();
    }
}
