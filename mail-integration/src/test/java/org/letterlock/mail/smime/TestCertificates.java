package org.letterlock.mail.smime;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.letterlock.ca.CaUrls;
import org.letterlock.ca.CertificateProfile;
import org.letterlock.ca.IssuancePolicy;
import org.letterlock.ca.Issuer;
import org.letterlock.ca.IssuerHierarchy;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * Certificates issued the way Letterlock's CA issues them (ca-core's hierarchy, issuer and profiles, CA keys in a
 * memory vault), a few odd self-signed ones no profile would make, and the PEM files the tools read.
 */
final class TestCertificates implements AutoCloseable {
    private static final IssuancePolicy POLICY = new IssuancePolicy(URI.create("http://ca.example.org/crl/issuing-1.crl"),
            URI.create("http://ca.example.org/ocsp"), URI.create("http://ca.example.org/ca/issuing-1.crt"), List.of(IssuancePolicy.LETTERLOCK_POLICY), true);

    /** A certificate and the private key its holder decrypts or signs with. */
    record Holder(X509Certificate certificate, PrivateKey key) {
    }

    private final KeyVault vault = KeyVaults.open(VaultSettings.memory("letterlock"));
    private final X509CertificateHolder root;
    private final Issuer issuer;

    TestCertificates() {
        IssuerHierarchy hierarchy = new IssuerHierarchy(vault, Clock.systemUTC());
        KeyUri rootKey = KeyUri.of("letterlock", "root");
        root = hierarchy.createRoot(rootKey, KeySpec.EC_P384, new X500Name("CN=Letterlock Test Root,O=Example"), Duration.ofDays(3650));
        KeyUri issuingKey = KeyUri.of("letterlock", "issuing-1");
        X509CertificateHolder issuing = hierarchy.createIssuing(IssuerRecord.Kind.ISSUING, rootKey, root, "root", new CaUrls(URI.create("http://ca.example.org")), issuingKey,
                KeySpec.EC_P256, new X500Name("CN=Letterlock Test Issuing CA,O=Example"), Duration.ofDays(1825));
        issuer = new Issuer(vault, issuingKey, issuing, POLICY, Clock.systemUTC());
    }

    /** A certificate for {@code mailbox} under {@code profile} (one of ca-core's Profiles). */
    Holder mailbox(CertificateProfile profile, KeyPair keys, String mailbox) {
        X509CertificateHolder certificate = issuer.issue(profile, SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()),
                new X500Name("CN=" + mailbox), List.of(mailbox), Set.of(), Duration.ofDays(365));
        return new Holder(x509(certificate), keys.getPrivate());
    }

    /** A key the organisation signs with, made in the vault as the gateway's is, and its mailbox-signing certificate. */
    record Organisation(X509Certificate certificate, Supplier<ContentSigner> signers) {
    }

    Organisation organisation(KeySpec spec, String mailbox) {
        KeyUri key = KeyUri.of("letterlock", "organisation-" + spec.configName());
        PublicKey publicKey = vault.createKey(key, spec);
        X509CertificateHolder certificate = issuer.issue(Profiles.MAILBOX_SIGNING, SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()),
                new X500Name("CN=" + mailbox), List.of(mailbox), Set.of(), Duration.ofDays(365));
        return new Organisation(x509(certificate), () -> vault.signer(key));
    }

    /** A TLS server certificate for {@code host}. */
    Holder server(CertificateProfile profile, KeyPair keys, String host) {
        X509CertificateHolder certificate = issuer.issue(profile, SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()),
                new X500Name("CN=" + host), List.of(host), Set.of(), Duration.ofDays(90));
        return new Holder(x509(certificate), keys.getPrivate());
    }

    /** Self-signed, with the given keyUsage bits (none: no keyUsage extension). */
    static Holder selfSigned(KeyPair keys, String signatureAlgorithm, String subject, int keyUsage) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name(subject);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(30))), name, keys.getPublic());
        if (keyUsage != 0) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
        }
        X509CertificateHolder certificate = builder.build(new JcaContentSignerBuilder(signatureAlgorithm).setProvider(TestRequests.BC).build(keys.getPrivate()));
        return new Holder(x509(certificate), keys.getPrivate());
    }

    X509Certificate root() {
        return x509(root);
    }

    X509Certificate issuing() {
        return x509(issuer.certificate());
    }

    /** Writes {@code objects} (certificates, keys) as one PEM file. */
    static Path pem(Path dir, String name, Object... objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        }
        return Files.writeString(dir.resolve(name + ".pem"), text.toString(), StandardCharsets.US_ASCII);
    }

    private static X509Certificate x509(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        vault.close();
    }
}
