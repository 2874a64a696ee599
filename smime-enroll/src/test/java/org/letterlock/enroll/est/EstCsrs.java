package org.letterlock.enroll.est;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** CSRs as EST clients make them, with the attributes openssl req cannot add (RFC 7030's key identifiers are OCTET STRINGs). */
public final class EstCsrs {
    private EstCsrs() {
    }

    /** A DER CSR naming {@code mailbox} as CN and rfc822Name, signed by {@code keys}, with each further attribute given as type, value, type, value... */
    public static byte[] asking(String mailbox, KeyPair keys, Object... attributes) throws Exception {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)));
        PKCS10CertificationRequestBuilder request = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + mailbox), keys.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
        for (int i = 0; i < attributes.length; i += 2) {
            Object value = attributes[i + 1];
            request.addAttribute((ASN1ObjectIdentifier) attributes[i], value instanceof byte[] octets ? new org.bouncycastle.asn1.DEROctetString(octets) : (ASN1Encodable) value);
        }
        return request.build(new JcaContentSignerBuilder(keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA").build(keys.getPrivate()))
                .getEncoded();
    }

    public static KeyPair ec(String curve) throws Exception {
        return keyPair("EC", new ECGenParameterSpec(curve));
    }

    static KeyPair rsa(int bits) throws Exception {
        return keyPair("RSA", new RSAKeyGenParameterSpec(bits, BigInteger.valueOf(65537)));
    }

    private static KeyPair keyPair(String algorithm, AlgorithmParameterSpec spec) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        generator.initialize(spec);
        return generator.generateKeyPair();
    }
}
