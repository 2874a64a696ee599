package org.letterlock.platform.web;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Failed administrator logins per client address and account name: past {@link #LIMIT} within {@link #WINDOW}, that
 * client's next try for that name is refused (429) before it costs an Argon2 hash. Per client, so that nobody can
 * lock an administrator out by failing in their name from elsewhere; per name, so that one administrator's typos do
 * not lock out the others behind the same address. Guesses spread over many addresses still pay Argon2 each.
 */
@ApplicationScoped
public class FailedLogins {
    static final int LIMIT = 10;
    static final Duration WINDOW = Duration.ofMinutes(15);

    private final FailureWindow failures;

    public FailedLogins() {
        this(System::nanoTime);
    }

    FailedLogins(LongSupplier nanos) {
        this.failures = new FailureWindow(LIMIT, WINDOW, nanos);
    }

    /** Whether {@code source} (client address and account name) may try a login now. */
    boolean allowed(String source) {
        return failures.allowed(source);
    }

    void failed(String source) {
        failures.failed(source);
    }
}
