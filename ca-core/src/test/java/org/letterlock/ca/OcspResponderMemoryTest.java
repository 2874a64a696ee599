package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.letterlock.vault.VaultException;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.junit.jupiter.api.Test;

/** What the responder answers from memory alone (the network thread's path) and what it leaves to {@code respond}. */
class OcspResponderMemoryTest {

    @Test
    void aNonceAnswerTakesTheStatusOfAFreshCachedAnswerAndAsksTheStoreOtherwise() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            byte[] nonce = fixture.nonceRequest(OcspFixture.KNOWN, new byte[16]);
            ocsp.respond(nonce);
            assertThat(fixture.lookups()).as("nothing cached yet").isEqualTo(1);
            ocsp.presign(fixture.issuer(), fixture.known());
            OCSPResp answer = new OCSPResp(ocsp.respond(nonce).der());
            assertThat(((BasicOCSPResp) answer.getResponseObject()).getResponses()[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
            assertThat(fixture.lookups()).as("status from the cached answer").isEqualTo(1);
            // A revocation drops the cached answer: the next nonce asks the store again.
            ocsp.forget("root", OcspFixture.KNOWN);
            ocsp.respond(nonce);
            assertThat(fixture.lookups()).isEqualTo(2);
        }
    }

    @Test
    void aGoodAnswerSignedFromAReadBeforeARevocationDoesNotReplaceTheRevokedAnswer() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            java.util.concurrent.CountDownLatch lookedUp = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            OcspResponder ocsp = fixture.responder(serial -> {
                lookedUp.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return java.util.Optional.of(fixture.known());
            });
            byte[] plain = fixture.plainRequest(OcspFixture.KNOWN);
            java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                java.util.concurrent.Future<OcspResponder.Answer> before = thread.submit(() -> ocsp.respond(plain));
                assertThat(lookedUp.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                IssuedCertificate known = fixture.known();
                ocsp.forget("root", OcspFixture.KNOWN);
                ocsp.presign(fixture.issuer(), new IssuedCertificate(known.serial(), known.issuerId(), known.profile(), known.mailbox(), known.subject(),
                        known.notBefore(), known.notAfter(), known.der(), known.pairId(), known.requestedBy(), known.issuedAt(),
                        java.util.Optional.of(new IssuedCertificate.Revocation(java.time.Instant.now(), RevocationReason.KEY_COMPROMISE, "test"))));
                release.countDown();
                before.get(10, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                thread.shutdownNow();
            }
            OcspResponder.Answer now = ocsp.respondFromMemory(plain).orElseThrow();
            assertThat(((BasicOCSPResp) new OCSPResp(now.der()).getResponseObject()).getResponses()[0].getCertStatus())
                    .as("the revocation stays visible").isInstanceOf(org.bouncycastle.cert.ocsp.RevokedStatus.class);
        }
    }

    @Test
    void answersOnlyPlainRequestsWhoseAnswerIsCachedAndFresh() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            byte[] plain = fixture.plainRequest(OcspFixture.KNOWN);

            assertThat(ocsp.respondFromMemory(plain)).as("not signed yet").isEmpty();
            ocsp.presign(fixture.issuer(), fixture.known());
            OcspResponder.Answer cached = ocsp.respondFromMemory(plain).orElseThrow();
            assertThat(cached.outcome()).isEqualTo("cached");
            assertThat(((BasicOCSPResp) new OCSPResp(cached.der()).getResponseObject()).getResponses()[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
            assertThat(ocsp.respond(plain).der()).as("the same bytes either way").isEqualTo(cached.der());

            assertThat(ocsp.respondFromMemory(fixture.nonceRequest(OcspFixture.KNOWN, new byte[16]))).as("a nonce is signed per request").isEmpty();
            assertThat(ocsp.respondFromMemory(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01})).as("not an OCSP request").isEmpty();
            assertThat(ocsp.respondFromMemory(new byte[0])).isEmpty();

            // A revocation drops the cached answer: the remembered parse of the request must not bring it back.
            ocsp.forget("root", OcspFixture.KNOWN);
            assertThat(ocsp.respondFromMemory(plain)).isEmpty();

            byte[] unknown = fixture.plainRequest(BigInteger.valueOf(99));
            assertThat(ocsp.respondFromMemory(unknown)).isEmpty();
            ocsp.respond(unknown);
            OcspResponder.Answer unknownCached = ocsp.respondFromMemory(unknown).orElseThrow();
            assertThat(((BasicOCSPResp) new OCSPResp(unknownCached.der()).getResponseObject()).getResponses()[0].getCertStatus()).isInstanceOf(UnknownStatus.class);

            // New issuers (a rollover) clear what was remembered: the old issuer's answers are not served from memory.
            ocsp.presign(fixture.issuer(), fixture.known());
            assertThat(ocsp.respondFromMemory(plain)).isPresent();
            ocsp.useIssuers(java.util.List.of());
            assertThat(ocsp.respondFromMemory(plain)).isEmpty();
        }
    }

    @Test
    void signsANonceNowOnlyWhenEveryStatusIsInMemoryAndTheKeySignsWithoutWaiting() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            AtomicBoolean leaseHasRoom = new AtomicBoolean(true);
            AtomicInteger waitingSignersMade = new AtomicInteger();
            AtomicInteger signersWithoutWaitingMade = new AtomicInteger();
            OcspResponder ocsp = fixture.responder(key -> {
                waitingSignersMade.incrementAndGet();
                return fixture.vaultSigners().apply(key);
            }, key -> {
                signersWithoutWaitingMade.incrementAndGet();
                return OcspFixture.failingWhile(fixture.vaultSigners().apply(key),
                        () -> leaseHasRoom.get() ? null : new VaultException(VaultException.Reason.WOULD_WAIT, "no permit left"));
            }, OcspResponder.MAX_SIGNING_AT_ONCE);
            byte[] nonce = fixture.nonceRequest(OcspFixture.KNOWN, new byte[16]);
            assertThat(ocsp.respondNow(nonce)).as("the status is not in memory").isEmpty();
            assertThat(ocsp.respondNow(fixture.plainRequest(OcspFixture.KNOWN))).as("a plain request not in memory").isEmpty();
            assertThat(fixture.lookups()).as("nothing looked up in the store").isZero();

            ocsp.presign(fixture.issuer(), fixture.known());
            OcspResponder.Answer signed = ocsp.respondNow(nonce).orElseThrow();
            assertThat(signed.outcome()).isEqualTo("signed for this request");
            BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(signed.der()).getResponseObject();
            assertThat(basic.getResponses()[0].getCertStatus()).isEqualTo(CertificateStatus.GOOD);
            assertThat(basic.getExtension(org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nonce)).isNotNull();

            assertThat(waitingSignersMade).as("only the presigned answer's signer: respondNow signs with the signers that never wait").hasValue(1);
            leaseHasRoom.set(false);
            assertThat(ocsp.respondNow(nonce)).as("the key would wait for a lease to be granted").isEmpty();
            assertThat(ocsp.respond(nonce).outcome()).as("respond signs with the signers that may wait").isEqualTo("signed for this request");
            assertThat(waitingSignersMade).as("the presign's, kept").hasValue(1);
            leaseHasRoom.set(true);
            byte[] after = ocsp.respondNow(nonce).orElseThrow().der();
            assertThat(((BasicOCSPResp) new OCSPResp(after).getResponseObject())
                    .isSignatureValid(new org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder().build(fixture.issuer().ocspCertificate().orElseThrow())))
                    .as("the signer that found no permit signs again, with nothing of the first answer in it").isTrue();
            assertThat(signersWithoutWaitingMade).as("and is kept, not made again").hasValue(1);
            assertThat(ocsp.respondNow(fixture.plainRequest(OcspFixture.KNOWN))).as("a cached answer needs no signature").isPresent();
            assertThat(ocsp.respondNow(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}).orElseThrow().outcome()).as("a refusal needs none either")
                    .startsWith("malformed");

            OcspResponder noSigningLeft = fixture.responder(fixture.vaultSigners(), 0);
            noSigningLeft.presign(fixture.issuer(), fixture.known());
            assertThat(noSigningLeft.respondNow(nonce)).as("no signing permit: left to respond, which waits for one").isEmpty();
            assertThat(fixture.lookups()).isZero();
        }
    }

    @Test
    void aPlainRequestWhoseSerialLooksLikeTheNonceOidIsStillAnsweredFromTheCache() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            byte[] nonceOid = org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nonce.getEncoded();
            byte[] serialBytes = new byte[nonceOid.length + 1];
            serialBytes[0] = 0x01;
            System.arraycopy(nonceOid, 0, serialBytes, 1, nonceOid.length);
            byte[] plain = fixture.plainRequest(new BigInteger(serialBytes));

            OcspResponder.Answer first = ocsp.respond(plain);
            assertThat(first.outcome()).isEqualTo("unknown serial");
            assertThat(ocsp.respondFromMemory(plain)).as("left to respond, which reads it").isEmpty();
            OcspResponder.Answer again = ocsp.respond(plain);
            assertThat(again.outcome()).as("from the cache, no second signature").isEqualTo("unknown, cached");
            assertThat(again.der()).isEqualTo(first.der());
            assertThat(fixture.lookups()).isEqualTo(1);
        }
    }
}
