package org.letterlock.ca.web;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.letterlock.ca.OcspResponder;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.Sha256;

/**
 * The OCSP responder over HTTP (RFC 6960 appendix A, RFC 5019): POST with an application/ocsp-request body, or GET
 * with the base64 request in the path. A plain servlet, not JAX-RS: this is the hottest path of the server. Every
 * answer is an OCSP response, errors included (malformedRequest, unauthorized, tryLater), with HTTP 200.
 */
@WebServlet(urlPatterns = {"/ocsp", "/ocsp/*"}, asyncSupported = false)
public class OcspServlet extends HttpServlet {
    private static final String RESPONSE_TYPE = "application/ocsp-response";

    @Inject
    CaRuntime runtime;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI();
        int at = path.indexOf("/ocsp/");
        byte[] der;
        try {
            String encoded = URLDecoder.decode(path.substring(at + "/ocsp/".length()), StandardCharsets.US_ASCII);
            der = Base64.getDecoder().decode(encoded.replace('-', '+').replace('_', '/').trim());
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            send(response, OcspResponder.malformed("not base64"), false);
            return;
        }
        send(response, answer(der), true);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String type = request.getContentType();
        if (type == null || !type.toLowerCase().startsWith("application/ocsp-request")) {
            response.setStatus(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE);
            response.setContentType("text/plain");
            response.getWriter().println("send an OCSP request as Content-Type: application/ocsp-request");
            return;
        }
        byte[] der;
        try (InputStream body = request.getInputStream()) {
            der = body.readNBytes(OcspResponder.MAX_REQUEST_BYTES + 1);
        }
        send(response, answer(der), false);
    }

    private OcspResponder.Answer answer(byte[] der) {
        try {
            return runtime.ca().ocsp().respond(der);
        } catch (LetterlockException e) {
            // Not started yet: RFC 6960 tryLater.
            return OcspResponder.tryLater(e.getMessage());
        }
    }

    /** RFC 5019 section 6: cacheable GET answers carry their validity in HTTP caching headers. */
    private static void send(HttpServletResponse response, OcspResponder.Answer answer, boolean cacheable) throws IOException {
        response.setContentType(RESPONSE_TYPE);
        response.setContentLength(answer.der().length);
        if (cacheable && answer.nextUpdate().isPresent()) {
            Instant now = Instant.now();
            long maxAge = Math.max(0, Duration.between(now, answer.nextUpdate().get()).toSeconds());
            response.setHeader("Cache-Control", "max-age=" + maxAge + ", public, no-transform, must-revalidate");
            response.setDateHeader("Last-Modified", answer.thisUpdate().orElse(now).toEpochMilli());
            response.setDateHeader("Expires", answer.nextUpdate().get().toEpochMilli());
            response.setHeader("ETag", "\"" + Sha256.hex(answer.der()).substring(0, 32) + "\"");
        } else {
            response.setHeader("Cache-Control", "no-store");
        }
        response.getOutputStream().write(answer.der());
    }
}
