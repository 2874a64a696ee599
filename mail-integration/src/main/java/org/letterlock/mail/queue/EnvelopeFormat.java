package org.letterlock.mail.queue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The envelope file: one field per line, UTF-8, so an operator can read a queue entry with {@code cat}. Addresses and
 * replies are written percent-escaped where they could break a line or a field.
 */
final class EnvelopeFormat {
    private static final String MAGIC = "letterlock-envelope 1";

    private EnvelopeFormat() {
    }

    static byte[] write(Envelope envelope) {
        StringBuilder out = new StringBuilder(256).append(MAGIC).append('\n');
        out.append("id ").append(envelope.id()).append('\n');
        out.append("received ").append(envelope.received().toEpochMilli()).append('\n');
        out.append("from ").append(escape(envelope.sender())).append('\n');
        out.append("client ").append(escape(envelope.client())).append('\n');
        out.append("requiretls ").append(envelope.requireTls()).append('\n');
        for (Envelope.Recipient r : envelope.recipients()) {
            out.append("rcpt ").append(r.status()).append(' ').append(r.attempts()).append(' ').append(r.nextAttempt().toEpochMilli()).append(' ')
                    .append(escape(r.address())).append(' ').append(escape(r.lastReply())).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Envelope read(byte[] bytes) {
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 6 || !lines[0].equals(MAGIC)) {
            throw new IllegalArgumentException("not a Letterlock envelope file");
        }
        String id = field(lines[1], "id");
        Instant received = Instant.ofEpochMilli(Long.parseLong(field(lines[2], "received")));
        String sender = unescape(field(lines[3], "from"));
        String client = unescape(field(lines[4], "client"));
        boolean requireTls = Boolean.parseBoolean(field(lines[5], "requiretls"));
        List<Envelope.Recipient> recipients = new ArrayList<>();
        for (int i = 6; i < lines.length; i++) {
            String[] parts = field(lines[i], "rcpt").split(" ", -1);
            if (parts.length != 5) {
                throw new IllegalArgumentException("broken recipient line " + (i + 1));
            }
            recipients.add(new Envelope.Recipient(unescape(parts[3]), Envelope.Status.valueOf(parts[0]), Integer.parseInt(parts[1]),
                    Instant.ofEpochMilli(Long.parseLong(parts[2])), unescape(parts[4])));
        }
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("envelope without recipients");
        }
        return new Envelope(id, received, sender, client, requireTls, recipients);
    }

    private static String field(String line, String name) {
        if (!line.startsWith(name + " ") && !line.equals(name)) {
            throw new IllegalArgumentException("expected field '" + name + "', got '" + line + "'");
        }
        return line.length() > name.length() ? line.substring(name.length() + 1) : "";
    }

    /** Spaces, percent signs and control characters as %XX, so every field is one token on one line. */
    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c <= 0x20 || c == '%' || c == 0x7f) {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            } else {
                out.append((char) c);
            }
        }
        return new String(out.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    static String unescape(String value) {
        byte[] raw = value.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%' && i + 2 < raw.length) {
                out.write(Integer.parseInt(new String(raw, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(raw[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
