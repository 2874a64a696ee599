package org.letterlock.mail.robustness;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Messages as mail programs write them and as broken or hostile ones do: folded and 8-bit header fields, NULs, bare LF
 * and CR, a missing blank line, lines far past 998 octets, a flood of Received lines, multipart bodies with broken
 * boundaries, Content-Type parameters no parser expects, and then random damage on top. Each comes from a seed, so a
 * failing case is made again from its seed alone.
 */
final class RandomMessages {
    private static final String[] NAMES = {"Subject", "From", "To", "Cc", "Date", "Message-ID", "References", "In-Reply-To", "Reply-To", "Received",
            "Return-Path", "DKIM-Signature", "Authentication-Results", "MIME-Version", "Content-Transfer-Encoding", "List-Id", "X-Mailer", "HP-Outer",
            "subject", "FROM", "X-" + "Long".repeat(30)};
    private static final String[] MEDIA_TYPES = {"text/plain", "TEXT/HTML", "multipart/mixed", "multipart/alternative", "Multipart/Related",
            "multipart/encrypted", "application/pkcs7-mime", "message/rfc822", "", "garbage", "text/", "/plain"};
    private static final String[] PARAMETERS = {"charset=utf-8", "charset=\"iso-8859-1\"", "format=flowed", "charset=", "hp=\"clear\"", "HP = cipher",
            "hp=", "name*0*=utf-8''%E2%82%AC; name*1=\"x.txt\"", "", " ", "x=\"unterminated", "(comment) a=b", "smime-type=signed-data",
            "x=\"quoted; hp=inside\"", "protocol=\"application/pgp-encrypted\"", "a=\"esc\\\"aped; hp=no\"", "Ä=ö"};

    private final Random random;
    private String lineEnd = "\r\n";

    RandomMessages(long seed) {
        this.random = new Random(seed);
    }

    /**
     * The next message. It ends in CRLF, as every message DATA delivers does (the CRLF before the final dot is part of
     * the data); BDAT's chunks carry any bytes, so some end without one.
     */
    byte[] next() {
        lineEnd = switch (random.nextInt(10)) {
            case 0, 1 -> "\n";
            case 2 -> "\r";
            default -> "\r\n";
        };
        Bytes out = new Bytes();
        String boundary = boundary();
        boolean multipart = random.nextInt(3) == 0;
        int fields = random.nextInt(20);
        int contentTypeAt = random.nextInt(fields + 1);
        for (int i = 0; i <= fields; i++) {
            if (i == contentTypeAt && random.nextInt(6) > 0) {
                field(out, "Content-Type", contentType(multipart, boundary));
            }
            if (i < fields) {
                field(out, NAMES[random.nextInt(NAMES.length)], value());
            }
        }
        if (random.nextInt(12) == 0) {
            // Around the hop limit (50): a loop, or a long but honest path.
            int hops = 45 + random.nextInt(10);
            for (int i = 0; i < hops; i++) {
                field(out, i % 2 == 0 ? "Received" : "RECEIVED", ("from hop" + i + " by hop" + (i + 1)).getBytes(StandardCharsets.US_ASCII));
            }
        }
        if (random.nextInt(40) == 0) {
            // Past the gateway's 1 MiB header limit.
            for (int i = 0; i < 1400; i++) {
                field(out, "X-Flood", "a".repeat(800).getBytes(StandardCharsets.US_ASCII));
            }
        }
        if (random.nextInt(8) > 0) {
            out.text(lineEnd());
        }
        if (multipart) {
            multipartBody(out, boundary, 0);
        } else {
            textBody(out);
        }
        byte[] message = out.toByteArray();
        for (int damage = random.nextInt(4); damage > 0; damage--) {
            message = damage(message);
        }
        if (random.nextInt(10) > 0 && !endsWithCrlf(message)) {
            message = Arrays.copyOf(message, message.length + 2);
            message[message.length - 2] = '\r';
            message[message.length - 1] = '\n';
        }
        return message;
    }

    /** The message cut into pieces as the network might deliver it: mostly small, now and then large. */
    List<byte[]> chunks(byte[] message) {
        List<byte[]> chunks = new ArrayList<>();
        for (int start = 0; start < message.length; ) {
            int length = random.nextInt(4) == 0 ? 1 + random.nextInt(70_000) : 1 + random.nextInt(12);
            int end = Math.min(message.length, start + length);
            chunks.add(Arrays.copyOfRange(message, start, end));
            start = end;
        }
        return chunks;
    }

    private static boolean endsWithCrlf(byte[] message) {
        return message.length >= 2 && message[message.length - 2] == '\r' && message[message.length - 1] == '\n';
    }

    private String lineEnd() {
        return random.nextInt(20) == 0 ? new String[] {"\r\n", "\n", "\r"}[random.nextInt(3)] : lineEnd;
    }

    private void field(Bytes out, String name, byte[] value) {
        out.text(name + (random.nextInt(15) == 0 ? " :" : ":") + (random.nextInt(10) == 0 ? "" : " "));
        out.writeBytes(value);
        out.text(lineEnd());
    }

