package org.letterlock.platform.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.operator.ContentSigner;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.VaultException;

/**
 * Puts the signatures of a key that signs for anyone who asks (the OCSP responder's key) on record by lease rather
 * than one record each (docs/decisions/016). Before a lease's first signature, a record allowing up to {@code size}
 * signatures until a deadline is committed; once the lease is used up, past its deadline or closed, a record gives the
 * exact count. Every signature is covered by a committed record before it is made, and a node that dies leaves a
 * bound on record.
 */
final class SignatureLeases {
    static final String GRANT = "vault.sign-lease";
    static final String COUNT = AuditedKeyVault.SIGN;
    private static final Logger LOG = Logger.getLogger(SignatureLeases.class.getName());
    /** How long closing waits for signatures under way to finish, so their count goes on record. */
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final AuditRecorder audit;
    private final Clock clock;
    private final int size;
    private final Duration span;
    /** Per key and signature algorithm: the lease signatures are taken from now. */
    private final ConcurrentHashMap<Slot, AtomicReference<Lease>> current = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Slot(KeyUri name, String algorithm) {
    }

    SignatureLeases(AuditRecorder audit, Clock clock, int size, Duration span) {
        this.audit = audit;
        this.clock = clock;
        this.size = size;
        this.span = span;
    }

    /**
     * {@code signer} with its signatures under lease; {@code afterSignature} runs after each one made. With
     * {@code mayWait} false, a signature that finds no permit in a granted lease fails with {@link VaultException.Reason#WOULD_WAIT}
     * instead of committing the next grant, and a failed signature's record is queued, not waited for: for a thread
     * that must not block on the audit log (a network thread). Such a signer holds what is written to it until it has
     * a permit, so after WOULD_WAIT it is as new and may sign again. A lease's count is queued either way; when such a
     * signer's settling counts a lease, the count goes on record only if the audit queue has room.
     */
    ContentSigner signer(KeyUri name, ContentSigner signer, Runnable afterSignature, boolean mayWait) {
        Slot slot = new Slot(name, signer.getAlgorithmIdentifier().getAlgorithm().getId());
        if (mayWait) {
            return AuditedKeyVault.signingThrough(signer, () -> signUnder(take(slot), slot, signer, afterSignature, true));
        }
        ByteArrayOutputStream held = new ByteArrayOutputStream(512);
        return AuditedKeyVault.signingThrough(signer.getAlgorithmIdentifier(), held, () -> {
            Lease lease;
            try {
                lease = takeGranted(slot);
            } catch (VaultException e) {
                held.reset();
                throw e;
            }
            try (OutputStream out = signer.getOutputStream()) {
                held.writeTo(out);
            } catch (IOException | RuntimeException e) {
                // A token's engine may refuse the content (a provider's RuntimeException): no signature, but the permit is settled.
                RuntimeException failure = e instanceof RuntimeException r ? r : new UncheckedIOException("cannot hand the content to the signer of " + name, (IOException) e);
                AuditedKeyVault.recordFailedSignature(audit, slot.name(), slot.algorithm(), failure, false);
                lease.settle(false, false);
                throw failure;
            } finally {
                held.reset();
            }
            return signUnder(lease, slot, signer, afterSignature, false);
        });
    }

    /** Signs under {@code lease}'s permit, which is settled whatever happens. */
    private byte[] signUnder(Lease lease, Slot slot, ContentSigner signer, Runnable afterSignature, boolean mayWait) {
        boolean made = false;
        try {
            byte[] signature = signer.getSignature();
            made = true;
            afterSignature.run();
            return signature;
        } catch (RuntimeException e) {
            AuditedKeyVault.recordFailedSignature(audit, slot.name(), slot.algorithm(), e, mayWait);
            throw e;
        } finally {
            lease.settle(made, mayWait);
        }
    }

    /** A permit under the lease granted now, or WOULD_WAIT when it has none left: never a grant of its own. */
    private Lease takeGranted(Slot slot) {
        AtomicReference<Lease> holder = current.get(slot);
        Lease lease = holder == null ? null : holder.get();
        if (lease != null && lease.take(clock.instant())) {
            return lease;
        }
        throw new VaultException(VaultException.Reason.WOULD_WAIT, slot.name() + " has no signature lease with a permit left; a signer that may wait takes the next");
    }

