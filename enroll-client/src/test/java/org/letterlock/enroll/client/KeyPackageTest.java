package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.letterlock.enroll.KeyPackageEnvelope;

/**
 * The key package of an encrypted server-generated key opens only when the TLS server it came from signed it: another
 * server certificate under the same root (another host of the organisation) is refused.
 */
class KeyPackageTest {
    static KeyPair rootKeys;
    static X509Certificate root;
    static X509TrustManager trust;
    static KeyPair recipientKeys;
    static X509CertificateHolder recipient;

    @BeforeAll
    static void setUp() throws Exception {
        rootKeys = ec();
        root = certificate("CN=Test Root", rootKeys, "CN=Test Root", rootKeys, true);
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("root", root);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(anchors);
        trust = (X509TrustManager) factory.getTrustManagers()[0];
        recipientKeys = ec();
        recipient = new JcaX509CertificateHolder(certificate("CN=alice@example.org", recipientKeys, "CN=Test Root", rootKeys, false));
    }

    @Test
    void opensAPackageSignedByTheTlsServersKey() throws Exception {
        KeyPair serverKeys = ec();
        X509Certificate server = certificate("CN=est.example.org", serverKeys, "CN=Test Root", rootKeys, false);

        byte[] opened = KeyPackage.open(packageSignedBy(serverKeys, server), recipientKeys.getPrivate(), server, trust);

        assertThat(PrivateKeyInfo.getInstance(opened).getPrivateKeyAlgorithm().getAlgorithm().getId()).isEqualTo("1.2.840.10045.2.1");
    }

    @Test
    void refusesAPackageSignedByAnotherServerUnderTheSameRoot() throws Exception {
        KeyPair serverKeys = ec();
        X509Certificate server = certificate("CN=est.example.org", serverKeys, "CN=Test Root", rootKeys, false);
        KeyPair otherKeys = ec();
        X509Certificate other = certificate("CN=other.example.org", otherKeys, "CN=Test Root", rootKeys, false);

        assertThatThrownBy(() -> KeyPackage.open(packageSignedBy(otherKeys, other), recipientKeys.getPrivate(), server, trust))
                .isInstanceOf(IOException.class).hasMessageContaining("not by the key of the TLS server CN=est.example.org");
    }

    /** A fresh EC key in a key package signed by {@code signerKeys} ({@code signer} and the root in the SignedData), enveloped to the recipient. */
    private static byte[] packageSignedBy(KeyPair signerKeys, X509Certificate signer) throws Exception {
        PrivateKeyInfo key = PrivateKeyInfo.getInstance(ec().getPrivate().getEncoded());
        return new ContentInfo(CMSObjectIdentifiers.envelopedData, KeyPackageEnvelope.toCertificate(key, recipient, Optional.empty(), KeyPackageEnvelope.Ciphers.DEFAULT,
                new JcaContentSignerBuilder("SHA256withECDSA").build(signerKeys.getPrivate()), List.of(new JcaX509CertificateHolder(signer),
                        new JcaX509CertificateHolder(root)))).getEncoded(ASN1Encoding.DER);
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca) throws Exception {
        Date now = new Date();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(System.nanoTime()),
                new Date(now.getTime() - 60_000L), new Date(now.getTime() + 86_400_000L), new X500Name(subject), subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(issuerKeys.getPrivate())));
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}
