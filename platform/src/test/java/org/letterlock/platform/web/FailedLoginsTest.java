package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Failed logins counted per client within the window: the eleventh try is refused, other clients are not, and the count ages out. */
class FailedLoginsTest {
    @Test
    void aClientIsRefusedPastTheLimitUntilItsFailuresAgeOut() {
        AtomicLong now = new AtomicLong();
        FailedLogins failed = new FailedLogins(now::get);
        for (int i = 0; i < FailedLogins.LIMIT; i++) {
            assertThat(failed.allowed("192.0.2.1")).as("try " + (i + 1)).isTrue();
            failed.failed("192.0.2.1");
            now.addAndGet(1_000_000_000L);
        }
        assertThat(failed.allowed("192.0.2.1")).isFalse();
        assertThat(failed.allowed("192.0.2.2")).as("another client").isTrue();
        now.addAndGet(FailedLogins.WINDOW.toNanos() - 5_000_000_000L);
        assertThat(failed.allowed("192.0.2.1")).as("the oldest failures aged out").isTrue();
    }
}
