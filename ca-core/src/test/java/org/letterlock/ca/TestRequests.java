package org.letterlock.ca;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/** Client-side key pairs and PKCS#10 requests, made the way a mail client or openssl would. */
public final class TestRequests {
    public static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private TestRequests() {
    }

    public static KeyPair keyPair(String algorithm, AlgorithmParameterSpec parameters, int size) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm, BC);
        if (parameters != null) {
            generator.initialize(parameters);
        } else if (size > 0) {
            generator.initialize(size);
        }
        return generator.generateKeyPair();
    }

    public static KeyPair ec(String curve) throws Exception {
        return keyPair("EC", new ECGenParameterSpec(curve), 0);
    }

    public static KeyPair rsa(int bits) throws Exception {
        return keyPair("RSA", null, bits);
    }

    public static PKCS10CertificationRequest csr(KeyPair keys, String subject, List<String> mailboxes) throws Exception {
        JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic());
        if (!mailboxes.isEmpty()) {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(mailboxes.stream().map(m -> new GeneralName(GeneralName.rfc822Name, m)).toArray(GeneralName[]::new)));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
        }
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA"
                : keys.getPublic().getAlgorithm().startsWith("Ed") ? "Ed25519" : "SHA256withECDSA";
        return builder.build(new JcaContentSignerBuilder(algorithm).setProvider(BC).build(keys.getPrivate()));
    }

    /** A root CA of some other organisation, for requests this CA must not answer. */
    public static X509CertificateHolder foreignRoot() {
        try (KeyVault vault = KeyVaults.open(VaultSettings.memory("elsewhere"))) {
            return new IssuerHierarchy(vault, Clock.systemUTC()).createRoot(KeyUri.of("elsewhere", "root"), KeySpec.EC_P256,
                    new X500Name("CN=Someone Else's Root"), Duration.ofDays(30));
        }
    }
}
