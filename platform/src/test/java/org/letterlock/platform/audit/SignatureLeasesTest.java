package org.letterlock.platform.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultException;
import org.letterlock.vault.VaultSettings;

class SignatureLeasesTest {
    private static final Duration SPAN = Duration.ofMinutes(1);
    private static final Pattern GRANT = Pattern.compile("^[0-9.]+: up to (\\d+) signatures until \\S+$");
    private static final Pattern COUNT = Pattern.compile("^[0-9.]+: (\\d+) signatures under the lease of record (\\d+)$");

    private final ListedAudit audit = new ListedAudit();
    private final MovableClock clock = new MovableClock();
    private final KeyVault raw = KeyVaults.open(VaultSettings.memory("letterlock-test"));
    private final KeyUri key = KeyUri.of("letterlock-test", "ocsp-responder");

    @AfterEach
    void closeVault() {
        raw.close();
    }

    private AuditedKeyVault vault(int leaseSize) {
        raw.createKey(key, KeySpec.EC_P256);
        return new AuditedKeyVault(raw, audit, clock, leaseSize, SPAN);
    }

    private static byte[] sign(ContentSigner signer, String content) throws IOException {
        try (OutputStream out = signer.getOutputStream()) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return signer.getSignature();
    }

    /** The signatures each count record gives, after checking it names a grant record that allows that many. */
    private List<Integer> counts() {
        List<Integer> counts = new ArrayList<>();
        for (AuditRecord count : audit.withAction(SignatureLeases.COUNT)) {
            Matcher matcher = COUNT.matcher(count.event().detail());
            assertThat(matcher.matches()).as(count.event().detail()).isTrue();
            long grantSeq = Long.parseLong(matcher.group(2));
            AuditRecord grant = audit.records().get((int) grantSeq - 1);
            assertThat(grant.event().action()).isEqualTo(SignatureLeases.GRANT);
            assertThat(grant.event().target()).isEqualTo(key.toString()).isEqualTo(count.event().target());
            Matcher allowed = GRANT.matcher(grant.event().detail());
            assertThat(allowed.matches()).as(grant.event().detail()).isTrue();
            int signed = Integer.parseInt(matcher.group(1));
            assertThat(signed).as("a lease's count is within what its grant allowed").isLessThanOrEqualTo(Integer.parseInt(allowed.group(1)));
            counts.add(signed);
        }
        return counts;
    }

    @ParameterizedTest(name = "{1} signatures under leases of {0}: {2} grants, counts {3} once all leases end")
    @CsvSource(delimiter = '|', value = {
        "1000 | 1 | 1 | 1",
        "1000 | 7 | 1 | 7",
        "3    | 3 | 1 | 3",
        "3    | 7 | 3 | 3 3 1",
        "1    | 4 | 4 | 1 1 1 1",
    })
    void leasesAreGrantedBeforeUseAndCountedExactly(int size, int signatures, int grants, String counts) throws Exception {
        AuditedKeyVault vault = vault(size);
        Signature verify = Signature.getInstance("SHA256withECDSA");
        for (int i = 0; i < signatures; i++) {
            byte[] signature = sign(vault.signerUnderLease(key), "response " + i);
            assertThat(audit.withAction(SignatureLeases.GRANT)).as("a committed grant covers signature " + i + " when it is handed out")
                    .hasSize(i / size + 1);
            verify.initVerify(raw.publicKey(key));
            verify.update(("response " + i).getBytes(StandardCharsets.UTF_8));
            assertThat(verify.verify(signature)).isTrue();
        }
        assertThat(audit.withAction(SignatureLeases.GRANT)).hasSize(grants);
        assertThat(counts()).as("used-up leases are counted as their last signature is made").hasSize(signatures / size);

        vault.endSignatureLeases();

        assertThat(counts()).map(String::valueOf).containsExactly(counts.split(" "));
        assertThat(vault.signatureCount()).isEqualTo(signatures);
        assertThat(audit.records()).as("no record per signature").hasSize(2 * grants);
    }

