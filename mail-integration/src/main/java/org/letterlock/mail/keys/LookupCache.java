package org.letterlock.mail.keys;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Lookups kept per source and address, each for as long as its outcome deserves: a found key for an hour or so (a
 * revocation published meanwhile is seen when it expires), no key for minutes (a key published meanwhile is found
 * then), a temporary failure briefly (so a peer that is down is not asked again for every message, yet soon enough).
 * Bounded: past {@code maxEntries} the least recently used goes. A found lookup is handed out only with the keys still
 * usable at the time asked, so an expiry inside its lifetime is honoured.
 */
public final class LookupCache {

    /**
     * @param found            how long a lookup that found keys is kept
     * @param noKey            how long an answer without a usable key is kept
     * @param temporaryFailure how long a failure is kept before the peer is asked again
     * @param maxEntries       lookups kept at most
     */
    public record Lifetimes(Duration found, Duration noKey, Duration temporaryFailure, int maxEntries) {

        public static final Lifetimes DEFAULT = new Lifetimes(Duration.ofHours(1), Duration.ofMinutes(10), Duration.ofMinutes(1), 10_000);

        Duration of(Outcome outcome) {
            return switch (outcome) {
                case FOUND -> found;
                case NO_KEY -> noKey;
                case TEMPORARY_FAILURE -> temporaryFailure;
            };
        }
    }

    private record Key(Source source, String address) {
    }

    private record Kept(Lookup lookup, Instant expires) {
    }

    private final Lifetimes lifetimes;
    private final Map<Key, Kept> kept;

    public LookupCache(Lifetimes lifetimes) {
        this.lifetimes = lifetimes;
        this.kept = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Kept> eldest) {
                return size() > lifetimes.maxEntries();
            }
        };
    }

    /** The kept lookup, if it has not expired at {@code now} and (when it found keys) some are still usable. */
    Optional<Lookup> get(Source source, String address, Instant now) {
        Key key = new Key(source, address);
        Kept entry;
        synchronized (this) {
            entry = kept.get(key);
        }
        if (entry == null) {
            return Optional.empty();
        }
        // Checking keys' validity takes signature checks: done outside the lock.
        Optional<Lookup> usable = now.isBefore(entry.expires()) ? entry.lookup().usableAt(now) : Optional.empty();
        if (usable.isEmpty()) {
            synchronized (this) {
                kept.remove(key, entry);
            }
        }
        return usable;
    }

    /** Keeps {@code lookup} from when it was fetched, for its outcome's lifetime. */
    synchronized void put(String address, Lookup lookup) {
        kept.put(new Key(lookup.source(), address), new Kept(lookup, lookup.fetchedAt().plus(lifetimes.of(lookup.outcome()))));
    }

    synchronized int size() {
        return kept.size();
    }
}
