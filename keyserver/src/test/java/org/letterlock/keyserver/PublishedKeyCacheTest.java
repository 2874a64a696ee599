package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The cache of published keys holds a budget of bytes, whatever the keys' sizes, and serves what it holds without a load. */
class PublishedKeyCacheTest {
    private static final long BUDGET = 1_000_000;

    @Test
    void manyKeysStayWithinTheBudgetAndAHugeOneIsNotKept() {
        PublishedKeyCache cache = new PublishedKeyCache(BUDGET);
        AtomicInteger loads = new AtomicInteger();
        for (int i = 0; i < 5_000; i++) {
            cache.get("key-" + i, fingerprint -> {
                loads.incrementAndGet();
                return Optional.of(new byte[1_000]);
            });
            assertThat(cache.bytes()).isLessThanOrEqualTo(BUDGET);
        }
        assertThat(cache.size()).isBetween(800, 1_000);

        for (int i = 0; i < 3; i++) {
            cache.get("huge", fingerprint -> {
                loads.incrementAndGet();
                return Optional.of(new byte[(int) (BUDGET / 1000) + 1]);
            });
        }
        assertThat(loads.get()).as("a key over a thousandth of the budget is loaded each time").isEqualTo(5_003);
    }

    @Test
    void aCachedKeyIsServedWithoutALoadUntilItIsEvicted() {
        PublishedKeyCache cache = new PublishedKeyCache(BUDGET);
        AtomicInteger loads = new AtomicInteger();
        java.util.function.Function<String, Optional<byte[]>> load = fingerprint -> {
            loads.incrementAndGet();
            return Optional.of(new byte[] {(byte) loads.get()});
        };
        assertThat(cache.get("a", load)).hasValueSatisfying(v -> assertThat(v).containsExactly(1));
        assertThat(cache.get("a", load)).hasValueSatisfying(v -> assertThat(v).containsExactly(1));
        cache.evict(List.of("a"));
        assertThat(cache.bytes()).isZero();
        assertThat(cache.get("a", load)).hasValueSatisfying(v -> assertThat(v).containsExactly(2));
        assertThat(cache.get("nothing", f -> Optional.empty())).isEmpty();
        assertThat(cache.size()).isEqualTo(1);
    }

    /** A key changed while it was being read (an eviction in between) is served as read but not kept. */
    @Test
    void aValueReadAcrossAnEvictionIsNotKept() {
        PublishedKeyCache cache = new PublishedKeyCache(BUDGET);
        assertThat(cache.get("a", fingerprint -> {
            cache.evict(List.of("a"));
            return Optional.of(new byte[] {1});
        })).isPresent();
        assertThat(cache.size()).isZero();
        assertThat(cache.bytes()).isZero();
    }
}
