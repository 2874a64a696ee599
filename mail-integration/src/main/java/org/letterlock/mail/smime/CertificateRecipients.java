package org.letterlock.mail.smime;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.letterlock.ca.KeyFamily;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Recipients by certificate (RFC 8551 2.3). RSA keys get the content key by RSAES-OAEP with SHA-256 and MGF1-SHA-256
 * (RFC 4055), or by PKCS#1 v1.5 for clients that read nothing else; EC keys by ephemeral-static ECDH, dhSinglePass-stdDH-sha256kdf-scheme with AES-256 key wrap (RFC 5753),
 * with a fresh ephemeral key for every message.
 */
final class CertificateRecipients {
    private static final int MIN_RSA_BITS = 2048;
    private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
            SECObjectIdentifiers.secp256r1, "P-256", SECObjectIdentifiers.secp384r1, "P-384", SECObjectIdentifiers.secp521r1, "P-521");
    /** Hash parameters absent, as OpenSSL writes them (RFC 5754 2). */
    private static final AlgorithmIdentifier SHA256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256);
    private static final AlgorithmIdentifier RSAES_OAEP_SHA256 = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP,
            new RSAESOAEPparams(SHA256, new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, SHA256), RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM));
    private static final String EMAIL_PROTECTION = KeyPurposeId.id_kp_emailProtection.getId();
    private static final String ANY_PURPOSE = KeyPurposeId.anyExtendedKeyUsage.getId();
    // RFC 5280 4.2.1.3, the bit positions of X509Certificate.getKeyUsage()
    private static final int KEY_ENCIPHERMENT = 2;
    private static final int KEY_AGREEMENT = 4;
    private static final int ENCIPHER_ONLY = 7;

    private CertificateRecipients() {
    }

    /**
     * The recipient for {@code certificate}, or BAD_REQUEST naming the certificate and what makes its key unusable for
     * S/MIME encryption: the key type or size, a keyUsage without the bit the key needs, an extendedKeyUsage without
     * emailProtection. Validity and revocation are for whoever chose the certificate.
     */
    static Recipient of(X509Certificate certificate, RsaKeyTransport rsaKeyTransport) {
        SubjectPublicKeyInfo key = subjectKey(certificate);
        KeyFamily family = KeyFamily.of(key);
        if (family == KeyFamily.RSA) {
            int bits = ((RSAPublicKey) certificate.getPublicKey()).getModulus().bitLength();
            if (bits < MIN_RSA_BITS) {
                throw refused(certificate, "its RSA key has " + bits + " bits; at least " + MIN_RSA_BITS + " are needed");
            }
            if (forbids(certificate, KEY_ENCIPHERMENT)) {
                throw refused(certificate, "its keyUsage does not allow keyEncipherment, which an RSA recipient key needs");
            }
            checkPurpose(certificate);
            return new KeyTransport(certificate, rsaKeyTransport);
        }
        if (family == KeyFamily.EC) {
            ASN1ObjectIdentifier curve = key.getAlgorithm().getParameters() instanceof ASN1ObjectIdentifier named ? named : null;
            if (curve == null || !CURVES.containsKey(curve)) {
                throw refused(certificate, "its EC key is on " + (curve == null ? "an unnamed curve" : "curve " + curveName(curve))
                        + "; S/MIME encryption takes P-256, P-384 or P-521");
            }
            if (forbids(certificate, KEY_AGREEMENT)) {
                throw refused(certificate, "its keyUsage does not allow keyAgreement, which an EC recipient key needs");
            }
            if (allows(certificate, ENCIPHER_ONLY)) {
                throw refused(certificate, "its keyUsage limits key agreement to encipherOnly, so the recipient could not decipher");
            }
            checkPurpose(certificate);
            return new KeyAgreement(certificate, curve);
        }
        String algorithm = family == KeyFamily.ED25519 ? "Ed25519" : certificate.getPublicKey().getAlgorithm();
        throw refused(certificate, "its key is " + algorithm + "; S/MIME encryption takes RSA or EC (P-256, P-384, P-521) keys");
    }

    private static SubjectPublicKeyInfo subjectKey(X509Certificate certificate) {
        try {
            return new JcaX509CertificateHolder(certificate).getSubjectPublicKeyInfo();
        } catch (CertificateException e) {
            throw refused(certificate, "it does not encode: " + e.getMessage());
        }
    }

    /** An absent keyUsage allows every use (RFC 5280 4.2.1.3). */
    private static boolean forbids(X509Certificate certificate, int bit) {
        return certificate.getKeyUsage() != null && !allows(certificate, bit);
    }

    private static boolean allows(X509Certificate certificate, int bit) {
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && usage.length > bit && usage[bit];
    }

    /** RFC 8550 4.4.4: an extendedKeyUsage that is present must allow emailProtection. */
    private static void checkPurpose(X509Certificate certificate) {
        List<String> purposes;
        try {
            purposes = certificate.getExtendedKeyUsage();
        } catch (CertificateException e) {
            throw refused(certificate, "its extendedKeyUsage does not parse");
        }
        if (purposes != null && !purposes.contains(EMAIL_PROTECTION) && !purposes.contains(ANY_PURPOSE)) {
            throw refused(certificate, "its extendedKeyUsage does not include emailProtection");
        }
    }

    private static String curveName(ASN1ObjectIdentifier curve) {
        String name = ECNamedCurveTable.getName(curve);
        return name == null ? curve.getId() : name;
    }

    private static LetterlockException refused(X509Certificate certificate, String reason) {
        return new LetterlockException(ErrorType.BAD_REQUEST, "certificate " + certificate.getSubjectX500Principal().getName()
                + " (serial " + certificate.getSerialNumber().toString(16) + ") cannot be an S/MIME encryption recipient: " + reason);
    }

    private record KeyTransport(X509Certificate certificate, RsaKeyTransport transport) implements Recipient {
        @Override
        public RecipientInfoGenerator infoGenerator() {
            try {
                JceKeyTransRecipientInfoGenerator generator = transport == RsaKeyTransport.RSAES_OAEP
                        ? new JceKeyTransRecipientInfoGenerator(certificate, RSAES_OAEP_SHA256)
                        : new JceKeyTransRecipientInfoGenerator(certificate);
                return generator.setProvider(BouncyCastle.PROVIDER);
            } catch (CertificateException e) {
                throw new IllegalStateException("a checked recipient certificate does not encode", e);
            }
        }
    }

    private record KeyAgreement(X509Certificate certificate, ASN1ObjectIdentifier curve) implements Recipient {
        @Override
        public RecipientInfoGenerator infoGenerator() {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BouncyCastle.PROVIDER);
                generator.initialize(new ECGenParameterSpec(curve.getId()));
                KeyPair ephemeral = generator.generateKeyPair();
                return new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(), ephemeral.getPublic(),
                        CMSAlgorithm.AES256_WRAP).setProvider(BouncyCastle.PROVIDER).addRecipient(certificate);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot make an ephemeral " + CURVES.get(curve) + " key", e);
            }
        }
    }
}
