package org.letterlock.keyserver;

import java.util.Collection;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Published keys by primary fingerprint, armored as lately served: a lookup by fingerprint (HKP op=get, VKS) is
 * answered from memory. Bounded: when full, arbitrary entries make room. A key changed while it was being read is not kept: every
 * eviction moves a generation on, and a value read before it is dropped instead of cached.
 */
final class PublishedKeyCache {
    private final int capacity;
    private final ConcurrentHashMap<String, byte[]> keys = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    PublishedKeyCache(int capacity) {
        this.capacity = capacity;
    }

    Optional<byte[]> get(String fingerprint, Function<String, Optional<byte[]>> load) {
        byte[] cached = keys.get(fingerprint);
        if (cached != null) {
            return Optional.of(cached);
        }
        long before = generation.get();
        Optional<byte[]> loaded = load.apply(fingerprint);
        if (loaded.isPresent()) {
            if (keys.size() >= capacity) {
                makeRoom();
            }
            keys.put(fingerprint, loaded.get());
            if (generation.get() != before) {
                keys.remove(fingerprint, loaded.get());
            }
        }
        return loaded;
    }

    void evict(Collection<String> fingerprints) {
        generation.incrementAndGet();
        fingerprints.forEach(keys::remove);
    }

    int size() {
        return keys.size();
    }

    /** A tenth of the entries, whichever the map hands out first. */
    private void makeRoom() {
        Iterator<String> entries = keys.keySet().iterator();
        for (int i = 0; i < Math.max(1, capacity / 10) && entries.hasNext(); i++) {
            entries.next();
            entries.remove();
        }
    }
}
