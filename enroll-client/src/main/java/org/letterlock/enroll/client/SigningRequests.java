package org.letterlock.enroll.client;

import java.io.IOException;
import java.security.KeyPair;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** The PKCS#10 request for a mailbox: the address as rfc822Name (and common name when it fits), signed by the key it certifies. */
final class SigningRequests {
    private SigningRequests() {
    }

    /** id-aa-asymmDecryptKeyID (RFC 7030 4.4.1.2): the key the server is to encrypt a generated key to, by subject key identifier. */
    static final org.bouncycastle.asn1.ASN1ObjectIdentifier ASYMMETRIC_DECRYPT_KEY_ID = PKCSObjectIdentifiers.id_aa.branch("54");

    static byte[] forMailbox(KeyPair keys, String address) throws IOException {
        return forMailbox(keys, address, java.util.Optional.empty());
    }

    /** The subject key identifier of {@code certificate} (the CA sets it on every certificate). */
    static byte[] subjectKeyId(java.security.cert.X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (extension == null) {
            throw new IllegalArgumentException("certificate " + certificate.getSerialNumber().toString(16) + " has no subject key identifier");
        }
        return org.bouncycastle.asn1.ASN1OctetString.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(extension).getOctets()).getOctets();
    }

    /** As above, asking with {@code decryptKeyId} for a server-generated key encrypted to that key. */
    static byte[] forMailbox(KeyPair keys, String address, java.util.Optional<byte[]> decryptKeyId) throws IOException {
        X500Name subject = address.length() <= 64 ? new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, address).build() : new X500Name(new org.bouncycastle.asn1.x500.RDN[0]);
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder request = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            if (decryptKeyId.isPresent()) {
                request.addAttribute(ASYMMETRIC_DECRYPT_KEY_ID, new org.bouncycastle.asn1.DEROctetString(decryptKeyId.get()));
            }
            return request.build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())).getEncoded();
        } catch (OperatorCreationException e) {
            throw new IOException("cannot sign the certificate request: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the server certified what was asked: {@code key}, for {@code address} as the one rfc822Name; a
     * certificate for anything else would be written next to a key that cannot use it.
     */
    static void checkIssued(java.security.cert.X509Certificate certificate, java.security.PublicKey key, String address) throws IOException {
        if (!java.util.Arrays.equals(certificate.getPublicKey().getEncoded(), key.getEncoded())) {
            throw new IOException("the server certified another key than the one made here (certificate " + certificate.getSerialNumber().toString(16) + ")");
        }
        java.util.Collection<java.util.List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (java.security.cert.CertificateParsingException e) {
            throw new IOException("the certificate's subjectAltName cannot be read: " + e.getMessage(), e);
        }
        java.util.List<String> mailboxes = names == null ? java.util.List.of()
                : names.stream().filter(name -> Integer.valueOf(GeneralName.rfc822Name).equals(name.get(0))).map(name -> String.valueOf(name.get(1))).toList();
        if (mailboxes.size() != 1 || !mailboxes.get(0).equalsIgnoreCase(address)) {
            throw new IOException("the server certified " + mailboxes + " instead of " + address + " (certificate " + certificate.getSerialNumber().toString(16) + ")");
        }
    }
}
