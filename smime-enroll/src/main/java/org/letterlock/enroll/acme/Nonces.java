package org.letterlock.enroll.acme;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replay-Nonces (RFC 8555 section 6.5): random, single use, expiring. Kept in this node's memory: a nonce costs one map
 * entry and no database round trip. Behind a load balancer without affinity a client may present a nonce another node
 * made; it gets badNonce with a fresh nonce and retries, as RFC 8555 section 6.5 tells clients to.
 */
final class Nonces {
    /** Past this many outstanding nonces, expired ones are swept before a new one is made. */
    private static final int SWEEP_AT = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    /** Nonces held at most: anyone may ask for them (HEAD new-nonce), so past this the oldest are forgotten (a client then gets badNonce and asks again). */
    static final int MAX_HELD = 200_000;

    private final ConcurrentHashMap<String, Long> expiries = new ConcurrentHashMap<>();
    /** The nonces in the order they were made, to forget the oldest first. */
    private final java.util.concurrent.ConcurrentLinkedQueue<String> made = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger madeCount = new AtomicInteger();
    private final AtomicInteger sinceSweep = new AtomicInteger();
    private final Clock clock;
    private final long ttlMillis;

    int held() {
        return expiries.size();
    }

    Nonces(Clock clock, Duration ttl) {
        this.clock = clock;
        this.ttlMillis = ttl.toMillis();
    }

    String next() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        String nonce = BASE64URL.encodeToString(bytes);
        long now = clock.millis();
        if (sinceSweep.incrementAndGet() >= SWEEP_AT) {
            sinceSweep.set(0);
            expiries.values().removeIf(expiry -> expiry <= now);
        }
        expiries.put(nonce, now + ttlMillis);
        made.add(nonce);
        if (madeCount.incrementAndGet() > MAX_HELD) {
            String oldest = made.poll();
            if (oldest != null) {
                madeCount.decrementAndGet();
                expiries.remove(oldest);
            }
        }
        return nonce;
    }

    /** Spends {@code nonce}: true once for a nonce made here, not yet expired and not forgotten. */
    boolean spend(String nonce) {
        Long expiry = nonce == null ? null : expiries.remove(nonce);
        return expiry != null && expiry > clock.millis();
    }
}
