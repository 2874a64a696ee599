package org.letterlock.enroll.est;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.enroll.KeyPackageEnvelope;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * What a serverkeygen CSR asks about encrypting the key on top of TLS (RFC 7030 4.4.1.1, 4.4.1.2), read and checked
 * before anything is spent or made.
 * <p>
 * The rule for AsymmetricDecryptKeyIdentifier: it names, by subject key identifier, a certificate this CA issued to
 * the proven mailbox that is current (neither revoked nor expired) and whose key may be used for key management: RSA
 * with keyUsage keyEncipherment, or EC with keyAgreement (RFC 7030 4.4.1.2: "explicitly support keyTransport or
 * keyAgreement"). In practice that is the mailbox's current encryption certificate, whose key the client holds from
 * an earlier serverkeygen; a signing certificate (the TLS client certificate, keyUsage digitalSignature) is refused,
 * as is the CSR's own key, which RFC 7030 4.4.1 tells the server to ignore.
 * <p>
 * DecryptKeyIdentifier (a symmetric key shared out of band) is refused: the one secret a client shares with this
 * server is the single-use enrollment secret, which no identifier names, which is spent by the request itself, and
 * which RFC 7030 4.4.2 could only use as a KEK (kekri), not as a password (PWRI).
 */
record KeyEncryptionRequest(IssuedCertificate recipient, byte[] keyId, KeyPackageEnvelope.Ciphers ciphers) {
    /** id-aa-decryptKeyID (RFC 7030 4.4.1.1) and id-aa-asymmDecryptKeyID (RFC 7030 4.4.1.2). */
    static final ASN1ObjectIdentifier DECRYPT_KEY_ID = PKCSObjectIdentifiers.id_aa.branch("37");
    static final ASN1ObjectIdentifier ASYMMETRIC_DECRYPT_KEY_ID = PKCSObjectIdentifiers.id_aa.branch("54");
    /** Content-encryption algorithms offered, by their SMIMECapabilities names, and their matching key wraps. */
    private static final Map<ASN1ObjectIdentifier, ASN1ObjectIdentifier> CONTENT_TO_WRAP = Map.of(
            NISTObjectIdentifiers.id_aes256_CBC, NISTObjectIdentifiers.id_aes256_wrap,
            NISTObjectIdentifiers.id_aes192_CBC, NISTObjectIdentifiers.id_aes192_wrap,
            NISTObjectIdentifiers.id_aes128_CBC, NISTObjectIdentifiers.id_aes128_wrap);
    private static final List<String> OFFERED = List.of("aes256-CBC", "aes192-CBC", "aes128-CBC");

    /**
     * The encryption {@code csr} asks for, if any; {@code current} are the proven mailbox's current certificates.
     * Refused (bad request, with what to do instead) when it cannot be done as asked.
     */
    static Optional<KeyEncryptionRequest> of(PKCS10CertificationRequest csr, String mailbox, List<IssuedCertificate> current) {
        boolean symmetric = EstMessages.hasAttribute(csr, DECRYPT_KEY_ID);
        boolean asymmetric = EstMessages.hasAttribute(csr, ASYMMETRIC_DECRYPT_KEY_ID);
        if (symmetric) {
            throw bad("DecryptKeyIdentifier names a symmetric key shared out of band (RFC 7030 4.4.1.1); this server shares none with clients "
                    + "(the enrollment secret is single-use and no key-encryption key): name your current encryption certificate with "
                    + "AsymmetricDecryptKeyIdentifier instead, or leave both out for the key over TLS only");
        }
        if (!asymmetric) {
            return Optional.empty();
        }
        byte[] keyId = keyId(csr.getAttributes(ASYMMETRIC_DECRYPT_KEY_ID));
        KeyPackageEnvelope.Ciphers ciphers = ciphers(csr);
        String hex = HexFormat.of().formatHex(keyId);
        IssuedCertificate recipient = current.stream().filter(c -> Arrays.equals(subjectKeyId(c.holder()), keyId)).findFirst()
                .orElseThrow(() -> bad("no current certificate of " + mailbox + " has the subject key identifier " + hex + " that AsymmetricDecryptKeyIdentifier "
                        + "names (RFC 7030 4.4.1.2); name the subjectKeyIdentifier of your current encryption certificate"));
        requireKeyManagement(recipient);
        return Optional.of(new KeyEncryptionRequest(recipient, keyId, ciphers));
    }

    private static byte[] keyId(Attribute[] attributes) {
        ASN1Encodable[] values = attributes.length == 1 ? attributes[0].getAttributeValues() : new ASN1Encodable[0];
        if (values.length != 1 || !(values[0] instanceof ASN1OctetString octets) || octets.getOctets().length == 0 || octets.getOctets().length > 64) {
            throw bad("the AsymmetricDecryptKeyIdentifier attribute must occur once with one OCTET STRING of 1 to 64 bytes (RFC 7030 4.4.1.2)");
        }
        return octets.getOctets();
    }

    /**
     * RFC 7030 4.4.2 takes the algorithms from the SMIMECapabilities the client sends: the first offered content
     * cipher it lists, and the first key wrap it lists (else the one of the cipher's strength). Without the attribute,
     * AES-256-CBC and AES-256 key wrap.
     */
    private static KeyPackageEnvelope.Ciphers ciphers(PKCS10CertificationRequest csr) {
        Attribute[] attributes = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_smimeCapabilities);
        if (attributes.length == 0) {
            return KeyPackageEnvelope.Ciphers.DEFAULT;
        }
        List<ASN1ObjectIdentifier> listed;
        try {
            listed = Arrays.stream(attributes[0].getAttributeValues()).flatMap(v -> Arrays.stream(org.bouncycastle.asn1.ASN1Sequence.getInstance(v).toArray()))
                    .map(c -> SMIMECapability.getInstance(c).getCapabilityID()).toList();
        } catch (RuntimeException e) {
            throw bad("the SMIMECapabilities attribute does not parse (RFC 8551 2.5.2)");
        }
        ASN1ObjectIdentifier content = listed.stream().filter(CONTENT_TO_WRAP::containsKey).findFirst()
                .orElseThrow(() -> bad("the SMIMECapabilities list no content-encryption algorithm offered here; list one of " + OFFERED));
        ASN1ObjectIdentifier wrap = listed.stream().filter(CONTENT_TO_WRAP::containsValue).findFirst().orElse(CONTENT_TO_WRAP.get(content));
        return new KeyPackageEnvelope.Ciphers(content, wrap);
    }

    /** RFC 7030 4.4.1.2: a key bound to a certificate must explicitly support key transport or key agreement, or be unrestricted. */
    private static void requireKeyManagement(IssuedCertificate recipient) {
        X509CertificateHolder holder = recipient.holder();
        ASN1ObjectIdentifier algorithm = holder.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
        boolean rsa = algorithm.equals(PKCSObjectIdentifiers.rsaEncryption);
        if (!rsa && !algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            throw bad("certificate " + recipient.serialHex() + " (" + recipient.profile() + ") has a key that cannot decrypt; name an RSA or EC encryption certificate");
        }
        KeyUsage usage = KeyUsage.fromExtensions(holder.getExtensions());
        int needed = rsa ? KeyUsage.keyEncipherment : KeyUsage.keyAgreement;
        if (usage != null && !usage.hasUsages(needed)) {
            throw bad("certificate " + recipient.serialHex() + " (" + recipient.profile() + ") is not for key management: its keyUsage lacks "
                    + (rsa ? "keyEncipherment" : "keyAgreement") + ", which RFC 7030 4.4.1.2 requires of the key the private key is encrypted to; "
                    + "name your current encryption certificate");
        }
    }

    private static byte[] subjectKeyId(X509CertificateHolder certificate) {
        SubjectKeyIdentifier id = SubjectKeyIdentifier.fromExtensions(certificate.getExtensions());
        return id == null ? new byte[0] : id.getKeyIdentifier();
    }

    private static LetterlockException bad(String message) {
        return new LetterlockException(ErrorType.BAD_REQUEST, message);
    }
}
