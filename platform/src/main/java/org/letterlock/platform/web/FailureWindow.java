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
 * <p>
 * Two ways to count. {@link #allowed} then {@link #failed}: a check, then a count once the try failed, so tries made
 * at the same moment all pass the check (for logins, where one client's many parallel requests are normal).
 * {@link #begin} then {@link #succeeded}: the try counts as failed from its start until it is known to have
 * succeeded, so tries made at the same moment cannot get past the limit together, and a try whose end is never
 * reported (an error on the way) stays counted until it ages out.
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

    /**
     * Starts a try of {@code source}, counted as failed until {@link #succeeded}: false (and nothing counted) when the
     * source has no tries left.
     */
    public boolean begin(String source) {
        while (true) {
            Deque<Long> failures = failuresOf(source);
            synchronized (failures) {
                if (bySource.get(source) != failures) {
                    // Dropped by a try that succeeded meanwhile: a count kept in it would be lost.
                    continue;
                }
                expire(failures);
                if (failures.size() >= limit) {
                    return false;
                }
                failures.addLast(nanos.getAsLong());
                return true;
            }
        }
    }

    /**
     * A try {@link #begin} started succeeded: it no longer counts. A source left without failures is dropped, so the
     * sources that only ever succeed (every enrolling client) are not kept.
     */
    public void succeeded(String source) {
        Deque<Long> failures = bySource.get(source);
        if (failures != null) {
            synchronized (failures) {
                failures.pollLast();
                if (failures.isEmpty()) {
                    bySource.remove(source, failures);
                }
            }
        }
    }

    /** The sources with failures (or tries under way) kept now. */
    int sources() {
        return bySource.size();
    }

    public void failed(String source) {
        Deque<Long> failures = failuresOf(source);
        synchronized (failures) {
            expire(failures);
            failures.addLast(nanos.getAsLong());
        }
    }

    private Deque<Long> failuresOf(String source) {
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
        return bySource.computeIfAbsent(source, s -> new ArrayDeque<>());
    }

    private void expire(Deque<Long> failures) {
        long oldest = nanos.getAsLong() - window.toNanos();
        while (!failures.isEmpty() && failures.peekFirst() - oldest < 0) {
            failures.removeFirst();
        }
    }
}
