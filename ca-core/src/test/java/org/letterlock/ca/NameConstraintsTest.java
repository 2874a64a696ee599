package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * An issuing CA limited to the mailboxes of example.org (letterlock.ca.permitted-mail-domains): its certificate carries
 * the constraint, OpenSSL enforces it, and the CA refuses a mailbox outside it before its key signs anything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NameConstraintsTest {
    private static final IssuancePolicy POLICY = new IssuancePolicy(URI.create("http://ca.example.org/crl/issuing.crl"),
            URI.create("http://ca.example.org/ocsp"), URI.create("http://ca.example.org/ca/issuing.cer"), List.of(IssuancePolicy.LETTERLOCK_POLICY), false);

    @TempDir
    Path dir;

    private KeyVault vault;
    private IssuerHierarchy hierarchy;
    private X509CertificateHolder root;
    private KeyUri issuingKey;
    private Issuer issuer;

    @BeforeAll
    void createHierarchy() {
        vault = KeyVaults.open(VaultSettings.memory("letterlock"));
        hierarchy = new IssuerHierarchy(vault, Clock.systemUTC(), List.of("example.org"));
        KeyUri rootKey = KeyUri.of("letterlock", "root-ca");
        root = hierarchy.createRoot(rootKey, KeySpec.EC_P384, new X500Name("CN=Constrained Test Root,O=Example"), Duration.ofDays(3650));
        issuingKey = KeyUri.of("letterlock", "issuing-ca");
        X509CertificateHolder issuing = hierarchy.createIssuing(IssuerRecord.Kind.ISSUING, rootKey, root, "root", new CaUrls(URI.create("http://ca.example.org")), issuingKey, KeySpec.EC_P256,
                new X500Name("CN=Constrained Issuing CA,O=Example"), Duration.ofDays(1825));
        issuer = new Issuer(vault, issuingKey, issuing, POLICY, Clock.systemUTC());
    }

    private X509CertificateHolder issue(String mailbox) throws Exception {
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        return issuer.issue(Profiles.MAILBOX_SIGNING, key, new X500Name("CN=" + mailbox), List.of(mailbox), Set.of(), Duration.ofDays(365));
    }

    private Tools.Run verify(X509CertificateHolder leaf) throws Exception {
        Tools tools = new Tools(dir);
        return tools.openssl("verify", "-CAfile", tools.pem("root", root).toString(), "-untrusted", tools.pem("issuing", issuer.certificate()).toString(),
                "-purpose", "smimesign", tools.pem("leaf", leaf).toString());
    }

    @Test
    void theIssuingCaCertificateAndItsRequestForAnExternalRootCarryTheConstraint() throws Exception {
        Tools tools = new Tools(dir);
        Tools.Run text = tools.openssl("x509", "-noout", "-text", "-in", tools.pem("issuing-text", issuer.certificate()).toString());
        assertThat(text.output()).contains("X509v3 Name Constraints: critical", "Permitted:", "email:example.org", "email:.example.org");
        assertThat(text.output()).doesNotContain("Excluded:", "DNS:");

        Path csr = dir.resolve("issuing.csr");
        java.nio.file.Files.writeString(csr, Certificates.pem("CERTIFICATE REQUEST", hierarchy.requestIssuing(IssuerRecord.Kind.ISSUING, KeyUri.of("letterlock", "pending-ca"), KeySpec.EC_P256,
                new X500Name("CN=Pending Issuing CA,O=Example")).getEncoded()));
        Tools.Run request = tools.openssl("req", "-noout", "-text", "-verify", "-in", csr.toString());
        assertThat(request.output()).contains("X509v3 Name Constraints: critical", "email:example.org", "email:.example.org");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "alice@example.org",
            "bob@mail.example.org",
            "Carol@EXAMPLE.ORG"})
    void mailboxesOfThePermittedDomainAreIssuedAndVerify(String mailbox) throws Exception {
        Tools.Run ok = verify(issue(mailbox));
        assertThat(ok.exit()).as(ok.output()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "carol@example.net",
            "dave@notexample.org",
            "erin@example.org.evil.net"})
    void aMailboxOutsideIsRefusedBeforeTheKeySigns(String mailbox) {
        assertThatThrownBy(() -> issue(mailbox)).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains(mailbox, "outside the issuing CA's name constraints", "example.org");
        });
    }

    /** What the refusal prevents: a certificate outside the constraint, signed by the issuing key all the same, fails OpenSSL's check. */
    @Test
    void opensslRefusesACertificateOutsideTheConstraint() throws Exception {
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer.certificate().getSubject(), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=carol@example.net"), key);
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, "carol@example.net")));
        builder.addExtension(Extension.authorityKeyIdentifier, false, Issuer.authorityKeyIdentifier(issuer.certificate()));
        Tools.Run refused = verify(builder.build(vault.signer(issuingKey)));
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.output()).contains("permitted subtree violation");
    }
}
