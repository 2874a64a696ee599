package org.letterlock.platform.web;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Failed tries per source (a client address, with what it tried) within a sliding window, kept on this node only:
 * past the limit, the source's next try is refused before it is checked. Counting per source, not per target, keeps
 * anyone from locking out an account or a mailbox by failing in its name from elsewhere.
 */
public final class FailureWindow {
    private static final int MAX_SOURCES = 100_000;

    private final int limit;
    private final Duration window;
    private final LongSupplier nanos;
    private final Map<String, Deque<Long>> bySource = new ConcurrentHashMap<>();

    public FailureWindow(int limit, Duration window) {
        this(limit, window, System::nanoTime);
    }

    public FailureWindow(int limit, Duration window, LongSupplier nanos) {
        this.limit = limit;
        this.window = window;
        this.nanos = nanos;
    }

    public int limit() {
        return limit;
    }

    public Duration window() {
        return window;
    }

    /** Whether {@code source} may try now. */
    public boolean allowed(String source) {
        Deque<Long> failures = bySource.get(source);
        if (failures == null) {
            return true;
        }
        synchronized (failures) {
            expire(failures);
            return failures.size() < limit;
        }
    }

    public void failed(String source) {
        if (bySource.size() >= MAX_SOURCES) {
            // Sources whose failures aged out go first; only a flood of live ones (many addresses at once) empties it.
            bySource.values().removeIf(failures -> {
                synchronized (failures) {
                    expire(failures);
                    return failures.isEmpty();
                }
            });
            if (bySource.size() >= MAX_SOURCES) {
                bySource.clear();
            }
        }
        Deque<Long> failures = bySource.computeIfAbsent(source, s -> new ArrayDeque<>());
        synchronized (failures) {
            expire(failures);
            failures.addLast(nanos.getAsLong());
        }
    }

    private void expire(Deque<Long> failures) {
        long oldest = nanos.getAsLong() - window.toNanos();
        while (!failures.isEmpty() && failures.peekFirst() - oldest < 0) {
            failures.removeFirst();
        }
    }
}
