package org.letterlock.keyserver;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Published keys by primary fingerprint, armored as lately served: a lookup by fingerprint (HKP op=get, VKS) is
 * answered from memory. Bounded in bytes, not in keys, as one key may be a thousand times the size of another: a key
 * over a thousandth of the budget is served from the store each time, and when the budget is spent, arbitrary entries
 * make room. A key changed while it was being read is not kept: every eviction moves a generation on, and a value
 * read before it is dropped instead of cached.
 */
final class PublishedKeyCache {
    private final long maxBytes;
    private final ConcurrentHashMap<String, byte[]> keys = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong generation = new AtomicLong();

    PublishedKeyCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    Optional<byte[]> get(String fingerprint, Function<String, Optional<byte[]>> load) {
        byte[] cached = keys.get(fingerprint);
        if (cached != null) {
            return Optional.of(cached);
        }
        long before = generation.get();
        Optional<byte[]> loaded = load.apply(fingerprint);
        if (loaded.isPresent() && loaded.get().length <= maxBytes / 1000) {
            while (bytes.get() + loaded.get().length > maxBytes && !keys.isEmpty()) {
                makeRoom();
            }
            put(fingerprint, loaded.get());
            if (generation.get() != before) {
                remove(fingerprint, loaded.get());
            }
        }
        return loaded;
    }

    void evict(Collection<String> fingerprints) {
        generation.incrementAndGet();
        fingerprints.forEach(fingerprint -> {
            byte[] removed = keys.remove(fingerprint);
            if (removed != null) {
                bytes.addAndGet(-removed.length);
            }
        });
    }

    int size() {
        return keys.size();
    }

    long bytes() {
        return bytes.get();
    }

    private void put(String fingerprint, byte[] armored) {
        byte[] replaced = keys.put(fingerprint, armored);
        bytes.addAndGet(armored.length - (replaced == null ? 0 : replaced.length));
    }

    private void remove(String fingerprint, byte[] armored) {
        if (keys.remove(fingerprint, armored)) {
            bytes.addAndGet(-armored.length);
        }
    }

    /** A tenth of the budget, from whichever entries the map hands out first. */
    private void makeRoom() {
        long freed = 0;
        Iterator<Map.Entry<String, byte[]>> entries = keys.entrySet().iterator();
        while (freed < maxBytes / 10 && entries.hasNext()) {
            Map.Entry<String, byte[]> entry = entries.next();
            remove(entry.getKey(), entry.getValue());
            freed += entry.getValue().length;
        }
    }
}