    /** A field value: words of every kind, folded now and then. */
    private byte[] value() {
        Bytes value = new Bytes();
        int words = random.nextInt(12);
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                value.text(random.nextInt(6) == 0 ? lineEnd() + (random.nextBoolean() ? " " : "\t") : " ");
            }
            value.writeBytes(word());
        }
        return value.toByteArray();
    }

    private byte[] word() {
        return switch (random.nextInt(14)) {
            case 0 -> "Grüße aus Köln".getBytes(StandardCharsets.UTF_8);
            case 1 -> "日本語".getBytes(StandardCharsets.UTF_8);
            case 2 -> new byte[] {'M', (byte) 0xFC, 'n', 'c', 'h', 'e', 'n'};
            case 3 -> "=?utf-8?B?R3LDvMOfZQ==?=".getBytes(StandardCharsets.US_ASCII);
            case 4 -> new byte[] {'n', 0, 'l'};
            case 5 -> new byte[] {(byte) (1 + random.nextInt(255))};
            case 6 -> new byte[] {'a', '\r', 'b'};
            case 7 -> "<alice@example.org>".getBytes(StandardCharsets.US_ASCII);
            case 8 -> "\"quoted; hp=x\"".getBytes(StandardCharsets.US_ASCII);
            case 9 -> "x".repeat(random.nextInt(1200)).getBytes(StandardCharsets.US_ASCII);
            case 10 -> new byte[] {(byte) 0xF0, (byte) 0x28, (byte) 0x8C};
            default -> ascii(1 + random.nextInt(12));
        };
    }

    private byte[] ascii(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_<>@:;=\"()";
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private String boundary() {
        return switch (random.nextInt(6)) {
            case 0 -> "";
            case 1 -> "a;hp=b";
            case 2 -> "=_" + "b".repeat(random.nextInt(100));
            case 3 -> "with space'()+_,-./:=?";
            default -> "b" + random.nextInt(1_000_000);
        };
    }

    private byte[] contentType(boolean multipart, String boundary) {
        Bytes value = new Bytes();
        value.text(multipart ? MEDIA_TYPES[2 + random.nextInt(3)] : MEDIA_TYPES[random.nextInt(MEDIA_TYPES.length)]);
        if (multipart) {
            value.text(random.nextBoolean() ? "; boundary=\"" + boundary + "\"" : ";" + lineEnd() + "\tboundary=" + boundary);
        }
        for (int i = random.nextInt(4); i > 0; i--) {
            value.text(";" + (random.nextInt(4) == 0 ? lineEnd() + " " : " ") + PARAMETERS[random.nextInt(PARAMETERS.length)]);
        }
        if (random.nextInt(8) == 0) {
            value.text(";");
        }
        return value.toByteArray();
    }

    private void textBody(Bytes out) {
        for (int lines = random.nextInt(40); lines > 0; lines--) {
            switch (random.nextInt(16)) {
                case 0 -> out.text(".");
                case 1 -> out.text("..double");
                case 2 -> out.text("Received: from a body line, not a hop");
                case 3 -> out.text("x".repeat(1000 + random.nextInt(random.nextInt(10) == 0 ? 200_000 : 5_000)));
                case 4 -> out.writeBytes(new byte[] {0, 0, 'n', 'u', 'l'});
                case 5 -> out.text("From the start of a line");
                default -> out.writeBytes(value());
            }
            out.text(lineEnd());
        }
    }

    private void multipartBody(Bytes out, String boundary, int depth) {
        if (random.nextBoolean()) {
            out.text("This is a preamble." + lineEnd());
        }
        for (int parts = random.nextInt(4); parts > 0; parts--) {
            String delimiter = switch (random.nextInt(8)) {
                case 0 -> "--" + boundary + "x";
                case 1 -> "-" + boundary;
                case 2 -> "--" + boundary + "   ";
                default -> "--" + boundary;
            };
            out.text(delimiter + lineEnd());
            boolean nested = depth < 2 && random.nextInt(4) == 0;
            String inner = boundary();
            field(out, "Content-Type", nested ? ("multipart/mixed; boundary=\"" + inner + "\"").getBytes(StandardCharsets.US_ASCII) : contentType(false, ""));
            if (random.nextBoolean()) {
                field(out, "Content-Transfer-Encoding", new String[] {"8bit", "7bit", "base64", "quoted-printable", "x-unknown"}[random.nextInt(5)]
                        .getBytes(StandardCharsets.US_ASCII));
            }
            out.text(lineEnd());
            if (nested) {
                multipartBody(out, inner, depth + 1);
            } else {
                textBody(out);
            }
        }
        if (random.nextInt(4) > 0) {
            out.text("--" + boundary + "--" + lineEnd());
        }
        if (random.nextBoolean()) {
            out.text("An epilogue." + lineEnd());
        }
    }

    /** One random harm: NULs, flipped bytes, a cut, a copied slice, a huge line, a lone dot line, or all line ends changed. */
    private byte[] damage(byte[] message) {
        int at = message.length == 0 ? 0 : random.nextInt(message.length + 1);
        return switch (random.nextInt(7)) {
            case 0 -> insert(message, at, new byte[random.nextInt(3) + 1]);
            case 1 -> {
                byte[] flipped = message.clone();
                for (int i = random.nextInt(8); i > 0 && flipped.length > 0; i--) {
                    flipped[random.nextInt(flipped.length)] = (byte) random.nextInt(256);
                }
                yield flipped;
            }
            case 2 -> Arrays.copyOf(message, at);
            case 3 -> insert(message, at, Arrays.copyOfRange(message, random.nextInt(at + 1), at));
            case 4 -> insert(message, at, ("\r\n" + "y".repeat(60_000 + random.nextInt(200_000)) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            case 5 -> insert(message, at, "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            default -> new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n").replace("\n", random.nextBoolean() ? "\r" : "\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        };
    }

    private static byte[] insert(byte[] message, int at, byte[] inserted) {
        byte[] result = new byte[message.length + inserted.length];
        System.arraycopy(message, 0, result, 0, at);
        System.arraycopy(inserted, 0, result, at, inserted.length);
        System.arraycopy(message, at, result, at + inserted.length, message.length - at);
        return result;
    }

    /** A byte buffer that also takes text (as UTF-8). */
    private static final class Bytes extends ByteArrayOutputStream {
        void text(String text) {
            writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
