package org.letterlock.enroll.est;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DLSet;
import org.bouncycastle.asn1.DLSequence;
import org.bouncycastle.asn1.DLTaggedObject;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The bodies EST exchanges (RFC 7030, with RFC 8951's clarifications): base64-encoded DER both ways, certificates as a
 * certs-only CMS SignedData, CSR attributes, and the server-generated key as multipart/mixed.
 */
final class EstMessages {
    static final String PKCS10 = "application/pkcs10";
    static final String CERTS_ONLY = "application/pkcs7-mime; smime-type=certs-only";
    static final String CSR_ATTRS = "application/csrattrs";
    static final String PKCS8 = "application/pkcs8";
    /** The key part of an encrypted server-generated key (RFC 7030 4.4.2): EnvelopedData around the signed key package. */
    static final String SERVER_GENERATED_KEY = "application/pkcs7-mime; smime-type=server-generated-key";
    /** base64 never holds a hyphen, so this boundary cannot occur inside a part: one fixed boundary serves every response. */
    static final String BOUNDARY = "letterlock-est-part";
    static final String MULTIPART = "multipart/mixed; boundary=" + BOUNDARY;
    /** CSRs are at most 64 KiB of DER (the CA's limit), a third more as base64 with line breaks. */
    static final int MAX_REQUEST_BYTES = 96 * 1024;

    private static final Base64.Encoder BASE64 = Base64.getMimeEncoder(64, new byte[] {'\r', '\n'});
    /** Strict: the MIME decoder would skip any character outside the alphabet and decode text into nonsense. */
    private static final Base64.Decoder DECODER = Base64.getDecoder();

    private EstMessages() {
    }

    /** base64 with 64-character lines, as the RFC 7030 examples show and every client reads. */
    static byte[] base64(byte[] der) {
        byte[] encoded = BASE64.encode(der);
        byte[] terminated = java.util.Arrays.copyOf(encoded, encoded.length + 2);
        terminated[encoded.length] = '\r';
        terminated[encoded.length + 1] = '\n';
        return terminated;
    }

    /**
     * A certs-only Simple PKI Response (RFC 5272 4.1): SignedData without content or signers. The certificates keep
     * their order (issuing CA before root), so the set is encoded without DER's sorting.
     */
    static byte[] certsOnly(List<byte[]> certificates) {
        ASN1EncodableVector certs = new ASN1EncodableVector(certificates.size());
        certificates.forEach(der -> certs.add(Certificate.getInstance(der)));
        ASN1EncodableVector signedData = new ASN1EncodableVector(5);
        signedData.add(new ASN1Integer(1));
        signedData.add(new DERSet());
        signedData.add(new DERSequence(CMSObjectIdentifiers.data));
        signedData.add(new DLTaggedObject(false, 0, new DLSet(certs)));
        signedData.add(new DERSet());
        try {
            return base64(new DLSequence(new ASN1Encodable[] {CMSObjectIdentifiers.signedData, new DLTaggedObject(true, 0, new DLSequence(signedData))})
                    .getEncoded(ASN1Encoding.DL));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a certs-only response", e);
        }
    }

    /**
     * The CSR attributes (RFC 7030 4.5.2, ASN.1 as RFC 8951 fixed it): sign with ECDSA and SHA-256 over a P-256 key
     * (RSA from 2048 bits is taken too), and name the mailbox in a subjectAltName extension request.
     */
    static byte[] csrAttributes() {
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        attributes.add(X9ObjectIdentifiers.ecdsa_with_SHA256);
        attributes.add(new DERSequence(new ASN1Encodable[] {X9ObjectIdentifiers.id_ecPublicKey, new DERSet(SECObjectIdentifiers.secp256r1)}));
        attributes.add(new DERSequence(new ASN1Encodable[] {PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSet(Extension.subjectAlternativeName)}));
        try {
            return base64(new DERSequence(attributes).getEncoded(ASN1Encoding.DER));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the CSR attributes", e);
        }
    }

    /** The server-generated key's response (RFC 7030 4.4.2): the key part first, then the certificate part. */
    static byte[] serverKey(String keyType, byte[] keyBase64, byte[] certsOnlyBase64) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(keyBase64.length + certsOnlyBase64.length + 256);
        part(out, keyType, keyBase64);
        part(out, CERTS_ONLY, certsOnlyBase64);
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void part(ByteArrayOutputStream out, String type, byte[] base64) {
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Type: " + type + "\r\nContent-Transfer-Encoding: base64\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(base64);
    }

    /**
     * The DER of a request body: base64 as RFC 7030 and 8951 name it (line breaks and other white space ignored, the
     * Content-Transfer-Encoding header too), a PEM block as curl users send a file, or DER as it is.
     */
    static byte[] der(byte[] body) {
        if (body.length == 0) {
            throw bad("the request body is empty: send the PKCS#10 request, base64-encoded");
        }
        if ((body[0] & 0xff) == 0x30) {
            return body;
        }
        String text = new String(body, StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN");
        if (begin >= 0) {
            int start = text.indexOf('\n', begin);
            int end = text.indexOf("-----END", begin);
            if (start < 0 || end < start) {
                throw bad("the PEM block is incomplete");
            }
            text = text.substring(start + 1, end);
        }
        try {
            byte[] der = DECODER.decode(withoutWhiteSpace(text));
            if (der.length == 0) {
                throw bad("the request body holds no base64 data");
            }
            return der;
        } catch (IllegalArgumentException e) {
            throw bad("the request body is not base64: " + e.getMessage());
        }
    }

    private static String withoutWhiteSpace(String text) {
        StringBuilder kept = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                kept.append(c);
            }
        }
        return kept.toString();
    }

    /**
     * Parses a PKCS#10 request without checking its signature: the CA checks that when it issues. Subject and
     * attributes are read here, so that a malformed one is refused now and not met later as a parse failure.
     */
    static PKCS10CertificationRequest csr(byte[] der) {
        try {
            PKCS10CertificationRequest csr = new PKCS10CertificationRequest(der);
            csr.getSubject().getRDNs();
            csr.getAttributes();
            return csr;
        } catch (IOException | RuntimeException e) {
            throw bad("not a PKCS#10 certificate request: the DER structure does not parse");
        }
    }

    /** The subjectAltName entries a request asks for, as "rfc822Name:x" / "dNSName:y" strings for messages and comparison. */
    static List<String> requestedNames(PKCS10CertificationRequest csr) {
        List<String> names = new ArrayList<>();
        try {
            Extensions extensions = csr.getRequestedExtensions();
            GeneralNames san = extensions == null ? null : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
            if (san != null) {
                for (GeneralName name : san.getNames()) {
                    names.add(name.getTagNo() == GeneralName.rfc822Name ? "rfc822Name:" + name.getName().toString().toLowerCase(Locale.ROOT)
                            : "tag" + name.getTagNo() + ":" + name.getName());
                }
            }
        } catch (RuntimeException e) {
            throw bad("the requested extensions (extensionRequest attribute) are malformed");
        }
        return names;
    }

    /** Whether the request carries an attribute of type {@code type}. */
    static boolean hasAttribute(PKCS10CertificationRequest csr, ASN1ObjectIdentifier type) {
        try {
            return csr.getAttributes(type).length > 0;
        } catch (RuntimeException e) {
            throw bad("the request's attributes are malformed");
        }
    }

    static LetterlockException bad(String message) {
        return new LetterlockException(ErrorType.BAD_REQUEST, message);
    }
}