    @Test
    void aLeasePastItsDeadlineIsCountedAndReplaced() throws Exception {
        AuditedKeyVault vault = vault(1000);
        sign(vault.signerUnderLease(key), "first");
        sign(vault.signerUnderLease(key), "second");
        clock.advance(SPAN);

        vault.endExpiredSignatureLeases();
        assertThat(counts()).as("an idle lease past its deadline is counted by the sweep").containsExactly(2);
        vault.endExpiredSignatureLeases();
        assertThat(counts()).as("and only once").containsExactly(2);

        sign(vault.signerUnderLease(key), "third");
        clock.advance(SPAN.plusSeconds(1));
        sign(vault.signerUnderLease(key), "fourth");
        assertThat(audit.withAction(SignatureLeases.GRANT)).as("a signature after the deadline takes a new lease").hasSize(3);
        assertThat(counts()).as("and the past lease is counted").containsExactly(2, 1);

        vault.endExpiredSignatureLeases();
        assertThat(counts()).as("a running lease is not ended by the sweep").containsExactly(2, 1);
    }

    @Test
    void aSignerThatMustNotWaitSignsOnlyUnderALeaseAlreadyGranted() throws Exception {
        AuditedKeyVault vault = vault(3);
        assertThat(catchThrowableOfType(() -> sign(vault.signerUnderLeaseWithoutWaiting(key), "before any lease"), VaultException.class).reason())
                .isEqualTo(VaultException.Reason.WOULD_WAIT);
        assertThat(audit.records()).as("no grant committed, nothing signed").isEmpty();

        sign(vault.signerUnderLease(key), "first");
        ContentSigner withoutWaiting = vault.signerUnderLeaseWithoutWaiting(key);
        sign(withoutWaiting, "second");
        sign(withoutWaiting, "third");
        ContentSigner refused = vault.signerUnderLeaseWithoutWaiting(key);
        assertThat(catchThrowableOfType(() -> sign(refused, "fourth"), VaultException.class).reason())
                .as("the lease is used up").isEqualTo(VaultException.Reason.WOULD_WAIT);
        assertThat(audit.withAction(SignatureLeases.GRANT)).as("and the next grant is left to a signer that may wait").hasSize(1);

        sign(vault.signerUnderLease(key), "fourth");
        byte[] fifth = sign(refused, "fifth");
        Signature verify = Signature.getInstance("SHA256withECDSA");
        verify.initVerify(raw.publicKey(key));
        verify.update("fifth".getBytes(StandardCharsets.UTF_8));
        assertThat(verify.verify(fifth)).as("the refused signer kept nothing of what it was refused for").isTrue();
        clock.advance(SPAN);
        assertThat(catchThrowableOfType(() -> sign(vault.signerUnderLeaseWithoutWaiting(key), "sixth"), VaultException.class).reason())
                .as("past the lease's deadline").isEqualTo(VaultException.Reason.WOULD_WAIT);

        vault.endSignatureLeases();
        assertThat(audit.withAction(SignatureLeases.GRANT)).hasSize(2);
        assertThat(counts()).containsExactly(3, 2);
        assertThat(vault.signatureCount()).isEqualTo(5);
    }

    @Test
    void noSignatureIsMadeWhenTheGrantCannotBeCommitted() {
        AtomicInteger made = new AtomicInteger();
        SignatureLeases leases = new SignatureLeases(audit, clock, 1000, SPAN);
        ContentSigner signer = leases.signer(key, fixedSigner(() -> {
            made.incrementAndGet();
            return new byte[] {1};
        }), () -> { }, true);

        audit.refuse(true);
        assertThatThrownBy(signer::getSignature).isInstanceOf(LetterlockException.class).hasMessageContaining("refusing");
        assertThat(made).as("the key was not used").hasValue(0);

        audit.refuse(false);
        assertThat(signer.getSignature()).containsExactly(1);
        assertThat(made).hasValue(1);
    }

