package org.letterlock.mail.smime;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.letterlock.ca.TestRequests;

/** S/MIME-signed messages as clients make them, announcing chosen capabilities at a chosen signingTime. */
public final class SignedMessages {
    /** The signed part of every message here. */
    public static final String PART = "Content-Type: text/plain; charset=us-ascii\r\n\r\nwhat I read, signed\r\n";

    private SignedMessages() {
    }

    /**
     * A detached signature over {@link #PART} by an RSA {@code signer}, with the signingTime given (none when empty) and
     * the SMIMECapabilities attribute listing {@code capabilities} (none when there are none).
     */
    public static byte[] detachedSignature(X509Certificate signer, PrivateKey key, Optional<Instant> signingTime, ASN1ObjectIdentifier... capabilities)
            throws Exception {
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        signingTime.ifPresent(time -> attributes.add(new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(time))))));
        if (capabilities.length > 0) {
            attributes.add(new Attribute(SmimeCapabilities.OID, new DERSet(ASN1Sequence.getInstance(new SmimeCapabilities(List.of(capabilities)).encoded()))));
        }
        DefaultSignedAttributeTableGenerator standard = new DefaultSignedAttributeTableGenerator(new AttributeTable(attributes));
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(TestRequests.BC).build())
                // the standard generator adds a signingTime of its own when none is given: taken out again for "none"
                .setSignedAttributeGenerator(parameters -> signingTime.isPresent() ? standard.getAttributes(parameters)
                        : standard.getAttributes(parameters).remove(CMSAttributes.signingTime))
                .build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(TestRequests.BC).build(key), signer));
        generator.addCertificates(new JcaCertStore(List.of(signer)));
        return generator.generate(new CMSProcessableByteArray(PART.getBytes(StandardCharsets.US_ASCII)), false).getEncoded();
    }

    /** {@code multipart/signed} (RFC 8551 3.5.3) from {@code from}, with {@link #PART} and {@code signature} over it. */
    public static byte[] multipartSigned(String from, byte[] signature) {
        String boundary = "signed-" + UUID.randomUUID();
        return ("From: " + from + "\r\nTo: erin@partner.test\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n\tboundary=\"" + boundary + "\"\r\n\r\n"
                + "This is an S/MIME signed message.\r\n\r\n"
                + "--" + boundary + "\r\n" + PART + "\r\n--" + boundary + "\r\n"
                + "Content-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64(signature) + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code application/pkcs7-mime; smime-type=signed-data} (RFC 8551 3.5.2) from {@code from}, around the DER {@code signedData}. */
    public static byte[] opaqueSigned(String from, byte[] signedData) {
        return ("From: " + from + "\r\nTo: erin@partner.test\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64(signedData) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String base64(byte[] der) {
        return Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    }
}
