package org.letterlock.mail.smime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataParser;
import org.bouncycastle.cms.CMSTypedStream;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The SMIMECapabilities a sender announced in the S/MIME signature of a message (RFC 8551 2.5.2), taken only from a
 * signature that verifies, whose signer certificate chains to a trusted CA and names the message's From address.
 * Reads {@code multipart/signed} (the signed part is streamed from the message, never held) and
 * {@code application/pkcs7-mime; smime-type=signed-data}; only the message's top level is looked at.
 */
public final class SignedCapabilities {
    /** A detached signature larger than this is not a signature a mail client made. */
    private static final int MAX_SIGNATURE_BYTES = 1 << 20;
    private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary\\s*=\\s*(?:\"([^\"]+)\"|([^;\\s]+))");

    /**
     * What a verified signature announced.
     *
     * @param address     the From address, lower case, which the signer's certificate names
     * @param signer      the signer's certificate, which chains to a trusted CA
     * @param signingTime the signed signingTime (RFC 5652 11.3)
     */
    public record Announcement(String address, X509Certificate signer, SmimeCapabilities capabilities, Instant signingTime) {
    }

    /** Opens the whole message again, from its first header byte. */
    @FunctionalInterface
    public interface MessageSource {
        InputStream open() throws IOException;
    }

    private SignedCapabilities() {
    }