    /** Ends the leases past their deadline, so their counts go on record without waiting for the next signature. */
    void endExpired() {
        Instant now = clock.instant();
        for (AtomicReference<Lease> holder : current.values()) {
            Lease lease = holder.get();
            if (lease != null && !now.isBefore(lease.deadline)) {
                lease.end();
                holder.compareAndSet(lease, null);
            }
        }
    }

    /**
     * Grants no more leases, ends every one, and waits a little for the signatures under way, so their counts are
     * queued to the audit log, which must still be open.
     */
    void close() {
        closed = true;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        for (AtomicReference<Lease> holder : current.values()) {
            Lease lease;
            // After a grant under way, whose lease is ended here too.
            synchronized (holder) {
                lease = holder.getAndSet(null);
            }
            if (lease != null) {
                lease.end();
                lease.awaitCount(until);
            }
        }
    }

    /** A permit under a lease whose grant is committed, granting a new lease when the current one is used up or past. */
    private Lease take(Slot slot) {
        AtomicReference<Lease> holder = current.computeIfAbsent(slot, s -> new AtomicReference<>());
        while (true) {
            Lease lease = holder.get();
            if (lease != null && lease.take(clock.instant())) {
                return lease;
            }
            // One renewal per slot at a time; the others wait for it rather than each commit a grant of their own.
            synchronized (holder) {
                if (holder.get() != lease) {
                    continue;
                }
                if (lease != null) {
                    lease.end();
                    holder.compareAndSet(lease, null);
                }
                if (closed) {
                    throw new LetterlockException(ErrorType.UNAVAILABLE, "the vault is closing; " + slot.name() + " signs no more");
                }
                Instant deadline = clock.instant().plus(span);
                // Committed before any signature under it: the lease is on record even if this node dies next.
                AuditRecord grant = audit.record(new AuditEvent(Actor.SYSTEM, GRANT, slot.name().toString(), Outcome.ALLOWED,
                        slot.algorithm() + ": up to " + size + " signatures until " + deadline));
                Lease granted = new Lease(slot, grant.seq(), deadline);
                // The first permit is this thread's, even if the commit took the lease past its deadline.
                granted.taken.incrementAndGet();
                holder.set(granted);
                return granted;
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
        private final AtomicInteger issued = new AtomicInteger(-1);
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

        void settle(boolean madeSignature, boolean mayWait) {
            if (madeSignature) {
                signed.incrementAndGet();
            }
            int done = settled.incrementAndGet();
            // Used up and all settled: counted now rather than when the next signature or the sweep ends it.
            if (done == issued.get() || done == size) {
                count(mayWait);
            }
        }

        /** Hands out no more permits; the count goes on record once those handed out are settled. Once only. */
        synchronized void end() {
            if (issued.get() >= 0) {
                return;
            }
            int handedOut = taken.getAndSet(size);
            issued.set(handedOut);
            if (settled.get() == handedOut) {
                count(true);
            }
        }

        void awaitCount(long untilNanos) {
            synchronized (this) {
                while (!counted.get()) {
                    long left = untilNanos - System.nanoTime();
                    if (left <= 0) {
                        LOG.warning("closing with " + (issued.get() - settled.get()) + " signatures of " + slot.name()
                                + " still under way; the lease of record " + grantSeq + " stays on record as its bound");
                        return;
                    }
                    try {
                        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        /** With {@code mayWait} false, the count is lost rather than waited for when the audit queue is full. */
        private void count(boolean mayWait) {
            if (!counted.compareAndSet(false, true)) {
                return;
            }
            int count = signed.get();
            AuditEvent event = new AuditEvent(Actor.SYSTEM, COUNT, slot.name().toString(), Outcome.ALLOWED,
                    slot.algorithm() + ": " + count + " signatures under the lease of record " + grantSeq);
            // Not waited for: each signature counted here was already covered by the committed grant.
            (mayWait ? audit.recordAsync(event) : audit.recordAsyncIfRoom(event)).whenComplete((record, failure) -> {
                        if (failure != null) {
                            LOG.log(Level.SEVERE, "the count of the lease of record " + grantSeq + " (" + count + " signatures with "
                                    + slot.name() + ") could not be recorded; the grant stays on record as its bound", failure);
                        }
                    });
            synchronized (this) {
                notifyAll();
            }
        }
    }
}
