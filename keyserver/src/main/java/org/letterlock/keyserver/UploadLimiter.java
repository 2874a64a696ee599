package org.letterlock.keyserver;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** At most {@code limit} events per source in a sliding window, in memory (per node). Sources idle for a window are forgotten. */
final class UploadLimiter {
    private final int limit;
    private final Duration window;
    private final Map<String, Deque<Instant>> events = new ConcurrentHashMap<>();

    UploadLimiter(int limit, Duration window) {
        this.limit = limit;
        this.window = window;
    }

    /** The unit a client is counted by: its IPv4 address, or the /64 of its IPv6 address (one host gets a whole /64). */
    static String sourceOf(String address) {
        if (address == null || !address.contains(":")) {
            return String.valueOf(address);
        }
        String[] groups = address.split(":", -1);
        return groups.length >= 4 ? String.join(":", groups[0], groups[1], groups[2], groups[3]) + "::/64" : address;
    }

    boolean allow(String source, Instant now) {
        Instant since = now.minus(window);
        if (events.size() > 100_000) {
            events.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    return e.getValue().isEmpty() || e.getValue().peekLast().isBefore(since);
                }
            });
        }
        Deque<Instant> times = events.computeIfAbsent(source, s -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && times.peekFirst().isBefore(since)) {
                times.pollFirst();
            }
            if (times.size() >= limit) {
                return false;
            }
            times.addLast(now);
            return true;
        }
    }
}
