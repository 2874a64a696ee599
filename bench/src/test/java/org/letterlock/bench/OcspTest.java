package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class OcspTest {
    private static final KeyPair CA_KEY = Ocsp.ecP256();
    private static final X509CertificateHolder CA = selfSigned(CA_KEY, "CN=Test CA");
    private static final BigInteger SERIAL = new BigInteger("7f3a9c0e5d2b41a8", 16);

    @Test
    void buildsSha1CertIdsAndRequestsWithAndWithoutANonce() throws Exception {
        CertificateID id = Ocsp.certId(CA, SERIAL);
        assertThat(id.getHashAlgOID()).isEqualTo(CertificateID.HASH_SHA1.getAlgorithm());
        assertThat(id.getSerialNumber()).isEqualTo(SERIAL);

        OCSPReq plain = new OCSPReq(Ocsp.request(id, null));
        assertThat(plain.getRequestList()).hasSize(1);
        assertThat(plain.getRequestList()[0].getCertID()).isEqualTo(id);
        assertThat(plain.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)).isNull();

        byte[] nonce = Ocsp.nonce(new SecureRandom());
        assertThat(nonce).hasSize(16);
        OCSPReq withNonce = new OCSPReq(Ocsp.request(id, nonce));
        Extension extension = withNonce.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        assertThat(DEROctetString.getInstance(extension.getParsedValue()).getOctets()).isEqualTo(nonce);
    }

    @Test
    void theGetFormIsUrlEncodedBase64OfTheDer() {
        byte[] request = Ocsp.request(Ocsp.certId(CA, SERIAL), null);
        String path = Ocsp.getPath(request);
        assertThat(path).matches("[A-Za-z0-9%]+");
        assertThat(Base64.getDecoder().decode(URLDecoder.decode(path, StandardCharsets.US_ASCII))).isEqualTo(request);
        assertThat(Ocsp.getPath(new byte[] {(byte) 0xfb, (byte) 0xff})).isEqualTo("%2B%2F8%3D");
    }

    @Test
    void acceptsARightAnswerAndSaysWhatItWas() throws Exception {
        CertificateID id = Ocsp.certId(CA, SERIAL);
        byte[] nonce = {1, 2, 3};
        Ocsp.Checked good = Ocsp.check(response(id, CertificateStatus.GOOD, nonce, true), id, Ocsp.Status.GOOD, nonce, CA);
        assertThat(good.status()).isEqualTo(Ocsp.Status.GOOD);
        assertThat(good.signer()).isEqualTo("CN=Test CA");
        assertThat(good.certificateIncluded()).isTrue();
        Ocsp.Checked revoked = Ocsp.check(response(id, new RevokedStatus(new Date(), CRLReason.keyCompromise), null, false), id, Ocsp.Status.REVOKED, null, CA);
        assertThat(revoked.certificateIncluded()).isFalse();
        assertThat(Ocsp.Checked.summary(List.of(good, revoked))).matches("good and revoked, \\d+-\\d+ bytes, signed by CN=Test CA \\(certificate included\\), CN=Test CA");
        assertThat(Ocsp.Checked.summary(List.of())).isEqualTo("none");
    }

    @Test
    void refusesWrongAnswers() throws Exception {
        CertificateID id = Ocsp.certId(CA, SERIAL);
        CertificateID other = Ocsp.certId(CA, BigInteger.TEN);
        assertThatThrownBy(() -> Ocsp.check(response(id, CertificateStatus.GOOD, null, true), id, Ocsp.Status.REVOKED, null, CA))
                .hasMessageContaining("answered GOOD, expected REVOKED");
        assertThatThrownBy(() -> Ocsp.check(response(id, CertificateStatus.GOOD, null, true), other, Ocsp.Status.GOOD, null, CA))
                .hasMessageContaining("not the one asked about");
        assertThatThrownBy(() -> Ocsp.check(response(id, CertificateStatus.GOOD, null, true), id, Ocsp.Status.GOOD, new byte[] {9}, CA))
                .hasMessageContaining("nonce is not in the response");
        assertThatThrownBy(() -> Ocsp.check(response(id, CertificateStatus.GOOD, new byte[] {1}, true), id, Ocsp.Status.GOOD, new byte[] {2}, CA))
                .hasMessageContaining("is not the request's");
        X509CertificateHolder stranger = selfSigned(Ocsp.ecP256(), "CN=Test CA");
        assertThatThrownBy(() -> Ocsp.check(response(id, CertificateStatus.GOOD, null, false), id, Ocsp.Status.GOOD, null, stranger))
                .hasMessageContaining("signature does not verify");
        byte[] malformed = new OCSPRespBuilder().build(OCSPRespBuilder.MALFORMED_REQUEST, null).getEncoded();
        assertThatThrownBy(() -> Ocsp.check(malformed, id, Ocsp.Status.GOOD, null, CA)).hasMessageContaining("responseStatus 1");
        assertThatThrownBy(() -> Ocsp.check(new byte[] {1, 2}, id, Ocsp.Status.GOOD, null, CA)).hasMessageContaining("not a readable OCSP response");
    }

    @Test
    void makesProvenEcP256RequestsForAMailbox() throws Exception {
        String pem = Ocsp.csr(Ocsp.ecP256(), "user7@example.org");
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
        PKCS10CertificationRequest csr;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            csr = (PKCS10CertificationRequest) parser.readObject();
        }
        assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Ocsp.PROVIDER).build(csr.getSubjectPublicKeyInfo()))).isTrue();
        assertThat(csr.getSubject()).isEqualTo(new X500Name("CN=user7@example.org"));
        Extensions extensions = Extensions.getInstance(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0].getAttrValues().getObjectAt(0));
        GeneralName[] names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName).getNames();
        assertThat(names).containsExactly(new GeneralName(GeneralName.rfc822Name, "user7@example.org"));
        assertThat(Ocsp.certificate(Ocsp.pem(CA))).isEqualTo(CA);
        assertThatThrownBy(() -> Ocsp.certificate(pem)).hasMessageContaining("not a PEM certificate");
    }

    private static byte[] response(CertificateID id, CertificateStatus status, byte[] nonce, boolean withCertificate) throws Exception {
        BasicOCSPRespBuilder builder = new BasicOCSPRespBuilder(new RespID(CA.getSubject()));
        builder.addResponse(id, status);
        if (nonce != null) {
            builder.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded())));
        }
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Ocsp.PROVIDER).build(CA_KEY.getPrivate());
        var basic = builder.build(signer, withCertificate ? new X509CertificateHolder[] {CA} : null, new Date());
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    private static X509CertificateHolder selfSigned(KeyPair key, String subject) {
        try {
            X500Name name = new X500Name(subject);
            Date now = new Date();
            return new JcaX509v3CertificateBuilder(name, BigInteger.ONE, now, new Date(now.getTime() + 86_400_000L), name, key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Ocsp.PROVIDER).build(key.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
