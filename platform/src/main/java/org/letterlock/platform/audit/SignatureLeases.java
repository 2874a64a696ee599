package org.letterlock.platform.audit;

import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.letterlock.vault.KeyUri;

/**
 * Puts the signatures of a key that signs for anyone who asks (the OCSP responder's key) on record by lease rather
 * than one record each (docs/decisions/016). Before a lease's first signature, a record allowing up to {@code size}
 * signatures until a deadline is committed; when the lease ends (used up, past its deadline, or on close) a record
 * gives the exact count. Every signature is covered by a committed record before it is made, and a node that dies
 * leaves a bound on record.
 */
final class SignatureLeases {
    static final String GRANT = "vault.sign-lease";
    static final String COUNT = "vault.sign";

    private final AuditRecorder audit;
    private final Clock clock;
    private final int size;
    private final Duration span;
    /** Per key and signature algorithm: the lease signatures are taken from now. */
    private final ConcurrentHashMap<Slot, Lease> current = new ConcurrentHashMap<>();

    private record Slot(KeyUri name, String algorithm) {
    }

    SignatureLeases(AuditRecorder audit, Clock clock, int size, Duration span) {
        this.audit = audit;
        this.clock = clock;
        this.size = size;
        this.span = span;
    }

    /** {@code signer} with its signatures under lease; {@code afterSignature} runs after each one made. */
    ContentSigner signer(KeyUri name, ContentSigner signer, Runnable afterSignature) {
        String algorithm = signer.getAlgorithmIdentifier().getAlgorithm().getId();
        Slot slot = new Slot(name, algorithm);
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return signer.getAlgorithmIdentifier();
            }

            @Override
            public OutputStream getOutputStream() {
                return signer.getOutputStream();
            }

            @Override
            public byte[] getSignature() {
                Lease lease = take(slot);
                byte[] signature;
                try {
                    signature = signer.getSignature();
                } catch (RuntimeException e) {
                    lease.settle(false);
                    audit.record("vault.sign", name.toString(), Outcome.FAILED, algorithm + ": " + e.getMessage());
                    throw e;
                }
                lease.settle(true);
                afterSignature.run();
                return signature;
            }
        };
    }

    /** Ends the leases past their deadline, so their counts go on record without waiting for the next signature. */
    synchronized void endExpired() {
        Instant now = clock.instant();
        current.values().removeIf(lease -> {
            if (now.isBefore(lease.deadline)) {
                return false;
            }
            lease.end();
            return true;
        });
    }

    /** Ends every lease: their counts are queued to the audit log, which must still be open. */
    synchronized void endAll() {
        current.values().removeIf(lease -> {
            lease.end();
            return true;
        });
    }

    /** A permit under a lease whose grant is committed, granting a new lease when the current one is used up or past. */
    private Lease take(Slot slot) {
        while (true) {
            Lease lease = current.get(slot);
            if (lease != null && lease.take(clock.instant())) {
                return lease;
            }
            synchronized (this) {
                Lease now = current.get(slot);
                if (now != lease) {
                    continue;
                }
                if (lease != null) {
                    lease.end();
                }
                Instant deadline = clock.instant().plus(span);
                // Committed before any signature under it: the lease is on record even if this node dies next.
                AuditRecord grant = audit.record(GRANT, slot.name().toString(), Outcome.ALLOWED,
                        slot.algorithm() + ": up to " + size + " signatures until " + deadline);
                current.put(slot, new Lease(slot, grant.seq(), deadline));
            }
        }
    }

    private final class Lease {
        private final Slot slot;
        private final long grantSeq;
        private final Instant deadline;
        /** Permits handed out; set to {@link #size} when the lease ends, so no more are. */
        private final AtomicInteger taken = new AtomicInteger();
        private final AtomicInteger settled = new AtomicInteger();
        private final AtomicInteger signed = new AtomicInteger();
        /** Permits handed out before the lease ended; -1 while it runs. */
        private volatile int issued = -1;
        private final AtomicBoolean counted = new AtomicBoolean();

        Lease(Slot slot, long grantSeq, Instant deadline) {
            this.slot = slot;
            this.grantSeq = grantSeq;
            this.deadline = deadline;
        }

        boolean take(Instant now) {
            if (!now.isBefore(deadline)) {
                return false;
            }
            int was;
            do {
                was = taken.get();
                if (was >= size) {
                    return false;
                }
            } while (!taken.compareAndSet(was, was + 1));
            return true;
        }

        void settle(boolean madeSignature) {
            if (madeSignature) {
                signed.incrementAndGet();
            }
            int done = settled.incrementAndGet();
            if (done == issued) {
                count();
            }
        }

        /** Hands out no more permits; the count goes on record once those handed out are settled. */
        void end() {
            int handedOut = taken.getAndSet(size);
            issued = Math.min(handedOut, size);
            if (settled.get() == issued) {
                count();
            }
        }

        private void count() {
            if (counted.compareAndSet(false, true)) {
                // Not waited for: each signature counted here was already covered by the committed grant.
                audit.recordAsync(new AuditEvent(Actor.SYSTEM, COUNT, slot.name().toString(), Outcome.ALLOWED,
                        slot.algorithm() + ": " + signed.get() + " signatures under the lease of record " + grantSeq));
            }
        }
    }
}
