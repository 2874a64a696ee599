package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.ocsp.ResponseData;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.bc.BcDigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.vault.KeyUri;

/** The responder's answers as assembled from DER parts, and how it reuses the signers of its responder key. */
class OcspResponseDerTest {
    private static final BigInteger UNKNOWN = BigInteger.valueOf(99);
    private static final BigInteger REVOKED = BigInteger.valueOf(4321);

    static Stream<Arguments> answers() {
        return Stream.of(
                Arguments.of("plain, presigned", List.of(OcspFixture.KNOWN), false, List.of("good")),
                Arguments.of("nonce, known", List.of(OcspFixture.KNOWN), true, List.of("good")),
                Arguments.of("nonce, unknown", List.of(UNKNOWN), true, List.of("unknown")),
                Arguments.of("plain, unknown", List.of(UNKNOWN), false, List.of("unknown")),
                Arguments.of("plain, revoked", List.of(REVOKED), false, List.of("revoked")),
                Arguments.of("nonce, revoked", List.of(REVOKED), true, List.of("revoked")),
                Arguments.of("nonce, two CertIDs", List.of(OcspFixture.KNOWN, UNKNOWN), true, List.of("good", "unknown")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void answersAreCanonicalDerSignedByTheResponderWithItsCertificate(String name, List<BigInteger> serials, boolean withNonce, List<String> expected)
            throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            ocsp.presign(fixture.issuer(), fixture.known());
            ocsp.presign(fixture.issuer(), revoked(fixture.known()));
            byte[] nonce = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] der = ocsp.respond(request(fixture, serials, withNonce ? nonce : null)).der();

            assertThat(ASN1Primitive.fromByteArray(der).getEncoded(ASN1Encoding.DER)).as("the OCSPResponse is DER").isEqualTo(der);
            byte[] basicDer = OCSPResponse.getInstance(der).getResponseBytes().getResponse().getOctets();
            assertThat(ASN1Primitive.fromByteArray(basicDer).getEncoded(ASN1Encoding.DER)).as("the BasicOCSPResponse is DER").isEqualTo(basicDer);
            assertThat(OCSPResponse.getInstance(der).getResponseBytes().getResponseType()).isEqualTo(OCSPObjectIdentifiers.id_pkix_ocsp_basic);

            OCSPResp response = new OCSPResp(der);
            assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
            BasicOCSPResp basic = (BasicOCSPResp) response.getResponseObject();
            // Built again by Bouncy Castle from its parts: the version (DEFAULT v1) left out, the fields in order.
            ResponseData parsed = ResponseData.getInstance(basic.getTBSResponseData());
            assertThat(new ResponseData(parsed.getResponderID(), parsed.getProducedAt(), parsed.getResponses(), parsed.getResponseExtensions())
                    .getEncoded(ASN1Encoding.DER)).isEqualTo(basic.getTBSResponseData());
            X509CertificateHolder responder = fixture.issuer().ocspCertificate().orElseThrow();
            assertThat(basic.getCerts()).containsExactly(responder);
            assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder))).isTrue();
            assertThat(basic.getResponderId()).isEqualTo(new RespID(responder.getSubjectPublicKeyInfo(),
                    new BcDigestCalculatorProvider().get(new AlgorithmIdentifier(org.bouncycastle.asn1.oiw.OIWObjectIdentifiers.idSHA1, org.bouncycastle.asn1.DERNull.INSTANCE))));
            assertThat(basic.getSignatureAlgorithmID().getAlgorithm()).isEqualTo(org.bouncycastle.asn1.x9.X9ObjectIdentifiers.ecdsa_with_SHA256);
            assertThat(basic.getProducedAt().toInstant()).isBetween(Instant.now().minusSeconds(5), Instant.now().plusSeconds(1));

            SingleResp[] singles = basic.getResponses();
            assertThat(singles).hasSameSizeAs(serials);
            for (int i = 0; i < singles.length; i++) {
                assertThat(singles[i].getCertID().getSerialNumber()).isEqualTo(serials.get(i));
                assertThat(singles[i].getCertID().matchesIssuer(fixture.root(), new BcDigestCalculatorProvider())).isTrue();
                assertThat(java.time.Duration.between(singles[i].getThisUpdate().toInstant(), singles[i].getNextUpdate().toInstant()))
                        .as("the interval is the configured validity, not a minute more").isEqualTo(java.time.Duration.ofHours(1));
                CertificateStatus status = singles[i].getCertStatus();
                assertThat(status == CertificateStatus.GOOD ? "good" : status instanceof UnknownStatus ? "unknown" : status instanceof RevokedStatus ? "revoked" : "other")
                        .isEqualTo(expected.get(i));
                if (status instanceof RevokedStatus revoked) {
                    assertThat(revoked.getRevocationReason()).isEqualTo(RevocationReason.KEY_COMPROMISE.code());
                }
            }
            Extension echoed = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            if (withNonce) {
                assertThat(echoed.getExtnValue().getOctets()).isEqualTo(new DEROctetString(nonce).getEncoded());
            } else {
                assertThat(echoed).isNull();
            }
        }
    }

    @Test
    void eachFormOfACertIdIsEchoedAsAskedAndOtherFormsAreRefused() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            ocsp.presign(fixture.issuer(), fixture.known());
            CertID withNull = OcspResponder.certificateId(fixture.root(), OcspFixture.KNOWN).toASN1Primitive();
            CertID withoutParameters = new CertID(new AlgorithmIdentifier(withNull.getHashAlgorithm().getAlgorithm()), withNull.getIssuerNameHash(),
                    withNull.getIssuerKeyHash(), withNull.getSerialNumber());
            for (CertID asked : List.of(withoutParameters, withNull, withoutParameters)) {
                byte[] der = ocsp.respond(request(new CertificateID(asked))).der();
                SingleResp single = ((BasicOCSPResp) new OCSPResp(der).getResponseObject()).getResponses()[0];
                assertThat(single.getCertID()).as("the answer names the CertID in the form asked").isEqualTo(new CertificateID(asked));
                assertThat(single.getCertStatus()).isEqualTo(CertificateStatus.GOOD);
            }
            int cached = ocsp.cachedCount();

            CertID bigParameters = new CertID(new AlgorithmIdentifier(withNull.getHashAlgorithm().getAlgorithm(), new DEROctetString(new byte[9000])),
                    withNull.getIssuerNameHash(), withNull.getIssuerKeyHash(), withNull.getSerialNumber());
            CertID longSerial = new CertID(withNull.getHashAlgorithm(), withNull.getIssuerNameHash(), withNull.getIssuerKeyHash(),
                    new org.bouncycastle.asn1.ASN1Integer(BigInteger.ONE.shiftLeft(160)));
            for (CertID refused : List.of(bigParameters, longSerial)) {
                byte[] plain = request(new CertificateID(refused));
                assertThat(ocsp.respondFromMemory(plain)).isEmpty();
                assertThat(new OCSPResp(ocsp.respond(plain).der()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
            }
            assertThat(ocsp.cachedCount()).as("nothing of theirs kept").isEqualTo(cached);
        }
    }

    @Test
    void signersOfTheResponderKeyAreMadeOnceAndReused() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            AtomicInteger made = new AtomicInteger();
            Function<KeyUri, ContentSigner> counting = key -> {
                made.incrementAndGet();
                return fixture.vaultSigners().apply(key);
            };
            OcspResponder ocsp = fixture.responder(counting, OcspResponder.MAX_SIGNING_AT_ONCE);
            for (int i = 0; i < 5; i++) {
                assertValid(fixture, ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {(byte) i})).der());
            }
            assertThat(made).as("one signer, reused for five answers").hasValue(1);
            ocsp.useIssuers(List.of(fixture.issuer()));
            assertValid(fixture, ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {9})).der());
            assertThat(made).as("new issuers, new signers").hasValue(2);
        }
    }

    @Test
    void noSignerIsUsedByTwoThreadsAtOnce() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            AtomicInteger made = new AtomicInteger();
            AtomicInteger sharedUses = new AtomicInteger();
            Function<KeyUri, ContentSigner> exclusive = key -> {
                made.incrementAndGet();
                ContentSigner real = fixture.vaultSigners().apply(key);
                java.util.concurrent.atomic.AtomicBoolean inUse = new java.util.concurrent.atomic.AtomicBoolean();
                return new ContentSigner() {
                    @Override
                    public AlgorithmIdentifier getAlgorithmIdentifier() {
                        return real.getAlgorithmIdentifier();
                    }

                    @Override
                    public java.io.OutputStream getOutputStream() {
                        if (!inUse.compareAndSet(false, true)) {
                            sharedUses.incrementAndGet();
                        }
                        return real.getOutputStream();
                    }

                    @Override
                    public byte[] getSignature() {
                        try {
                            return real.getSignature();
                        } finally {
                            inUse.set(false);
                        }
                    }
                };
            };
            // Two sources, as in the server: respond's signers and respondNow's are kept apart.
            OcspResponder ocsp = fixture.responder(exclusive, key -> exclusive.apply(key), OcspResponder.MAX_SIGNING_AT_ONCE);
            ocsp.presign(fixture.issuer(), fixture.known());
            int threads = 8;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            byte[] nonce = {(byte) thread, (byte) i};
                            byte[] request = fixture.nonceRequest(OcspFixture.KNOWN, nonce);
                            byte[] der = (i % 2 == 0 ? ocsp.respondNow(request).orElseThrow() : ocsp.respond(request)).der();
                            assertValid(fixture, der);
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> future : done) {
                    future.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(sharedUses).as("signers handed to two threads at once").hasValue(0);
            assertThat(made.get()).as("kept for reuse: at most one per thread and source").isBetween(2, 2 * threads);
        }
    }

    @Test
    void aSignerThatFailedIsNotUsedAgain() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            AtomicInteger made = new AtomicInteger();
            Function<KeyUri, ContentSigner> firstFails = key -> {
                ContentSigner real = fixture.vaultSigners().apply(key);
                return made.incrementAndGet() > 1 ? real : OcspFixture.failingWhile(real, () -> new IllegalStateException("the token is gone"));
            };
            OcspResponder ocsp = fixture.responder(firstFails, OcspResponder.MAX_SIGNING_AT_ONCE);
            OcspResponder.Answer failed = ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {1}));
            assertThat(failed.outcome()).isEqualTo("tryLater: the token is gone");
            assertValid(fixture, ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {2})).der());
            assertThat(made).hasValue(2);
        }
    }

    @Test
    void signersHandedInForOneAnswerAreNotKept() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            AtomicInteger own = new AtomicInteger();
            AtomicInteger handedIn = new AtomicInteger();
            OcspResponder ocsp = fixture.responder(key -> {
                own.incrementAndGet();
                return fixture.vaultSigners().apply(key);
            }, OcspResponder.MAX_SIGNING_AT_ONCE);
            ocsp.presign(fixture.issuer(), fixture.known(), key -> {
                handedIn.incrementAndGet();
                return fixture.vaultSigners().apply(key);
            });
            assertValid(fixture, ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {1})).der());
            assertValid(fixture, ocsp.respond(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {2})).der());
            assertThat(handedIn).hasValue(1);
            assertThat(own).hasValue(1);
        }
    }

    private static void assertValid(OcspFixture fixture, byte[] der) throws Exception {
        BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(der).getResponseObject();
        assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(fixture.issuer().ocspCertificate().orElseThrow()))).isTrue();
    }

    private static IssuedCertificate revoked(IssuedCertificate known) {
        return new IssuedCertificate(REVOKED, known.issuerId(), known.profile(), known.mailbox(), known.subject(), known.notBefore(), known.notAfter(),
                known.der(), Optional.empty(), known.requestedBy(), known.issuedAt(),
                Optional.of(new IssuedCertificate.Revocation(Instant.now().minusSeconds(30), RevocationReason.KEY_COMPROMISE, "test")));
    }

    private static byte[] request(CertificateID id) throws Exception {
        return new OCSPReqBuilder().addRequest(id).build().getEncoded();
    }

    private static byte[] request(OcspFixture fixture, List<BigInteger> serials, byte[] nonce) throws Exception {
        OCSPReqBuilder builder = new OCSPReqBuilder();
        for (BigInteger serial : serials) {
            builder.addRequest(OcspResponder.certificateId(fixture.root(), serial));
        }
        if (nonce != null) {
            builder.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(new DEROctetString(nonce)))));
        }
        return builder.build().getEncoded();
    }
}
