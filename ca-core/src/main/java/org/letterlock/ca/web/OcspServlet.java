package org.letterlock.ca.web;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.letterlock.ca.OcspResponder;
import org.letterlock.platform.error.LetterlockException;

/**
 * The OCSP responder over HTTP (RFC 6960 appendix A, RFC 5019) on the main HTTP port: POST with an
 * application/ocsp-request body, or GET with the base64 request in the path. A plain servlet, not JAX-RS: this is the
 * hottest path of the server. Every answer is an OCSP response, errors included (malformedRequest, unauthorized,
 * tryLater), with HTTP 200. {@link OcspListener} serves the same on a port of its own, faster.
 */
@WebServlet(urlPatterns = {"/ocsp", "/ocsp/*"})
public class OcspServlet extends HttpServlet {

    @Inject
    CaRuntime runtime;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        OcspResponder.Answer answer = OcspHttp.getRequest(request.getRequestURI()).map(this::answer).orElseGet(() -> OcspResponder.malformed("not base64"));
        send(response, answer, true);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!OcspHttp.isRequestType(request.getContentType())) {
            response.setStatus(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE);
            response.setContentType("text/plain");
            response.getWriter().println("send an OCSP request as Content-Type: " + OcspHttp.REQUEST_TYPE);
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

    private static void send(HttpServletResponse response, OcspResponder.Answer answer, boolean cacheable) throws IOException {
        for (Map.Entry<String, String> header : OcspHttp.headers(answer, cacheable).entrySet()) {
            response.setHeader(header.getKey(), header.getValue());
        }
        response.setContentLength(answer.der().length);
        response.getOutputStream().write(answer.der());
    }
}
