package org.letterlock.enroll.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One request to the enrollment listener, as the protocol handlers read and answer it: the body read up to a limit,
 * the client's TLS certificate, HTTP Basic credentials, and answers with their exact media types.
 */
public final class EnrollExchange {
    private final HttpExchange exchange;

    public EnrollExchange(HttpExchange exchange) {
        this.exchange = exchange;
    }

    /** HTTP Basic user and password, when sent. */
    public record BasicCredentials(String user, char[] password) {
    }

    /** Thrown when a body is larger than its protocol allows: answered 413 by whoever catches it. */
    public static final class TooLarge extends IOException {
        TooLarge(int limit) {
            super("the request body is larger than " + limit + " bytes");
        }
    }

    public HttpExchange raw() {
        return exchange;
    }

    /** The client's address as the failure counts and their audit records name it (for IPv6, its /64). */
    public String client() {
        return org.letterlock.platform.web.ClientAddresses.countedAs(exchange.getRemoteAddress().getAddress()).getHostAddress();
    }

    public String method() {
        return exchange.getRequestMethod();
    }

    /** The request path, without the query. */
    public String path() {
        return exchange.getRequestURI().getRawPath();
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    /** The media type of the body, lower case, without parameters. */
    public String contentType() {
        return header("Content-Type").map(type -> type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT)).orElse("");
    }

    /** The whole body, refused past {@code limit} bytes before more is read. */
    public byte[] body(int limit) throws IOException {
        byte[] body = exchange.getRequestBody().readNBytes(limit + 1);
        if (body.length > limit) {
            throw new TooLarge(limit);
        }
        return body;
    }

    /**
     * Reads and drops what is left of the request body (up to 16 MiB); true when it ended. The JDK server drains an
     * unread body only after the answer has gone out: by then a keep-alive client may have sent its next request, and
     * the drain pulls that request's bytes off the connection, where nothing reads them again (the client sees the
     * connection close 30 s later). A body that does not end here means the connection cannot be reused.
     */
    private boolean discardBody() {
        // Read, not skip: the JDK server's body stream passes skip() to the connection, past the body's end.
        try (InputStream in = exchange.getRequestBody()) {
            // Most answers come after the handler read the whole body: no buffer for those.
            if (in.read() < 0) {
                return true;
            }
            byte[] buffer = new byte[64 * 1024];
            long left = 16L * 1024 * 1024 - 1;
            int n = 0;
            while (left > 0 && (n = in.read(buffer)) >= 0) {
                left -= n;
            }
            return n < 0;
        } catch (IOException e) {
            // The client went away or sent less than it announced: nothing is left to protect.
            return false;
        }
    }

    /** The certificate the client authenticated with in the TLS handshake, if it sent one. */
    public Optional<X509Certificate> clientCertificate() {
        if (!(exchange instanceof HttpsExchange https)) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = https.getSSLSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? Optional.of(leaf) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** HTTP Basic credentials (RFC 7617, UTF-8), when the request carries well-formed ones. */
    public Optional<BasicCredentials> basicCredentials() {
        Optional<String> authorization = header("Authorization");
        if (authorization.isEmpty() || !authorization.get().regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.get().substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? Optional.empty() : Optional.of(new BasicCredentials(decoded.substring(0, colon), decoded.substring(colon + 1).toCharArray()));
    }

    public void setHeader(String name, String value) {
        exchange.getResponseHeaders().set(name, value);
    }

    public void addHeader(String name, String value) {
        exchange.getResponseHeaders().add(name, value);
    }

    /** Answers {@code status} with {@code body} of {@code contentType} (none for an empty body) and closes the exchange. */
    public void respond(int status, String contentType, byte[] body) throws IOException {
        if (!discardBody()) {
            exchange.getResponseHeaders().set("Connection", "close");
        }
        if (body.length > 0) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (method().equals("HEAD")) {
            // The length the GET would have; the JDK server sends no body for HEAD and fails a write of one.
            if (body.length > 0) {
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Answers with a plain-text message: the error form EST (RFC 7030 4.2.3) and this listener's other refusals use. */
    public void respondText(int status, String message) throws IOException {
        respond(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