    @Test
    void aFailedSignatureIsRecordedAsSuchAndNotCounted() {
        SignatureLeases leases = new SignatureLeases(audit, clock, 1000, SPAN);
        AtomicInteger calls = new AtomicInteger();
        ContentSigner signer = leases.signer(key, fixedSigner(() -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("token removed");
            }
            return new byte[] {2};
        }), () -> { }, true);

        signer.getSignature();
        assertThatThrownBy(signer::getSignature).hasMessage("token removed");
        signer.getSignature();
        leases.close();

        assertThat(audit.withAction(SignatureLeases.COUNT)).extracting(r -> r.event().outcome(), r -> r.event().detail()).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Outcome.FAILED, "1.2.840.10045.4.3.2: token removed"),
                org.assertj.core.groups.Tuple.tuple(Outcome.ALLOWED, "1.2.840.10045.4.3.2: 2 signatures under the lease of record 1"));
    }

    @Test
    void aSignerThatMustNotWaitOnlyQueuesItsRecordsAndOnlyWhereThereIsRoom() {
        NetworkThreadAudit networkAudit = new NetworkThreadAudit();
        SignatureLeases leases = new SignatureLeases(networkAudit, clock, 4, SPAN);
        AtomicInteger calls = new AtomicInteger();
        java.util.function.Supplier<byte[]> failingSecond = () -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("token removed");
            }
            return new byte[] {7};
        };
        leases.signer(key, fixedSigner(failingSecond), () -> { }, true).getSignature();

        networkAudit.onNetworkThread = true;
        ContentSigner withoutWaiting = leases.signer(key, fixedSigner(failingSecond), () -> { }, false);
        assertThatThrownBy(withoutWaiting::getSignature).hasMessage("token removed");
        assertThat(withoutWaiting.getSignature()).containsExactly(7);
        networkAudit.full = true;
        assertThat(withoutWaiting.getSignature()).as("a full audit queue does not hold up the signature").containsExactly(7);

        assertThat(audit.events()).extracting(AuditEvent::action, AuditEvent::outcome, AuditEvent::detail).containsExactly(
                org.assertj.core.groups.Tuple.tuple(SignatureLeases.GRANT, Outcome.ALLOWED, "1.2.840.10045.4.3.2: up to 4 signatures until " + clock.instant().plus(SPAN)),
                org.assertj.core.groups.Tuple.tuple(SignatureLeases.COUNT, Outcome.FAILED, "1.2.840.10045.4.3.2: token removed"));
        assertThat(networkAudit.lost).as("the used-up lease's count, which found the queue full")
                .extracting(AuditEvent::detail).containsExactly("1.2.840.10045.4.3.2: 3 signatures under the lease of record 1");
    }

    @Test
    void aSignerThatMustNotWaitAndWhoseTokenRefusesTheContentSettlesItsPermit() {
        SignatureLeases leases = new SignatureLeases(audit, clock, 1000, SPAN);
        leases.signer(key, fixedSigner(() -> new byte[] {8}), () -> { }, true).getSignature();
        ContentSigner refusing = new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withECDSA");
            }

            @Override
            public OutputStream getOutputStream() {
                return new OutputStream() {
                    @Override
                    public void write(int b) {
                        throw new IllegalStateException("token refused the update");
                    }
                };
            }

            @Override
            public byte[] getSignature() {
                throw new AssertionError("no signature without its content");
            }
        };
        ContentSigner withoutWaiting = leases.signer(key, refusing, () -> { }, false);
        assertThatThrownBy(() -> sign(withoutWaiting, "a long answer")).hasMessage("token refused the update");

        leases.close();
        assertThat(audit.withAction(SignatureLeases.COUNT)).extracting(r -> r.event().outcome(), r -> r.event().detail()).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Outcome.FAILED, "1.2.840.10045.4.3.2: token refused the update"),
                org.assertj.core.groups.Tuple.tuple(Outcome.ALLOWED, "1.2.840.10045.4.3.2: 1 signatures under the lease of record 1"));
    }

    /**
     * Records into {@link #audit}; while {@link #onNetworkThread} is set, any record that may wait (for its commit or
     * for room in the queue) fails the test, and while {@link #full} is set, records queued only if there is room are lost.
     */
    private final class NetworkThreadAudit implements AuditRecorder {
        volatile boolean onNetworkThread;
        volatile boolean full;
        final List<AuditEvent> lost = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public AuditRecord record(AuditEvent event) {
            assertThat(onNetworkThread).as("waited for the commit of " + event).isFalse();
            return audit.record(event);
        }

        @Override
        public java.util.concurrent.CompletableFuture<AuditRecord> recordAsync(AuditEvent event) {
            assertThat(onNetworkThread).as("may have waited for room for " + event).isFalse();
            return audit.recordAsync(event);
        }

        @Override
        public java.util.concurrent.CompletableFuture<AuditRecord> recordAsyncIfRoom(AuditEvent event) {
            if (full) {
                lost.add(event);
                return java.util.concurrent.CompletableFuture.failedFuture(new LetterlockException(
                        org.letterlock.platform.error.ErrorType.UNAVAILABLE, "the audit log is not keeping up; try again"));
            }
            return audit.recordAsyncIfRoom(event);
        }
    }

    @Test
    void concurrentSignersAreAllCountedAndNoLeaseIsOverdrawn() throws Exception {
        AuditedKeyVault vault = vault(64);
        int threads = 8;
        int each = 1000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        sign(vault.signerUnderLease(key), "r");
                        if (i % 97 == 0) {
                            clock.advance(Duration.ofSeconds(20));
                            vault.endExpiredSignatureLeases();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        vault.endSignatureLeases();

        List<Integer> counts = counts();
        assertThat(counts.stream().mapToInt(Integer::intValue).sum()).as("every signature counted once").isEqualTo(threads * each);
        assertThat(counts).as("one count per grant").hasSameSizeAs(audit.withAction(SignatureLeases.GRANT));
        assertThat(audit.withAction(SignatureLeases.COUNT).stream().map(r -> COUNT.matcher(r.event().detail())).filter(Matcher::matches)
                .map(m -> m.group(2)).distinct().count()).as("no lease counted twice").isEqualTo(counts.size());
    }

    @Test
    void aLeaseWhoseReplacementCannotBeGrantedIsStillCountedExactly() throws Exception {
        SignatureLeases leases = new SignatureLeases(audit, clock, 1000, SPAN);
        HeldSignature slow = new HeldSignature(leases, (byte) 3);
        ContentSigner quick = leases.signer(key, fixedSigner(() -> new byte[] {4}), () -> { }, true);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<byte[]> underWay = slow.start(thread);
            quick.getSignature();
            clock.advance(SPAN);

            audit.refuse(true);
            assertThatThrownBy(quick::getSignature).as("no new lease, no signature").isInstanceOf(LetterlockException.class);
            audit.refuse(false);
            quick.getSignature();
            leases.endExpired();

            slow.release();
            assertThat(underWay.get(5, TimeUnit.SECONDS)).containsExactly(3);
        } finally {
            thread.shutdownNow();
        }
        leases.close();
        assertThat(counts()).as("the first lease's two, counted once its slow signature is in; the second lease's one").containsExactlyInAnyOrder(2, 1);
    }

    @Test
    void closingWaitsForSignaturesUnderWayAndThenRefusesNewOnes() throws Exception {
        SignatureLeases leases = new SignatureLeases(audit, clock, 1000, SPAN);
        HeldSignature slow = new HeldSignature(leases, (byte) 5);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<byte[]> underWay = slow.start(threads);
            Future<?> closing = threads.submit(leases::close);
            Thread.sleep(200);
            assertThat(closing).as("closing waits for the signature under way").isNotDone();
            slow.release();
            closing.get(5, TimeUnit.SECONDS);
            assertThat(underWay.get()).containsExactly(5);
        } finally {
            threads.shutdownNow();
        }
        assertThat(counts()).containsExactly(1);

        ContentSigner late = leases.signer(key, fixedSigner(() -> new byte[] {6}), () -> { }, true);
        assertThatThrownBy(late::getSignature).isInstanceOf(LetterlockException.class).hasMessageContaining("closing");
        assertThat(audit.withAction(SignatureLeases.GRANT)).as("no lease granted after closing").hasSize(1);
    }

    /** A signature under a lease that, once in the signer, holds there until released, then gives {@code value}. */
    private final class HeldSignature {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final ContentSigner signer;

        HeldSignature(SignatureLeases leases, byte value) {
            signer = leases.signer(key, fixedSigner(() -> {
                inside.countDown();
                await(release);
                return new byte[] {value};
            }), () -> { }, true);
        }

        /** Starts it on {@code thread}; returns once it is inside the signer. */
        Future<byte[]> start(ExecutorService thread) throws InterruptedException {
            Future<byte[]> underWay = thread.submit(signer::getSignature);
            assertThat(inside.await(5, TimeUnit.SECONDS)).as("the signature is under way").isTrue();
            return underWay;
        }

        void release() {
            release.countDown();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A signer that hands out what {@code signature} gives, for leases over a key that fails on cue. */
    private static ContentSigner fixedSigner(java.util.function.Supplier<byte[]> signature) {
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withECDSA");
            }

            @Override
            public OutputStream getOutputStream() {
                return new ByteArrayOutputStream();
            }

            @Override
            public byte[] getSignature() {
                return signature.get();
            }
        };
    }
}
