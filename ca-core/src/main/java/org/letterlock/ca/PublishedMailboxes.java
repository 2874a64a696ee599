package org.letterlock.ca;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Each mailbox's publishable certificates (mail profiles, unrevoked, of a verified mailbox; validity is checked by the
 * caller at each read) as lately read, for the directory and DANE lookups that ask for them many times a second. This
 * node's issuances and revocations drop a mailbox at once, other nodes' revocations within the CA's revocation poll
 * (2 s); anything else (another node's issuance, a mailbox confirmed or removed) shows after at most {@link #ttl}. A
 * value read while the mailbox was being dropped is not kept.
 */
final class PublishedMailboxes {
    /** Mailboxes kept; past that the map starts again. */
    static final int MAX_MAILBOXES = 100_000;

    private record Entry(List<IssuedCertificate> certificates, Instant loadedAt) {
    }

    private final Duration ttl;
    private final ConcurrentHashMap<String, Entry> mailboxes = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    PublishedMailboxes(Duration ttl) {
        this.ttl = ttl;
    }

    List<IssuedCertificate> get(String address, Instant now, Function<String, List<IssuedCertificate>> load) {
        Entry cached = mailboxes.get(address);
        if (cached != null && cached.loadedAt().plus(ttl).isAfter(now)) {
            return cached.certificates();
        }
        long before = generation.get();
        List<IssuedCertificate> loaded = List.copyOf(load.apply(address));
        if (mailboxes.size() >= MAX_MAILBOXES) {
            mailboxes.clear();
        }
        Entry entry = new Entry(loaded, now);
        mailboxes.put(address, entry);
        if (generation.get() != before) {
            mailboxes.remove(address, entry);
        }
        return loaded;
    }

    void forget(String address) {
        generation.incrementAndGet();
        mailboxes.remove(address);
    }

    /** Drops the mailbox holding this certificate, if one is kept: how other nodes' revocations arrive. */
    void forgetCertificate(BigInteger serial) {
        generation.incrementAndGet();
        mailboxes.entrySet().removeIf(e -> e.getValue().certificates().stream().anyMatch(c -> c.serial().equals(serial)));
    }
}
