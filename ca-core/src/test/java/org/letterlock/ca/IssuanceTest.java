package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * A root, an issuing CA and mailbox certificates made through the vault, checked by OpenSSL: the signing certificate
 * verifies for S/MIME signing and not for encryption, the encryption certificate for encryption, neither for TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IssuanceTest {
    private static final IssuancePolicy POLICY = new IssuancePolicy(URI.create("http://ca.example.org/crl/issuing.crl"),
            URI.create("http://ca.example.org/ocsp"), URI.create("http://ca.example.org/ca/issuing.cer"), List.of(IssuancePolicy.LETTERLOCK_POLICY), true);

    @TempDir
    Path dir;

    private KeyVault vault;
    private X509CertificateHolder root;
    private Issuer issuer;

    @BeforeAll
    void createHierarchy() {
        vault = KeyVaults.open(VaultSettings.memory("letterlock"));
        IssuerHierarchy hierarchy = new IssuerHierarchy(vault, Clock.systemUTC());
        KeyUri rootKey = KeyUri.of("letterlock", "root-ca");
        root = hierarchy.createRoot(rootKey, KeySpec.EC_P384, new X500Name("CN=Letterlock Test Root,O=Example"), Duration.ofDays(3650));
        KeyUri issuingKey = KeyUri.of("letterlock", "issuing-ca");
        X509CertificateHolder issuing = hierarchy.createIssuing(IssuerRecord.Kind.ISSUING, rootKey, root, "root", new CaUrls(URI.create("http://ca.example.org")), issuingKey, KeySpec.EC_P256,
                new X500Name("CN=Letterlock Test Issuing CA,O=Example"), Duration.ofDays(1825));
        issuer = new Issuer(vault, issuingKey, issuing, POLICY, Clock.systemUTC());
    }

    private X509CertificateHolder issue(CertificateProfile profile, KeyPair keys, String mailbox) throws Exception {
        CertificationRequest request = CertificationRequest.read(TestRequests.csr(keys, "CN=" + mailbox, List.of(mailbox)).getEncoded());
        return issuer.issue(profile, request.publicKey(), new X500Name("CN=" + mailbox), request.mailboxes(), Set.of(), Duration.ofDays(365));
    }

    private Tools.Run verify(X509CertificateHolder leaf, String purpose) throws Exception {
        Tools tools = new Tools(dir);
        return tools.openssl("verify", "-CAfile", tools.pem("root", root).toString(), "-untrusted", tools.pem("issuing", issuer.certificate()).toString(),
                "-purpose", purpose, tools.pem("leaf-" + purpose, leaf).toString());
    }

    private Tools.Run openssl(String... arguments) throws Exception {
        return new Tools(dir).openssl(arguments);
    }

    private Path pem(String name, X509CertificateHolder certificate) throws IOException {
        return new Tools(dir).pem(name, certificate);
    }

    @Test
    void opensslAcceptsTheSigningCertificateForSigningOnly() throws Exception {
        X509CertificateHolder signing = issue(Profiles.MAILBOX_SIGNING, TestRequests.ec("secp256r1"), "alice@example.org");
        Tools.Run ok = verify(signing, "smimesign");
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains(": OK");
        assertThat(verify(signing, "smimeencrypt").exit()).as("a signing certificate must not verify for encryption").isNotZero();
        assertThat(verify(signing, "sslserver").exit()).as("never serverAuth on a mailbox certificate").isNotZero();

        Tools.Run text = openssl("x509", "-noout", "-text", "-in", pem("signing-text", signing).toString());
        assertThat(text.output()).contains("X509v3 Key Usage: critical", "Digital Signature", "E-mail Protection", "email:alice@example.org",
                "CA Issuers - URI:http://ca.example.org/ca/issuing.cer", "OCSP - URI:http://ca.example.org/ocsp", "URI:http://ca.example.org/crl/issuing.crl",
                "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier", "Policy: " + IssuancePolicy.LETTERLOCK_POLICY.getId(), "Policy: 2.23.140.1.5.1.3");
        assertThat(signing.getSerialNumber().bitLength()).isEqualTo(127);
    }

    @Test
    void opensslAcceptsTheRsaEncryptionCertificateForEncryption() throws Exception {
        X509CertificateHolder encryption = issue(Profiles.MAILBOX_ENCRYPTION, TestRequests.rsa(2048), "alice@example.org");
        Tools.Run ok = verify(encryption, "smimeencrypt");
        assertThat(ok.exit()).as(ok.output()).isZero();
        Tools.Run text = openssl("x509", "-noout", "-text", "-in", pem("encryption-text", encryption).toString());
        assertThat(text.output()).contains("X509v3 Key Usage: critical", "Key Encipherment").doesNotContain("Digital Signature");
    }

    @Test
    void theCaCertificatesAreMarkedAsCas() throws Exception {
        Tools.Run text = openssl("x509", "-noout", "-text", "-in", pem("issuing-text", issuer.certificate()).toString());
        assertThat(text.output()).contains("X509v3 Basic Constraints: critical", "CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign");
        Tools.Run chain = openssl("verify", "-CAfile", pem("root", root).toString(), pem("issuing", issuer.certificate()).toString());
        assertThat(chain.exit()).as(chain.output()).isZero();
    }

    @ParameterizedTest(name = "refuses/{0}")
    @CsvSource(delimiter = '|', value = {
            "ec-key-for-kra-transport | kra-transport     | does not certify EC keys",
            "mailbox-on-ocsp-profile   | ocsp-signing      | takes no subjectAltName",
    })
    void requestsAProfileCannotTakeAreRefused(String name, String profile, String reason) {
        assertThatThrownBy(() -> issue(Profiles.byName(profile).orElseThrow(), TestRequests.ec("secp256r1"), "bob@example.org"))
                .isInstanceOf(LetterlockException.class).hasMessageContaining(reason);
    }

    /** A profile whose rules the built certificate cannot meet: the check must stop it before the issuing key signs. */
    @Test
    void aCertificateThatBreaksItsProfileIsNeverSigned() throws Exception {
        AtomicInteger signatures = new AtomicInteger();
        ContentSigner counting = new ContentSigner() {
            private final ContentSigner real = vault.signer(KeyUri.of("letterlock", "issuing-ca"));

            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return real.getAlgorithmIdentifier();
            }

            @Override
            public OutputStream getOutputStream() {
                return real.getOutputStream();
            }

            @Override
            public byte[] getSignature() {
                signatures.incrementAndGet();
                return real.getSignature();
            }
        };
        X509CertificateHolder signing = issue(Profiles.MAILBOX_SIGNING, TestRequests.ec("secp256r1"), "carol@example.org");
        TBSCertificate tbs = signing.toASN1Structure().getTBSCertificate();
        assertThat(ProfileCheck.violations(tbs, Profiles.MAILBOX_SIGNING)).isEmpty();
        assertThat(ProfileCheck.violations(tbs, Profiles.MAILBOX_ENCRYPTION)).anySatisfy(v -> assertThat(v).contains("keyUsage lacks [KEY_AGREEMENT]"));
        assertThat(ProfileCheck.violations(tbs, Profiles.TLS_SERVER)).anySatisfy(v -> assertThat(v).contains("extendedKeyUsage must be exactly"))
                .anySatisfy(v -> assertThat(v).contains("dNSName"));

        ProfileCheckingSigner guarded = new ProfileCheckingSigner(counting, Profiles.TLS_SERVER);
        guarded.getOutputStream().write(tbs.getEncoded());
        assertThatThrownBy(guarded::getSignature).isInstanceOf(ProfileViolation.class).hasMessageContaining("tls-server/v2");
        assertThat(signatures.get()).as("the issuing key was not used").isZero();
    }

    @Test
    void serialNumbersAreDistinct() throws Exception {
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        java.util.Set<java.math.BigInteger> serials = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            serials.add(issuer.issue(Profiles.MAILBOX_SIGNING, key, new X500Name("CN=dave@example.org"), List.of("dave@example.org"), Set.of(), Duration.ofDays(30)).getSerialNumber());
        }
        assertThat(serials).hasSize(200);
    }
}
