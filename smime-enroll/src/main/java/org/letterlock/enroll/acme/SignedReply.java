package org.letterlock.enroll.acme;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.letterlock.platform.error.LetterlockException;

/**
 * A reply signed with S/MIME (RFC 8551 multipart/signed, RFC 1847): the other way RFC 8823 lets a reply be
 * authenticated besides DKIM. The signature is checked over the first part's bytes exactly as they arrived, and the
 * signer's certificate must pass a check the caller gives (here: one of this CA's current signing certificates for the
 * From mailbox), so a mail client that already holds a certificate can renew without the MTA's DKIM verdict.
 */
final class SignedReply {
    private static final Provider BC = new BouncyCastleProvider();
    private static final int DIGITAL_SIGNATURE = 0;

    private SignedReply() {
    }

    /**
     * The signed content of {@code raw} when it is a multipart/signed message whose signature verifies with a
     * certificate {@code signer} accepts; empty for anything else (unsigned, malformed, wrong signature, other signer).
     */
    static Optional<MimeBodyPart> content(byte[] raw, MimeMessage message, Predicate<X509Certificate> signer) {
        try {
            ContentType type = new ContentType(message.getContentType());
            String protocol = Optional.ofNullable(type.getParameter("protocol")).orElse("").toLowerCase(Locale.ROOT);
            String boundary = type.getParameter("boundary");
            if (!type.match("multipart/signed") || boundary == null || !protocol.equals("application/pkcs7-signature") && !protocol.equals("application/x-pkcs7-signature")) {
                return Optional.empty();
            }
            Optional<byte[]> signed = firstPart(raw, boundary);
            if (signed.isEmpty() || !(message.getContent() instanceof Multipart parts) || parts.getCount() != 2) {
                return Optional.empty();
            }
            BodyPart signaturePart = parts.getBodyPart(1);
            byte[] signature = signaturePart.getInputStream().readAllBytes();
            if (!verifies(new CMSSignedData(new CMSProcessableByteArray(signed.get()), signature), signer)) {
                return Optional.empty();
            }
            return Optional.of(new MimeBodyPart(new ByteArrayInputStream(signed.get())));
        } catch (LetterlockException e) {
            // The signer's certificate could not be looked up (the store unreachable): not the reply's fault, so no verdict.
            throw e;
        } catch (MessagingException | IOException | CMSException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Every signer must verify with its own certificate from the message, and that certificate must be accepted. */
    private static boolean verifies(CMSSignedData data, Predicate<X509Certificate> signer) {
        Collection<SignerInformation> signers = data.getSignerInfos().getSigners();
        if (signers.isEmpty()) {
            return false;
        }
        for (SignerInformation info : signers) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matching = data.getCertificates().getMatches(info.getSID());
            if (matching.size() != 1) {
                return false;
            }
            try {
                X509Certificate certificate = new JcaX509CertificateConverter().setProvider(BC).getCertificate(matching.iterator().next());
                boolean[] usage = certificate.getKeyUsage();
                if (usage == null || !usage[DIGITAL_SIGNATURE] || !signer.test(certificate)
                        || !info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(certificate))) {
                    return false;
                }
            } catch (CertificateException | OperatorCreationException | CMSException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first body part's bytes between its delimiter line and the CRLF before the next delimiter (RFC 2046 section
     * 5.1.1: that CRLF belongs to the delimiter), as the signature covers them.
     */
    static Optional<byte[]> firstPart(byte[] raw, String boundary) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headerEnd = text.indexOf("\r\n\r\n");
        if (headerEnd < 0) {
            return Optional.empty();
        }
        String delimiter = "\r\n--" + boundary;
        int open = text.startsWith("--" + boundary, headerEnd + 4) ? headerEnd + 2 : text.indexOf(delimiter, headerEnd + 2);
        if (open < 0) {
            return Optional.empty();
        }
        int start = text.indexOf("\r\n", open + delimiter.length());
        int end = start < 0 ? -1 : text.indexOf(delimiter, start);
        if (end < 0) {
            return Optional.empty();
        }
        return Optional.of(text.substring(start + 2, end).getBytes(StandardCharsets.ISO_8859_1));
    }
}
