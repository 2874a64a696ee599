package org.letterlock.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SMTP pieces the mail benchmarks share: reading lines and replies, and the test messages (headers with a unique
 * Message-ID, then a body of numbered 78-character lines, exactly as long as asked).
 */
final class Smtp {
    static final byte[] CRLF = {'\r', '\n'};
    /** RFC 5321 allows 1,000 octets per line with CRLF; a longer line is read in pieces of this size rather than refused. */
    static final int MAX_LINE = 64 * 1024;
    /** The length of each body line before CRLF, as smtp-source writes them. */
    static final int BODY_LINE = 78;
    static final String DOMAIN = "source.test";

    private Smtp() {
    }

    /**
     * Reads CRLF- (or bare LF-) terminated lines from a stream, as ISO-8859-1 text without the line end. Keeps what it
     * read in its own buffer: use it, not the stream, from the first line on.
     */
    static final class Lines {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;
        /** Every byte read so far, line ends included. */
        private long consumed;

        Lines(InputStream in) {
            this.in = in;
        }

        /** The next line without its line end, or null at the end of the stream (a last line without line end is returned). */
        String readLine() throws IOException {
            ByteArrayOutputStream partial = null;
            while (true) {
                if (position == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return partial == null || partial.size() == 0 ? null : partial.toString(StandardCharsets.ISO_8859_1);
                    }
                }
                for (int i = position; i < limit; i++) {
                    if (buffer[i] == '\n') {
                        int end = i > position && buffer[i - 1] == '\r' ? i - 1 : i;
                        String line;
                        if (partial == null) {
                            line = new String(buffer, position, end - position, StandardCharsets.ISO_8859_1);
                        } else {
                            partial.write(buffer, position, end - position);
                            byte[] bytes = partial.toByteArray();
                            int length = bytes.length;
                            if (end == i && length > 0 && bytes[length - 1] == '\r') {
                                length--; // the CR came at the end of the previous buffer
                            }
                            line = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
                        }
                        consumed += i + 1 - position;
                        position = i + 1;
                        return line;
                    }
                }
                if (partial == null) {
                    partial = new ByteArrayOutputStream();
                }
                partial.write(buffer, position, limit - position);
                consumed += limit - position;
                position = limit;
                if (partial.size() > MAX_LINE) {
                    throw new IOException("a line longer than " + MAX_LINE + " bytes");
                }
            }
        }

        /** Whether a line could be read without waiting (for flushing replies to pipelined commands only once). */
        boolean ready() throws IOException {
            return position < limit || in.available() > 0;
        }

