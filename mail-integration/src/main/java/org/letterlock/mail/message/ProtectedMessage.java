package org.letterlock.mail.message;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Writes a message with its content encrypted and its header fields protected as RFC 9788 describes: the encrypted
 * payload carries every original header field (with {@code hp="cipher"} on its Content-Type and an {@code HP-Outer}
 * field for each field left outside), the outer message keeps only what transport and threading need and a neutral
 * Subject of {@code [...]}.
 */
public final class ProtectedMessage {
    /** Neutral outer Subject (RFC 9788 section 4.2.1's default obscured value). */
    public static final String OBSCURED_SUBJECT = "[...]";
    /** Fields copied to the outside: what MTAs and clients need to route, list and thread the message before it is opened. */
    private static final Set<String> OUTER = Set.of("from", "to", "cc", "date", "message-id", "in-reply-to", "references", "reply-to", "mail-followup-to",
            "sender", "auto-submitted", "list-id", "list-unsubscribe", "list-post", "precedence");
    /** Trace fields: they belong to the transport, stay outside and are not protected. */
    private static final Set<String> TRACE = Set.of("received", "return-path", "arc-seal", "arc-message-signature", "arc-authentication-results",
            "authentication-results", "dkim-signature");

    private ProtectedMessage() {
    }

    /** Whether the message is already encrypted (S/MIME or PGP/MIME): it is passed on as it is, never encrypted twice. */
    public static boolean alreadyEncrypted(HeaderSection headers) {
        String type = headers.mediaType();
        String full = headers.value("Content-Type").orElse("").toLowerCase(java.util.Locale.ROOT);
        return type.equals("multipart/encrypted")
                || (type.equals("application/pkcs7-mime") || type.equals("application/x-pkcs7-mime")) && !full.contains("signed-data");
    }

    /**
     * Writes the protected message: {@code added} fields first (each a complete line), the trace and outer fields,
     * then the encrypted payload made of the original header section and {@code body} (positioned just after the
     * original header section).
     */
    public static void write(HeaderSection headers, InputStream body, EntityEncryption encryption, List<String> added, OutputStream out) throws IOException {
        for (String field : added) {
            ascii(out, field + "\r\n");
        }
        StringBuilder hpOuter = new StringBuilder();
        for (HeaderSection.Field field : headers.fields()) {
            String name = field.name().toLowerCase(java.util.Locale.ROOT);
            if (TRACE.contains(name)) {
                out.write(field.raw());
            } else if (OUTER.contains(name)) {
                out.write(field.raw());
                hpOuter.append("HP-Outer: ").append(field.name()).append(": ").append(field.value()).append("\r\n");
            }
        }
        ascii(out, "Subject: " + OBSCURED_SUBJECT + "\r\n");
        hpOuter.append("HP-Outer: Subject: ").append(OBSCURED_SUBJECT).append("\r\n");
        ascii(out, "MIME-Version: 1.0\r\n");
        try (OutputStream payload = encryption.open(out)) {
            ascii(payload, "Content-Type: " + withHeaderProtection(headers.value("Content-Type").orElse("text/plain; charset=us-ascii")) + "\r\n");
            for (HeaderSection.Field field : headers.fields()) {
                String name = field.name().toLowerCase(java.util.Locale.ROOT);
                if (!TRACE.contains(name) && !name.equals("content-type") && !name.equals("mime-version")) {
                    payload.write(field.raw());
                }
            }
            payload.write(hpOuter.toString().getBytes(StandardCharsets.UTF_8));
            ascii(payload, "\r\n");
            body.transferTo(payload);
        }
    }

    /** The Content-Type value with {@code hp="cipher"} added (replacing any hp the sender put there). */
    static String withHeaderProtection(String contentType) {
        String cleaned = contentType.replaceAll("(?i);\\s*hp\\s*=\\s*(\"[^\"]*\"|[^;\\s]*)", "");
        return cleaned + "; hp=\"cipher\"";
    }

    private static void ascii(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }
}
