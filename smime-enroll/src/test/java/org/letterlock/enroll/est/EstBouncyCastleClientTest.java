package org.letterlock.enroll.est;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.est.ESTException;
import org.bouncycastle.est.ESTService;
import org.bouncycastle.est.EnrollmentResponse;
import org.bouncycastle.est.jcajce.JcaHttpAuthBuilder;
import org.bouncycastle.est.jcajce.JcaJceUtils;
import org.bouncycastle.est.jcajce.JsseESTServiceBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.platform.identity.Role;

/**
 * EST as Bouncy Castle's EST client (org.bouncycastle.est) speaks it: cacerts, csrattrs, enrollment with HTTP Basic,
 * re-enrollment over TLS client authentication, server-side key generation (its own multipart reader).
 */
class EstBouncyCastleClientTest {
    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static X509TrustManager[] trust;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        // Bouncy Castle's certification-path trust manager looks its provider up by name.
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
        X509Certificate root = Certificates.x509(fixture.ca.issuer("root").orElseThrow().requireCertificate());
        trust = JcaJceUtils.getCertPathTrustManager(Set.of(new TrustAnchor(root, null)), null);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void cacertsIsTheChainTheCaIssuesWith() throws Exception {
        List<X509CertificateHolder> chain = List.of(ESTService.storeToArray(service(null).getCACerts().getCertificateStore()));

        assertThat(chain).containsExactlyElementsOf(fixture.services.mailboxes().caCertificates());
    }

    @Test
    void csrattrsAskForEcdsaOverP256AndTheSubjectAltName() throws Exception {
        var attributes = service(null).getCSRAttributes().getAttributesResponse();

        assertThat(attributes.hasRequirement(X9ObjectIdentifiers.ecdsa_with_SHA256)).isTrue();
        assertThat(attributes.isAttribute(X9ObjectIdentifiers.id_ecPublicKey)).isTrue();
        assertThat(attributes.isAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)).isTrue();
    }

    @Test
    void aSecretEnrollsAndTheNewCertificateReenrollsOverTls() throws Exception {
        String mailbox = EnrollFixture.newMailbox("bc");
        KeyPair first = p256();
        EnrollmentResponse enrolled = service(null).simpleEnroll(false, csr(mailbox, first),
                new JcaHttpAuthBuilder(mailbox, fixture.officerSecret(mailbox).toCharArray()).build());
        X509CertificateHolder certificate = ESTService.storeToArray(enrolled.getStore())[0];
        IssuedCertificate issued = fixture.ca.find(certificate.getSerialNumber()).orElseThrow();
        assertThat(issued.mailbox()).contains(mailbox);
        assertThat(certificate.getSubjectPublicKeyInfo().getEncoded()).isEqualTo(first.getPublic().getEncoded());

        KeyPair second = p256();
        EnrollmentResponse reenrolled = service(keyStore(first, certificate)).simpleEnroll(true, csr(mailbox, second), null);
        X509CertificateHolder renewed = ESTService.storeToArray(reenrolled.getStore())[0];

        assertThat(renewed.getSubject()).isEqualTo(certificate.getSubject());
        assertThat(renewed.getSubjectPublicKeyInfo().getEncoded()).isEqualTo(second.getPublic().getEncoded());
        assertThat(fixture.ca.find(renewed.getSerialNumber()).orElseThrow().mailbox()).contains(mailbox);
    }

    @Test
    void serverkeygenGivesTheEscrowedKeyWithItsCertificate() throws Exception {
        String mailbox = EnrollFixture.newMailbox("bc-keygen");
        KeyPair hint = p256();
        EnrollmentResponse made = service(null).simpleEnrollWithServersideCreation(csr(mailbox, hint),
                new JcaHttpAuthBuilder(mailbox, fixture.officerSecret(mailbox).toCharArray()).build());
        X509CertificateHolder certificate = ESTService.storeToArray(made.getStore())[0];
        PrivateKeyInfo key = made.getPrivateKeyInfo();

        assertThat(certificate.getSubjectPublicKeyInfo().getEncoded()).as("the key escrow made, not the CSR's").isNotEqualTo(hint.getPublic().getEncoded());
        java.security.PrivateKey privateKey = new JcaPEMKeyConverter().getPrivateKey(key);
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(privateKey);
        signer.update(new byte[] {1, 2, 3});
        java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(Certificates.x509(certificate).getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signer.sign())).as("the private key belongs to the certificate").isTrue();
        assertThat(fixture.escrow.keys().archives(mailbox, new Requester("rita", Set.of(Role.RA_OFFICER))))
                .anyMatch(a -> a.certificateSerial().equals(certificate.getSerialNumber()));
    }

    @Test
    void aWrongSecretIsRefusedWith401() throws Exception {
        String mailbox = EnrollFixture.newMailbox("bc-wrong");
        fixture.officerSecret(mailbox);

        assertThatThrownBy(() -> service(null).simpleEnroll(false, csr(mailbox, p256()), new JcaHttpAuthBuilder(mailbox, "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray()).build()))
                .isInstanceOf(ESTException.class).satisfies(e -> assertThat(((ESTException) e).getStatusCode()).isEqualTo(401));
    }

    @Test
    void anUnknownLabelIs404() {
        assertThatThrownBy(() -> new JsseESTServiceBuilder("localhost:" + fixture.url().getPort(), trust).withLabel("tls").build().getCACerts())
                .isInstanceOf(ESTException.class).satisfies(e -> assertThat(((ESTException) e).getStatusCode()).isEqualTo(404));
    }

    /** Bouncy Castle's client against the "smime" label, with a client certificate when {@code keys} is given. */
    private static ESTService service(KeyStore keys) throws Exception {
        JsseESTServiceBuilder builder = new JsseESTServiceBuilder("localhost:" + fixture.url().getPort(), trust);
        builder.withLabel("smime");
        if (keys != null) {
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(keys, "client".toCharArray());
            builder.withKeyManagers(factory.getKeyManagers());
        }
        return builder.build();
    }

    private static KeyStore keyStore(KeyPair keys, X509CertificateHolder certificate) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("signing", keys.getPrivate(), "client".toCharArray(), new X509Certificate[] {Certificates.x509(certificate)});
        return store;
    }

    private static PKCS10CertificationRequest csr(String mailbox, KeyPair keys) throws Exception {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)));
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + mailbox), keys.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    }

    private static KeyPair p256() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}
