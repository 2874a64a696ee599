package org.letterlock.mail.message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A message's header section, read field by field with each field's bytes kept exactly (folding and 8-bit
 * included), so what is written back is what came in. Reading stops at the blank line: the stream is then at the body.
 */
public final class HeaderSection {
    private final List<Field> fields;

    /**
     * One header field.
     *
     * @param raw the field's bytes from its name to its last CRLF, folded lines included
     */
    public record Field(String name, byte[] raw) {
        /** The unfolded value, read as UTF-8 (RFC 6532), without the name and leading space. */
        public String value() {
            String text = new String(raw, StandardCharsets.UTF_8);
            return text.substring(text.indexOf(':') + 1).replaceAll("\r?\n", "").trim();
        }

        public boolean is(String other) {
            return name.equalsIgnoreCase(other);
        }
    }

    private final long length;

    private HeaderSection(List<Field> fields, long length) {
        this.fields = List.copyOf(fields);
        this.length = length;
    }

    /** Bytes the section took in the stream it was read from, its ending blank line included: where the body starts. */
    public long length() {
        return length;
    }

    public List<Field> fields() {
        return fields;
    }

    public Optional<String> value(String name) {
        return fields.stream().filter(f -> f.is(name)).findFirst().map(Field::value);
    }

    /** The media type of the message, lower case, without parameters ({@code text/plain} when none is given, RFC 2045 5.2). */
    public String mediaType() {
        return value("Content-Type").map(v -> v.split(";", 2)[0].trim().toLowerCase(Locale.ROOT)).orElse("text/plain");
    }

    /**
     * Reads fields until the blank line (or the end of a message that has no body) and at most {@code maxBytes} bytes.
     * A line that is not a field and not a continuation ends the header section as a blank line would: the body
     * begins there (so that line is part of the body), as lenient readers do.
     */
    public static HeaderSection read(InputStream in, int maxBytes) throws IOException {
        if (!in.markSupported()) {
            throw new IllegalArgumentException("the header section is read from a stream that can go back one line (a BufferedInputStream)");
        }
        List<Field> fields = new ArrayList<>();
        ByteArrayOutputStream current = null;
        String currentName = null;
        int total = 0;
        // Room to go back over one line of up to maxBytes; maxBytes + 1 would overflow (to no room at all) for Integer.MAX_VALUE.
        int markLimit = maxBytes == Integer.MAX_VALUE ? maxBytes : maxBytes + 1;
        while (true) {
            in.mark(markLimit);
            byte[] line = readLine(in, maxBytes - total);
            if (line == null) {
                break;
            }
            total += line.length;
            boolean blank = line.length == 0 || line.length <= 2 && (line[0] == '\r' || line[0] == '\n');
            if (blank) {
                break;
            }
            if ((line[0] == ' ' || line[0] == '\t') && current != null) {
                current.write(line);
                continue;
            }
            int colon = nameEnd(line);
            if (colon < 0) {
                in.reset();
                total -= line.length;
                break;
            }
            if (current != null) {
                fields.add(new Field(currentName, current.toByteArray()));
            }
            currentName = new String(line, 0, colon, StandardCharsets.US_ASCII).trim();
            current = new ByteArrayOutputStream(line.length + 16);
            current.write(line);
        }
        if (current != null) {
            fields.add(new Field(currentName, current.toByteArray()));
        }
        return new HeaderSection(fields, total);
    }

    /** The position of the colon ending a field name of printable ASCII, or -1 when the line is not a field. */
    private static int nameEnd(byte[] line) {
        for (int i = 0; i < line.length; i++) {
            byte b = line[i];
            if (b == ':') {
                return i > 0 ? i : -1;
            }
            if (b < 33 || b > 126) {
                return -1;
            }
        }
        return -1;
    }

    /** One line with its line end, or null at the end of the stream. */
    private static byte[] readLine(InputStream in, int budget) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(80);
        for (int c; (c = in.read()) != -1; ) {
            line.write(c);
            if (line.size() > budget) {
                throw new IOException("header section longer than allowed");
            }
            if (c == '\n') {
                return line.toByteArray();
            }
        }
        return line.size() == 0 ? null : line.toByteArray();
    }
}
