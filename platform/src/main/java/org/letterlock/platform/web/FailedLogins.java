package org.letterlock.platform.web;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    private static final int MAX_SOURCES = 100_000;

    private final Map<String, Deque<Long>> bySource = new ConcurrentHashMap<>();
    private final LongSupplier nanos;

    public FailedLogins() {
        this(System::nanoTime);
    }

    FailedLogins(LongSupplier nanos) {
        this.nanos = nanos;
    }

    /** Whether {@code source} (client address and account name) may try a login now. */
    boolean allowed(String source) {
        Deque<Long> failures = bySource.get(source);
        if (failures == null) {
            return true;
        }
        synchronized (failures) {
            expire(failures);
            return failures.size() < LIMIT;
        }
    }

    void failed(String source) {
        if (bySource.size() >= MAX_SOURCES) {
            bySource.clear();
        }
        Deque<Long> failures = bySource.computeIfAbsent(source, s -> new ArrayDeque<>());
        synchronized (failures) {
            expire(failures);
            failures.addLast(nanos.getAsLong());
        }
    }

    private void expire(Deque<Long> failures) {
        long oldest = nanos.getAsLong() - WINDOW.toNanos();
        while (!failures.isEmpty() && failures.peekFirst() - oldest < 0) {
            failures.removeFirst();
        }
    }
}
