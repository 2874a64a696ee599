package org.letterlock.ca.web;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.OcspResponder;
import org.letterlock.platform.web.PortListener;

/**
 * OCSP on a port of its own, served by the JDK's HTTP server ({@code com.sun.net.httpserver}) rather than the servlet
 * container: the same answers as {@code /ocsp} on the main port at about twice the rate, because an OCSP request
 * needs none of the container's request machinery. Only {@code GET /ocsp/<request>} and {@code POST /ocsp}; anything
 * else is a 404, 405 or 415 with a one-line reason.
 */
public final class OcspListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OcspListener.class.getName());

    private final PortListener listener;

    private OcspListener(PortListener listener) {
        this.listener = listener;
    }

    /** Binds and starts; {@code responder} is asked per request so a listener outlives nothing it serves. */
    public static OcspListener start(InetSocketAddress address, Supplier<OcspResponder> responder) throws IOException {
        return new OcspListener(PortListener.start(address, "ocsp", Map.of("/ocsp", exchange -> handle(exchange, responder))));
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    private static void handle(HttpExchange exchange, Supplier<OcspResponder> responder) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (method.equals("GET")) {
                OcspResponder.Answer answer = OcspHttp.getRequest(exchange.getRequestURI().getRawPath()).map(der -> responder.get().respond(der))
                        .orElseGet(() -> OcspResponder.malformed("not base64"));
                send(exchange, answer, true);
            } else if (method.equals("POST")) {
                if (!OcspHttp.isRequestType(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                    text(exchange, 415, "send an OCSP request as Content-Type: " + OcspHttp.REQUEST_TYPE);
                    return;
                }
                byte[] der;
                try (InputStream body = exchange.getRequestBody()) {
                    der = body.readNBytes(OcspResponder.MAX_REQUEST_BYTES + 1);
                }
                send(exchange, responder.get().respond(der), false);
            } else {
                exchange.getResponseHeaders().set("Allow", "GET, POST");
                text(exchange, 405, "OCSP takes GET /ocsp/<request> and POST /ocsp");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "OCSP listener failed on a request", e);
        }
    }

    private static void send(HttpExchange exchange, OcspResponder.Answer answer, boolean cacheable) throws IOException {
        for (Map.Entry<String, String> header : OcspHttp.headers(answer, cacheable).entrySet()) {
            exchange.getResponseHeaders().set(header.getKey(), header.getValue());
        }
        exchange.sendResponseHeaders(200, answer.der().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer.der());
        }
    }

    private static void text(HttpExchange exchange, int status, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        listener.close();
    }
}
