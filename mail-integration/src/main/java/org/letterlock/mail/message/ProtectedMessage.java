package org.letterlock.mail.message;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes a message with its content encrypted and its header fields protected as RFC 9788 describes: the encrypted
 * payload carries every original header field (with {@code hp="cipher"} on its Content-Type and an {@code HP-Outer}
 * field for each field left outside), the outer message keeps only what transport and threading need and a neutral
 * Subject of {@code [...]}.
 */
public final class ProtectedMessage {
    /** Neutral outer Subject (RFC 9788 section 4.2.1's default obscured value). */
    public static final String OBSCURED_SUBJECT = "[...]";
    /**
     * Fields copied to the outside: what MTAs and clients need to route, list and thread the message before it is
     * opened, and TLS-Required, which every later MTA on the path is to read (RFC 8689 5).
     */
    private static final Set<String> OUTER = Set.of("from", "to", "cc", "date", "message-id", "in-reply-to", "references", "reply-to", "mail-followup-to",
            "sender", "auto-submitted", "list-id", "list-unsubscribe", "list-post", "precedence", "tls-required");
    /** Trace fields: they belong to the transport, stay outside and are not protected. */
    private static final Set<String> TRACE = Set.of("received", "return-path", "arc-seal", "arc-message-signature", "arc-authentication-results",
            "authentication-results", "dkim-signature");
    private static final Pattern HP_PARAMETER = Pattern.compile("\\s*hp\\s*=.*", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private ProtectedMessage() {
    }

    /**
     * Whether the message is already encrypted (S/MIME or PGP/MIME): it is passed on as it is, never encrypted twice.
     * For application/pkcs7-mime that is smime-type enveloped-data or authEnveloped-data (RFC 8551 3.2.2), or no
     * smime-type, as older clients send encrypted mail; signed-data, compressed-data and certs-only are readable by anyone.
     */
    public static boolean alreadyEncrypted(HeaderSection headers) {
        String type = headers.mediaType();
        if (type.equals("multipart/encrypted")) {
            return true;
        }
        if (!type.equals("application/pkcs7-mime") && !type.equals("application/x-pkcs7-mime")) {
            return false;
        }
        java.util.regex.Matcher smimeType = SMIME_TYPE.matcher(headers.value("Content-Type").orElse(""));
        return !smimeType.find() || ENCRYPTED_SMIME_TYPES.contains(smimeType.group(1).toLowerCase(java.util.Locale.ROOT));
    }

    private static final Pattern SMIME_TYPE = Pattern.compile(";\\s*smime-type\\s*=\\s*\"?([A-Za-z-]+)", Pattern.CASE_INSENSITIVE);
    private static final Set<String> ENCRYPTED_SMIME_TYPES = Set.of("enveloped-data", "authenveloped-data");

    /**
     * Writes the protected message: {@code added} fields first (each a complete line), the trace and outer fields,
     * then the encrypted payload made of the original header section and {@code body} (positioned just after the
     * original header section). With a {@code notice}, the outer message is multipart/mixed: the notice in clear
     * text, then the encrypted entity (for recipients whose mail program cannot open it by itself).
     */
    public static void write(HeaderSection headers, InputStream body, EntityEncryption encryption, List<String> added, Optional<String> notice,
                             OutputStream out) throws IOException {
        for (String field : added) {
            ascii(out, field + "\r\n");
        }
        StringBuilder hpOuter = new StringBuilder();
        for (HeaderSection.Field field : headers.fields()) {
            String name = field.name().toLowerCase(java.util.Locale.ROOT);
            if (TRACE.contains(name)) {
                writeField(out, field);
            } else if (OUTER.contains(name)) {
                writeField(out, field);
                hpOuter.append("HP-Outer: ").append(field.name()).append(": ").append(field.value()).append("\r\n");
            }
        }
        ascii(out, "Subject: " + OBSCURED_SUBJECT + "\r\n");
        hpOuter.append("HP-Outer: Subject: ").append(OBSCURED_SUBJECT).append("\r\n");
        ascii(out, "MIME-Version: 1.0\r\n");
        String boundary = "=_letterlock_" + java.util.HexFormat.of().formatHex(randomBytes());
        if (notice.isPresent()) {
            ascii(out, "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary + "\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + notice.get().replaceAll("\r?\n", "\r\n")
                    + "\r\n--" + boundary + "\r\n");
        }
        try (OutputStream payload = encryption.open(out)) {
            ascii(payload, "Content-Type: " + withHeaderProtection(headers.value("Content-Type").orElse("text/plain; charset=us-ascii")) + "\r\n");
            for (HeaderSection.Field field : headers.fields()) {
                String name = field.name().toLowerCase(java.util.Locale.ROOT);
                if (!TRACE.contains(name) && !name.equals("content-type") && !name.equals("mime-version")) {
                    writeField(payload, field);
                }
            }
            payload.write(hpOuter.toString().getBytes(StandardCharsets.UTF_8));
            ascii(payload, "\r\n");
            body.transferTo(payload);
        }
        if (notice.isPresent()) {
            ascii(out, "\r\n--" + boundary + "--\r\n");
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[12];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /**
     * The Content-Type value with {@code hp="cipher"} added, in place of any hp parameter the sender wrote. A semicolon
     * inside a quoted string (a boundary, a file name) does not start a parameter (RFC 2045 5.1), so none is cut there.
     */
    static String withHeaderProtection(String contentType) {
        StringBuilder kept = new StringBuilder();
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < contentType.length(); i++) {
            char c = contentType.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                keepUnlessHp(kept, contentType.substring(start, i), start == 0);
                start = i + 1;
            }
        }
        keepUnlessHp(kept, contentType.substring(start), start == 0);
        return kept + "; hp=\"cipher\"";
    }

    private static void keepUnlessHp(StringBuilder kept, String part, boolean mediaType) {
        if (mediaType) {
            kept.append(part);
        } else if (!HP_PARAMETER.matcher(part).matches()) {
            kept.append(';').append(part);
        }
    }

    /**
     * Writes a field as it came, with CRLF added when it is the last line of a message that ends without one (BDAT can
     * deliver such a message): else the next field written would run on in it.
     */
    private static void writeField(OutputStream out, HeaderSection.Field field) throws IOException {
        byte[] raw = field.raw();
        out.write(raw);
        if (raw[raw.length - 1] != '\n') {
            ascii(out, "\r\n");
        }
    }

    private static void ascii(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }
}
