package org.letterlock.enroll.acme;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
        Optional<Verified> verified = verified(raw, message);
        // Outside the parse: a check that fails (the store unreachable) is no verdict on the reply, and goes up as such.
        if (verified.isEmpty() || !verified.get().signers().stream().allMatch(signer)) {
            return Optional.empty();
        }
        return Optional.of(verified.get().content());
    }

    /** Signed content whose signatures verify, with the certificates that made them. */
    private record Verified(MimeBodyPart content, List<X509Certificate> signers) {
    }

    private static Optional<Verified> verified(byte[] raw, MimeMessage message) {
        try {
            ContentType type = new ContentType(message.getContentType());
            String protocol = Optional.ofNullable(type.getParameter("protocol")).orElse("").toLowerCase(Locale.ROOT);
            String boundary = type.getParameter("boundary");
            if (!type.match("multipart/signed") || boundary == null || !protocol.equals("application/pkcs7-signature") && !protocol.equals("application/x-pkcs7-signature")) {
                return Optional.empty();
            }
            Optional<byte[]> signed = firstPart(raw, boundary);
            if (signed.isEmpty()) {
                return Optional.empty();
            }
            // Parsed from the message's own bytes, not getContent(): see ChallengeReplies.plainText.
            Multipart parts = new MimeMultipart(message.getDataHandler().getDataSource());
            if (parts.getCount() != 2) {
                return Optional.empty();
            }
            BodyPart signaturePart = parts.getBodyPart(1);
            byte[] signature = signaturePart.getInputStream().readAllBytes();
            Optional<List<X509Certificate>> signers = signers(new CMSSignedData(new CMSProcessableByteArray(signed.get()), signature));
            if (signers.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Verified(new MimeBodyPart(new ByteArrayInputStream(signed.get())), signers.get()));
        } catch (MessagingException | IOException | CMSException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The certificates of every signer, when each verifies with its own certificate from the message, made for signing. */
    private static Optional<List<X509Certificate>> signers(CMSSignedData data) {
        Collection<SignerInformation> signers = data.getSignerInfos().getSigners();
        if (signers.isEmpty()) {
            return Optional.empty();
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (SignerInformation info : signers) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matching = data.getCertificates().getMatches(info.getSID());
            if (matching.size() != 1) {
                return Optional.empty();
            }
            try {
                X509Certificate certificate = new JcaX509CertificateConverter().setProvider(BC).getCertificate(matching.iterator().next());
                boolean[] usage = certificate.getKeyUsage();
                if (usage == null || !usage[DIGITAL_SIGNATURE] || !info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(certificate))) {
                    return Optional.empty();
                }
                certificates.add(certificate);
            } catch (CertificateException | OperatorCreationException | CMSException e) {
                return Optional.empty();
            }
        }
        return Optional.of(certificates);
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
