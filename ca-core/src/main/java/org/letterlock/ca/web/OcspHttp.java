package org.letterlock.ca.web;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.letterlock.ca.OcspResponder;
import org.letterlock.platform.Sha256;

/** What both OCSP adapters (the servlet and the dedicated listener) share: reading the GET form, the response headers. */
final class OcspHttp {
    static final String REQUEST_TYPE = "application/ocsp-request";
    static final String RESPONSE_TYPE = "application/ocsp-response";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private OcspHttp() {
    }

    /** The DER request of an RFC 5019 GET: base64 (or base64url), URL-encoded, after {@code /ocsp/}; empty if it is not that. */
    static Optional<byte[]> getRequest(String rawPath) {
        int at = rawPath.indexOf("/ocsp/");
        if (at < 0) {
            return Optional.empty();
        }
        try {
            // Percent-decoding only: a '+' left unescaped by the client is base64's, not a form-encoded space.
            String encoded = URLDecoder.decode(rawPath.substring(at + "/ocsp/".length()).replace("+", "%2B"), StandardCharsets.US_ASCII);
            return Optional.of(Base64.getDecoder().decode(encoded.replace('-', '+').replace('_', '/').trim()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static boolean isRequestType(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith(REQUEST_TYPE);
    }

    /** RFC 5019 section 6: cacheable GET answers carry their validity in HTTP caching headers; the rest must not be cached. */
    static Map<String, String> headers(OcspResponder.Answer answer, boolean cacheable) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", RESPONSE_TYPE);
        if (cacheable && answer.nextUpdate().isPresent()) {
            Instant now = Instant.now();
            long maxAge = Math.max(0, Duration.between(now, answer.nextUpdate().get()).toSeconds());
            headers.put("Cache-Control", "max-age=" + maxAge + ", public, no-transform, must-revalidate");
            headers.put("Last-Modified", HTTP_DATE.format(answer.thisUpdate().orElse(now)));
            headers.put("Expires", HTTP_DATE.format(answer.nextUpdate().get()));
            headers.put("ETag", "\"" + Sha256.hex(answer.der()).substring(0, 32) + "\"");
        } else {
            headers.put("Cache-Control", "no-store");
        }
        return headers;
    }
}