        long consumed() {
            return consumed;
        }
    }

    /** An SMTP reply: its code and text lines (without the code). */
    record Reply(int code, List<String> lines) {
        Reply {
            lines = List.copyOf(lines);
        }

        boolean positive() {
            return code >= 200 && code < 400;
        }

        boolean transientFailure() {
            return code >= 400 && code < 500;
        }

        String text() {
            return code + " " + String.join(" / ", lines);
        }

        /** Reads one reply, its continuation lines ({@code 250-...}) included; an empty stream is an IOException. */
        static Reply read(Lines in) throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("the connection closed" + (lines.isEmpty() ? "" : " in the middle of a reply: " + lines));
                }
                if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1)) || !Character.isDigit(line.charAt(2))
                        || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                    throw new IOException("not an SMTP reply line: " + Json.abbreviate(line));
                }
                int code = Integer.parseInt(line.substring(0, 3));
                lines.add(line.length() > 4 ? line.substring(4) : "");
                if (line.length() == 3 || line.charAt(3) == ' ') {
                    return new Reply(code, lines);
                }
            }
        }
    }

    /** The envelope sender and Message-ID of the benchmark's message {@code index} in run {@code run} (a short tag: letters, digits, dashes). */
    static String messageId(String run, long index) {
        return "bench-" + run + "-" + index + "@" + DOMAIN;
    }

    /** The inverse of {@link #messageId}: the run and index, or null for a Message-ID that is not the benchmark's. */
    static Map.Entry<String, Long> parseMessageId(String id) {
        if (id == null) {
            return null;
        }
        String bare = id.strip();
        if (bare.startsWith("<") && bare.endsWith(">")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        String suffix = "@" + DOMAIN;
        if (!bare.startsWith("bench-") || !bare.endsWith(suffix)) {
            return null;
        }
        String middle = bare.substring("bench-".length(), bare.length() - suffix.length());
        int dash = middle.lastIndexOf('-');
        if (dash <= 0) {
            return null;
        }
        try {
            return Map.entry(middle.substring(0, dash), Long.parseLong(middle.substring(dash + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The header block of a test message (each field CRLF-terminated, then the empty line). */
    static byte[] header(String id, String from, String to, ZonedDateTime date) {
        String text = "From: <" + from + ">\r\n"
                + "To: <" + to + ">\r\n"
                + "Subject: letterlock bench " + id + "\r\n"
                + "Date: " + date.withZoneSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)) + "\r\n"
                + "Message-ID: <" + id + ">\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "Content-Transfer-Encoding: 7bit\r\n"
                + "\r\n";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes a body of exactly {@code length} bytes: lines of {@value #BODY_LINE} characters and CRLF, each starting with
     * its number (so no line starts with a dot and none is like another), the last line cut short; always ending in CRLF
     * when at least 2 bytes long.
     */
    static void writeBody(OutputStream out, long length) throws IOException {
        byte[] line = new byte[BODY_LINE + 2];
        long written = 0;
        long number = 1;
        while (written < length) {
            int size = (int) Math.min(line.length, length - written);
            fillLine(line, number++);
            if (size == line.length) {
                out.write(line);
            } else if (size >= 2) {
                out.write(line, 0, size - 2);
                out.write(CRLF);
            } else {
                out.write('\n');
            }
            written += size;
        }
    }

    private static void fillLine(byte[] line, long number) {
        byte[] digits = Long.toString(number).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, line, 0, digits.length);
        for (int i = digits.length; i < BODY_LINE; i++) {
            line[i] = (byte) ('A' + (int) ((number + i) % 26));
        }
        line[BODY_LINE] = '\r';
        line[BODY_LINE + 1] = '\n';
    }

    /** The body {@link #writeBody} writes, in memory. */
    static byte[] body(int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        try {
            writeBody(out, length);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** SHA-256 of the body {@link #writeBody} writes, computed as it is written. */
    static byte[] bodyDigest(long length) {
        MessageDigest digest = sha256();
        try {
            writeBody(new OutputStream() {
                @Override
                public void write(int b) {
                    digest.update((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    digest.update(b, off, len);
                }
            }, length);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return digest.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The header fields of a message, names in lower case, folded lines joined (first occurrence kept), read up to the
     * empty line.
     */
    static Map<String, String> headerFields(List<String> headerLines) {
        Map<String, String> fields = new LinkedHashMap<>();
        String name = null;
        StringBuilder value = null;
        for (String line : headerLines) {
            if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && name != null) {
                value.append(' ').append(line.strip());
                continue;
            }
            if (name != null) {
                fields.putIfAbsent(name, value.toString().strip());
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                name = null;
                continue;
            }
            name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            value = new StringBuilder(line.substring(colon + 1));
        }
        if (name != null) {
            fields.putIfAbsent(name, value.toString().strip());
        }
        return fields;
    }

    /** The address inside {@code MAIL FROM:<addr> PARAMS} or {@code RCPT TO:<addr>}, or what follows the colon when there are no brackets. */
    static String pathArgument(String command) {
        int colon = command.indexOf(':');
        if (colon < 0) {
            return "";
        }
        String rest = command.substring(colon + 1).strip();
        if (rest.startsWith("<")) {
            int close = rest.indexOf('>');
            return close < 0 ? rest.substring(1) : rest.substring(1, close);
        }
        int space = rest.indexOf(' ');
        return space < 0 ? rest : rest.substring(0, space);
    }

    /**
     * Waits until 127.0.0.1:{@code port} greets with 220 (then says QUIT), or fails after {@code limit} with the last
     * thing it saw.
     */
    static void awaitGreeting(int port, java.time.Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "nothing";
        while (true) {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1000);
                socket.setSoTimeout(5000);
                Lines in = new Lines(socket.getInputStream());
                Reply greeting = Reply.read(in);
                socket.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                if (greeting.code() == 220) {
                    return;
                }
                last = greeting.text();
            } catch (IOException e) {
                last = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nothing greeted with 220 on 127.0.0.1:" + port + " within " + limit.toSeconds() + " s (last: " + last + ")");
            }
            Thread.sleep(100);
        }
    }
}
