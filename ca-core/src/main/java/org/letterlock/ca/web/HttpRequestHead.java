package org.letterlock.ca.web;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The head of one HTTP/1.1 request (RFC 9112) as the OCSP listener reads it off the wire: the request line and the few
 * fields it acts on. Strict where a lenient reading could be abused (request smuggling through duplicate or signed
 * lengths, a transfer coding, folded fields), so anything unclear is refused with the status that names it.
 *
 * @param path the target's path, without query; an absolute-form target is reduced to its path
 * @param contentLength the body's length, 0 without Content-Length
 * @param keepAlive whether the connection stays open after the answer (HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive")
 * @param length the head's length in bytes, up to and including the empty line
 */
record HttpRequestHead(String method, String path, boolean http10, int contentLength, String contentType, boolean keepAlive, boolean expectContinue, int length) {
    private static final Pattern DIGITS = Pattern.compile("\\d{1,9}");
    private static final Pattern LINE_END = Pattern.compile("\r?\n");

    /** A request that cannot be served, with the status and one-line reason to answer before closing the connection. */
    static final class Refused extends Exception {
        private final int status;

        Refused(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    /**
     * Reads a head from {@code bytes[0, end)}; null while it is incomplete. A head longer than {@code maxLength} is
     * refused (431) as soon as that many bytes have come without its end, a body over {@code maxBody} with 413.
     */
    static HttpRequestHead read(byte[] bytes, int end, int maxLength, int maxBody) throws Refused {
        int start = 0;
        // RFC 9112 2.2: empty lines before the request line are ignored.
        while (start < end && (bytes[start] == '\r' || bytes[start] == '\n')) {
            start++;
        }
        int headEnd = endOfHead(bytes, start, Math.min(end, start + maxLength));
        if (headEnd < 0) {
            if (end - start >= maxLength) {
                throw new Refused(431, "request head over " + maxLength + " bytes");
            }
            return null;
        }
        // The head ends in an empty line; split drops the trailing empty strings it leaves.
        for (int i = start; i < headEnd; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] != '\n') {
                // RFC 9112 2.2: a bare CR could end a line for a proxy in front and not here, and the two would read different requests.
                throw new Refused(400, "bare CR in the request head");
            }
        }
        String[] lines = LINE_END.split(new String(bytes, start, headEnd - start, StandardCharsets.ISO_8859_1));
        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || !isToken(requestLine[0]) || requestLine[1].isEmpty()) {
            throw new Refused(400, "malformed request line");
        }
        boolean http10;
        switch (requestLine[2]) {
            case "HTTP/1.1" -> http10 = false;
            case "HTTP/1.0" -> http10 = true;
            default -> throw requestLine[2].matches("HTTP/\\d(\\.\\d)?") ? new Refused(505, "HTTP/1.1 and HTTP/1.0 only") : new Refused(400, "malformed HTTP version");
        }
        String path = path(requestLine[1]);
        int contentLength = 0;
        boolean sawLength = false;
        String contentType = null;
        boolean close = false;
        boolean keepAliveAsked = false;
        boolean expectContinue = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon))) {
                throw new Refused(400, line.isEmpty() || line.charAt(0) == ' ' || line.charAt(0) == '\t' ? "folded header field" : "malformed header field");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "content-length" -> {
                    if (!DIGITS.matcher(value).matches() || sawLength && Integer.parseInt(value) != contentLength) {
                        throw new Refused(400, "malformed or conflicting Content-Length");
                    }
                    sawLength = true;
                    contentLength = Integer.parseInt(value);
                }
                case "transfer-encoding" -> throw new Refused(411, "send the request with Content-Length, not a transfer coding");
                case "content-type" -> contentType = value;
                case "connection" -> {
                    for (String option : value.toLowerCase(Locale.ROOT).split(",")) {
                        close |= option.strip().equals("close");
                        keepAliveAsked |= option.strip().equals("keep-alive");
                    }
                }
                case "expect" -> {
                    if (!value.equalsIgnoreCase("100-continue")) {
                        throw new Refused(417, "only Expect: 100-continue is understood");
                    }
                    expectContinue = !http10;
                }
                default -> {
                }
            }
        }
        if (contentLength > maxBody) {
            throw new Refused(413, "request body over " + maxBody + " bytes");
        }
        boolean keepAlive = !close && (!http10 || keepAliveAsked);
        return new HttpRequestHead(requestLine[0], path, http10, contentLength, contentType, keepAlive, expectContinue, headEnd);
    }

    /** The index just past the empty line that ends the head (CRLF CRLF, or bare LFs), or -1. */
    private static int endOfHead(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                if (i + 1 < to && bytes[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < to && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    private static String path(String target) throws Refused {
        String path = target;
        if (!path.startsWith("/")) {
            // Absolute form (RFC 9112 3.2.2), as a proxy would send it.
            int scheme = path.indexOf("://");
            int slash = scheme < 0 ? -1 : path.indexOf('/', scheme + 3);
            if (scheme < 0 || !path.substring(0, scheme).matches("(?i)https?")) {
                throw new Refused(400, "malformed request target");
            }
            path = slash < 0 ? "/" : path.substring(slash);
        }
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 127 || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }
}
