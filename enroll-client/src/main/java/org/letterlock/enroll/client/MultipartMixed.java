package org.letterlock.enroll.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The multipart/mixed body of an EST serverkeygen answer (RFC 7030 4.4.2): its parts' content types and bodies. */
final class MultipartMixed {
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);

    private MultipartMixed() {
    }

    record Part(String contentType, String body) {
    }

    static List<Part> parse(String contentType, byte[] body) throws IOException {
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("multipart/mixed")) {
            throw new IOException("expected multipart/mixed, got '" + contentType + "'");
        }
        Matcher boundary = BOUNDARY.matcher(contentType);
        if (!boundary.find()) {
            throw new IOException("multipart/mixed without a boundary");
        }
        String delimiter = "--" + boundary.group(1);
        String text = new String(body, StandardCharsets.US_ASCII);
        List<Part> parts = new ArrayList<>();
        String[] chunks = text.split(Pattern.quote(delimiter));
        // The first chunk is the preamble; the last starts with "--" (the close delimiter).
        for (int i = 1; i < chunks.length; i++) {
            String chunk = chunks[i];
            if (chunk.startsWith("--")) {
                break;
            }
            int end = chunk.indexOf("\r\n\r\n");
            int separator = 4;
            if (end < 0) {
                end = chunk.indexOf("\n\n");
                separator = 2;
            }
            if (end < 0) {
                throw new IOException("a multipart part without a blank line after its headers");
            }
            String type = "";
            for (String header : chunk.substring(0, end).split("\r?\n")) {
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Type")) {
                    type = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                }
            }
            parts.add(new Part(type, chunk.substring(end + separator).strip()));
        }
        return parts;
    }
}
