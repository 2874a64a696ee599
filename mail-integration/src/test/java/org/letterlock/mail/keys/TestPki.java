package org.letterlock.mail.keys;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.TestRequests;

/**
 * A small CA of the tests' own, made with Bouncy Castle: TLS certificates for the loopback peers (nginx, slapd) under
 * their real names, and S/MIME certificates of an organisation the gateway does not trust.
 */
public final class TestPki {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    /** A certificate with its private key, and how to hand both to a server that reads PEM files. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public Path[] writePem(Path dir, String name) throws Exception {
            Path certificateFile = Files.writeString(dir.resolve(name + ".pem"), pem(certificate));
            Path keyFile = Files.writeString(dir.resolve(name + ".key"), Certificates.pem("PRIVATE KEY", key.getEncoded()));
            return new Path[] {certificateFile, keyFile};
        }
    }

    private final X500Name name;
    private final KeyPair keys;
    public final X509Certificate root;

    public TestPki(String commonName) throws Exception {
        this.name = new X500Name("CN=" + commonName);
        this.keys = TestRequests.ec("secp256r1");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = builder(name, keys, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.root = sign(builder);
    }

    /** A TLS server certificate for {@code hosts} (DNS names). */
    public Issued server(String... hosts) throws Exception {
        KeyPair subject = TestRequests.ec("secp256r1");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = builder(new X500Name("CN=" + hosts[0]), subject, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
        GeneralName[] names = new GeneralName[hosts.length];
        for (int i = 0; i < hosts.length; i++) {
            names[i] = new GeneralName(GeneralName.dNSName, hosts[i]);
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return new Issued(sign(builder), subject.getPrivate());
    }

    /** An S/MIME encryption certificate for {@code address}, right in every way but its issuer. */
    X509Certificate mailbox(String address) throws Exception {
        return mailbox(address, Instant.now().plus(Duration.ofDays(30)));
    }

    X509Certificate mailbox(String address, Instant notAfter) throws Exception {
        KeyPair subject = TestRequests.ec("secp256r1");
        X509v3CertificateBuilder builder = builder(new X500Name("CN=" + address), subject, Instant.now().minus(Duration.ofHours(1)), notAfter);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
        return sign(builder);
    }

    /** A client TLS context that trusts this CA only. */
    SSLContext trustingOnlyThis() throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("root", root);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    public static String pem(X509Certificate certificate) throws Exception {
        return Certificates.pem("CERTIFICATE", certificate.getEncoded());
    }

    private X509v3CertificateBuilder builder(X500Name subject, KeyPair subjectKeys, Instant from, Instant to) {
        return new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(from), Date.from(to), subject,
                subjectKeys.getPublic());
    }

    private X509Certificate sign(X509v3CertificateBuilder builder) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