    /** The message's top-level media type is an S/MIME signature. */
    public static boolean signed(HeaderSection headers) {
        String type = headers.mediaType();
        String full = headers.value("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        return type.equals("multipart/signed") && full.contains("pkcs7-signature")
                || (type.equals("application/pkcs7-mime") || type.equals("application/x-pkcs7-mime")) && full.contains("signed-data");
    }

    /**
     * The announcement of a signed message, empty when it is not S/MIME-signed or its signature announces nothing;
     * BAD_REQUEST saying why when the signature does not count: it does not verify, its certificate does not chain to
     * {@code trusted} at {@code now} or does not name the From address, or it has no signingTime.
     */
    public static Optional<Announcement> read(HeaderSection headers, MessageSource message, Collection<X509Certificate> trusted, Instant now) throws IOException {
        if (!signed(headers)) {
            return Optional.empty();
        }
        try {
            if (headers.mediaType().equals("multipart/signed")) {
                return announcement(detached(headers, message), headers, trusted, now);
            }
            // The parser reads certificates and signer infos from the stream after the content: it stays open until then.
            try (InputStream in = new BufferedInputStream(message.open(), 64 * 1024)) {
                in.skipNBytes(headers.length());
                return announcement(encapsulated(in), headers, trusted, now);
            }
        } catch (CMSException | OperatorCreationException | CertificateException | IllegalArgumentException | IllegalStateException e) {
            throw ignored("the signature does not parse or verify: " + e.getMessage());
        }
    }

    private static Optional<Announcement> announcement(CMSSignedDataParser parser, HeaderSection headers, Collection<X509Certificate> trusted, Instant now)
            throws CMSException, OperatorCreationException, CertificateException {
        SignerInformation signer = parser.getSignerInfos().getSigners().stream().findFirst()
                .orElseThrow(() -> ignored("the signature has no signer"));
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> carried = parser.getCertificates().getMatches(null);
        X509CertificateHolder signerHolder = carried.stream().filter(c -> signer.getSID().match(c)).findFirst()
                .orElseThrow(() -> ignored("the signature does not carry its signer's certificate"));
        X509Certificate signerCertificate = new JcaX509CertificateConverter().getCertificate(signerHolder);
        if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BouncyCastle.PROVIDER).build(signerCertificate))) {
            throw ignored("the signature does not verify");
        }
        AttributeTable attributes = signer.getSignedAttributes();
        Attribute capabilities = attributes == null ? null : attributes.get(SmimeCapabilities.OID);
        if (capabilities == null) {
            return Optional.empty();
        }
        Attribute signingTime = attributes.get(CMSAttributes.signingTime);
        if (signingTime == null) {
            throw ignored("the signature has no signingTime, so its capabilities cannot be ordered against earlier ones (RFC 8551 2.7.1)");
        }
        String from = fromAddress(headers);
        if (!addresses(signerCertificate).contains(from)) {
            throw ignored("the signer certificate " + signerCertificate.getSubjectX500Principal().getName() + " does not name the From address");
        }
        checkChain(signerCertificate, carried, trusted, now);
        return Optional.of(new Announcement(from, signerCertificate, SmimeCapabilities.of(ASN1Sequence.getInstance(capabilities.getAttrValues().getObjectAt(0))),
                Time.getInstance(signingTime.getAttrValues().getObjectAt(0)).getDate().toInstant()));
    }

    /** {@code multipart/signed}: the signature part is read first, then the signed part is streamed through its digests. */
    private static CMSSignedDataParser detached(HeaderSection headers, MessageSource message) throws IOException, CMSException, OperatorCreationException {
        Matcher matcher = BOUNDARY.matcher(headers.value("Content-Type").orElse(""));
        if (!matcher.find()) {
            throw ignored("its multipart/signed Content-Type has no boundary");
        }
        byte[] delimiter = ("--" + (matcher.group(1) != null ? matcher.group(1) : matcher.group(2))).getBytes(StandardCharsets.US_ASCII);
        long signedStart = -1;
        long signedEnd = -1;
        ByteArrayOutputStream signature = new ByteArrayOutputStream();
        try (InputStream in = new BufferedInputStream(message.open(), 64 * 1024)) {
            in.skipNBytes(headers.length());
            long position = headers.length();
            int delimiters = 0;
            boolean inSignatureBody = false;
            long previousLineEnd = -1;
            Line line;
            while ((line = readLine(in)) != null) {
                long lineStart = position;
                position += line.length();
                byte[] content = stripEnd(line.head());
                boolean isDelimiter = isDelimiter(content, delimiter);
                if (isDelimiter) {
                    delimiters++;
                    if (delimiters == 1) {
                        signedStart = position;
                    } else if (delimiters == 2) {
                        signedEnd = previousLineEnd;
                    } else {
                        break;
                    }
                } else if (delimiters == 2) {
                    if (!inSignatureBody) {
                        inSignatureBody = content.length == 0;
                    } else {
                        if (line.head().length < line.length()) {
                            throw ignored("a line of its signature part is longer than " + MAX_KEPT_LINE + " bytes");
                        }
                        signature.write(content);
                        if (signature.size() > MAX_SIGNATURE_BYTES) {
                            throw ignored("its signature part is larger than " + MAX_SIGNATURE_BYTES + " bytes");
                        }
                    }
                }
                previousLineEnd = lineStart + line.length() - line.terminator();
            }
        }
        if (signedEnd < signedStart || signature.size() == 0) {
            throw ignored("its multipart/signed body does not have a signed part and a signature part");
        }
        byte[] der = Base64.getMimeDecoder().decode(signature.toByteArray());
        // The signer infos come from the signature bytes, so the signed part is read to its end and closed here, even when the signature is malformed.
        try (InputStream signed = message.open()) {
            signed.skipNBytes(signedStart);
            CMSSignedDataParser parser = new CMSSignedDataParser(digests(), new CMSTypedStream(new Bounded(signed, signedEnd - signedStart)), der);
            try (InputStream content = parser.getSignedContent().getContentStream()) {
                content.transferTo(OutputStream.nullOutputStream());
            }
            return parser;
        }
    }

    /** {@code application/pkcs7-mime; smime-type=signed-data}: the signed content is inside, streamed through its digests. */
    private static CMSSignedDataParser encapsulated(InputStream body) throws IOException, CMSException, OperatorCreationException {
        CMSSignedDataParser parser = new CMSSignedDataParser(digests(), Base64.getMimeDecoder().wrap(body));
        CMSTypedStream content = parser.getSignedContent();
        if (content == null) {
            throw ignored("its signed-data carries no content");
        }
        content.drain();
        return parser;
    }

    private static DigestCalculatorProvider digests() throws OperatorCreationException {
        return new JcaDigestCalculatorProviderBuilder().setProvider(BouncyCastle.PROVIDER).build();
    }

    private static void checkChain(X509Certificate signer, Collection<X509CertificateHolder> carried, Collection<X509Certificate> trusted, Instant now) {
        try {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            List<X509Certificate> intermediates = new ArrayList<>();
            for (X509CertificateHolder holder : carried) {
                intermediates.add(converter.getCertificate(holder));
            }
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(signer);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(trusted.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toSet()), target);
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(intermediates)));
            // Revocation is not asked here: capabilities choose among algorithms every client must read anyway.
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            CertPathBuilder.getInstance("PKIX").build(parameters);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw ignored("the signer certificate " + signer.getSubjectX500Principal().getName() + " does not chain to a trusted CA: " + e.getMessage());
        }
    }

    /** The one addr-spec of the From field; several authors or none: nobody to record capabilities for. */
    private static String fromAddress(HeaderSection headers) {
        String from = headers.value("From").orElseThrow(() -> ignored("the message has no From field"));
        Matcher angle = Pattern.compile("<([^<>]+)>").matcher(from);
        String address = angle.find() ? angle.group(1) : from;
        if (angle.find() || address.contains(",") || !address.contains("@")) {
            throw ignored("its From field does not name exactly one address");
        }
        return address.trim().toLowerCase(Locale.ROOT);
    }

    /** The mailboxes a certificate names: rfc822Name subject alternative names and, as older certificates do, emailAddress in the subject. */
    public static Set<String> addresses(X509Certificate certificate) {
        Set<String> addresses = new HashSet<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                names.stream().filter(n -> Integer.valueOf(1).equals(n.get(0))).forEach(n -> addresses.add(String.valueOf(n.get(1)).toLowerCase(Locale.ROOT)));
            }
        } catch (CertificateException e) {
            throw ignored("the certificate's subject alternative names do not parse");
        }
        for (RDN rdn : X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.EmailAddress)) {
            addresses.add(IETFUtils.valueToString(rdn.getFirst().getValue()).toLowerCase(Locale.ROOT));
        }
        return addresses;
    }

    private static LetterlockException ignored(String reason) {
        return new LetterlockException(ErrorType.BAD_REQUEST, reason);
    }

    /** One line with its ending, or null at the end of the stream. */
    /** A line of the body: its first {@link #MAX_KEPT_LINE} bytes, its whole length, and how many of those end it (CRLF 2, LF 1, none 0). */
    private record Line(byte[] head, long length, int terminator) {
    }

    /** Lines kept no longer than this: a boundary or a base64 line is far shorter, and a body of one 35 MiB line must not be held twice per worker. */
    private static final int MAX_KEPT_LINE = 8 * 1024;

    private static Line readLine(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(128);
        long length = 0;
        int previous = -1;
        int b;
        while ((b = in.read()) != -1) {
            length++;
            if (head.size() < MAX_KEPT_LINE) {
                head.write(b);
            }
            if (b == '\n') {
                return new Line(head.toByteArray(), length, previous == '\r' ? 2 : 1);
            }
            previous = b;
        }
        return length == 0 ? null : new Line(head.toByteArray(), length, 0);
    }

    /** The line without its ending and trailing white space (RFC 2046 5.1.1 allows it after a delimiter). */
    private static byte[] stripEnd(byte[] line) {
        int end = line.length;
        while (end > 0 && (line[end - 1] == '\n' || line[end - 1] == '\r' || line[end - 1] == ' ' || line[end - 1] == '\t')) {
            end--;
        }
        return Arrays.copyOf(line, end);
    }

    /** The delimiter line or the close delimiter ({@code --boundary--}, RFC 2046 5.1.1). */
    private static boolean isDelimiter(byte[] line, byte[] delimiter) {
        boolean prefix = line.length >= delimiter.length && Arrays.equals(line, 0, delimiter.length, delimiter, 0, delimiter.length);
        return prefix && (line.length == delimiter.length || line.length == delimiter.length + 2 && line[delimiter.length] == '-' && line[delimiter.length + 1] == '-');
    }

    /** At most {@code remaining} bytes of a stream. */
    private static final class Bounded extends FilterInputStream {
        private long remaining;

        Bounded(InputStream in, long remaining) {
            super(new BufferedInputStream(in, 64 * 1024));
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = super.read(buffer, offset, (int) Math.min(length, remaining));
            if (read > 0) {
                remaining -= read;
            }
            return read;
        }
    }
}
