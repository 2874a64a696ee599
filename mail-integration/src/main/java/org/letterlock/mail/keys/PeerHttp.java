package org.letterlock.mail.keys;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * HTTP/1.1 to the peers key resolution asks: WKD and HKP servers, OCSP responders, CRL distribution points. One
 * request per connection; names resolved by the injected {@link PeerAddresses} (the JDK's HttpClient takes no resolver
 * before Java 18); HTTPS with the injected SSLContext, the server's certificate checked against the host name of the
 * URL; one deadline for the whole exchange and a cap on the answer. No redirects are followed: a key or a
 * revocation answer comes from the URL asked or not at all.
 *
 * <p>Errors are typed by what the caller should do: {@link ErrorType#NOT_FOUND} when the host name has no address
 * (Java cannot tell a name that does not exist from a DNS server that failed), {@link ErrorType#UNAVAILABLE} when
 * the peer could not be reached or failed mid-answer (ask again later), {@link ErrorType#BAD_REQUEST} when its answer
 * cannot be used (over the size cap: asking again gives the same).
 */
public final class PeerHttp {
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final SSLContext tls;
    private final PeerAddresses addresses;
    private final PeerLimits limits;

    /** @param tls trusts the CAs whose servers may be asked over HTTPS (the system's, or a test CA) */
    public PeerHttp(SSLContext tls, PeerAddresses addresses, PeerLimits limits) {
        this.tls = tls;
        this.addresses = addresses;
        this.limits = limits;
    }

    /** An answer: its status, and its body when the status is 200 (no other answer's body is read). */
    public record Answer(int status, byte[] body) {

        /** A status that may change if asked again: server errors, 408 and 429. */
        public boolean temporary() {
            return status >= 500 || status == 408 || status == 429;
        }
    }

    /** Whether {@code host} has an address for HTTPS (WKD's advanced method is used only where its sub-domain exists). */
    public boolean hasAddress(String host) {
        try {
            return !addresses.resolve(host, 443).isEmpty();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public Answer get(URI uri, String accept) {
        return exchange("GET", uri, accept, Optional.empty(), new byte[0]);
    }

    public Answer post(URI uri, String accept, String contentType, byte[] body) {
        return exchange("POST", uri, accept, Optional.of(contentType), body);
    }

    private Answer exchange(String method, URI uri, String accept, Optional<String> contentType, byte[] body) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("https") && !scheme.equals("http")) || uri.getHost() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, uri + " is not an http or https URL with a host");
        }
        boolean overTls = scheme.equals("https");
        int port = uri.getPort() >= 0 ? uri.getPort() : overTls ? 443 : 80;
        long deadline = System.nanoTime() + limits.answerTimeout().toNanos();
        try (Socket socket = connect(uri.getHost(), port, overTls, deadline)) {
            OutputStream out = socket.getOutputStream();
            out.write(request(method, uri, port, overTls, accept, contentType, body));
            out.write(body);
            out.flush();
            return read(new BufferedInputStream(new DeadlineInput(socket, deadline)));
        } catch (SocketTimeoutException e) {
            throw unavailable("no complete answer within " + limits.answerTimeout().toSeconds() + " s");
        } catch (IOException e) {
            throw unavailable(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /** The first address that accepts, with TLS on top when asked; the handshake checks the certificate and the name. */
    private Socket connect(String host, int port, boolean overTls, long deadline) throws IOException {
        List<InetSocketAddress> targets;
        try {
            targets = addresses.resolve(host, port);
        } catch (UnknownHostException e) {
            throw new LetterlockException(ErrorType.NOT_FOUND, "no address for " + host);
        }
        if (targets.isEmpty()) {
            throw new LetterlockException(ErrorType.NOT_FOUND, "no address for " + host);
        }
        IOException last = null;
        for (InetSocketAddress target : targets) {
            Socket socket = new Socket();
            try {
                socket.connect(target, (int) Math.max(1, Math.min(limits.connectTimeout().toMillis(), remainingMillis(deadline))));
                socket.setSoTimeout((int) Math.max(1, remainingMillis(deadline)));
                if (!overTls) {
                    return socket;
                }
                SSLSocket secured = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
                SSLParameters parameters = secured.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secured.setSSLParameters(parameters);
                secured.startHandshake();
                return secured;
            } catch (IOException e) {
                socket.close();
                last = e;
            }
        }
        throw last;
    }

    private static byte[] request(String method, URI uri, int port, boolean overTls, String accept, Optional<String> contentType, byte[] body) {
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()) + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        boolean defaultPort = port == (overTls ? 443 : 80);
        StringBuilder head = new StringBuilder().append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(defaultPort ? "" : ":" + port).append("\r\n")
                .append("User-Agent: Letterlock key resolution\r\n")
                .append("Accept: ").append(accept).append("\r\n")
                .append("Connection: close\r\n");
        contentType.ifPresent(type -> head.append("Content-Type: ").append(type).append("\r\nContent-Length: ").append(body.length).append("\r\n"));
        return head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private Answer read(InputStream in) throws IOException {
        Counter headerBytes = new Counter();
        String statusLine = line(in, headerBytes);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
            throw unavailable("not an HTTP/1.x answer: " + printable(statusLine));
        }
        int status = Integer.parseInt(parts[1]);
        if (status != 200) {
            // Nothing a key lookup uses comes with another status; an error page over the size cap must not turn a 503 into a refusal.
            return new Answer(status, new byte[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in, headerBytes); !header.isEmpty(); header = line(in, headerBytes)) {
            int colon = header.indexOf(':');
            if (colon > 0) {
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
        }
        byte[] body;
        if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in, headerBytes);
        } else if (headers.containsKey("content-length")) {
            long length = parseLength(headers.get("content-length"));
            if (length > limits.maxAnswerBytes()) {
                throw tooLarge();
            }
            body = in.readNBytes((int) length);
            if (body.length < length) {
                throw unavailable("the answer ended after " + body.length + " of " + length + " bytes");
            }
        } else {
            body = in.readNBytes(limits.maxAnswerBytes() + 1);
            if (body.length > limits.maxAnswerBytes()) {
                throw tooLarge();
            }
        }
        return new Answer(status, body);
    }

    /** RFC 9112 7.1: chunk sizes in hex, extensions ignored, trailers read and dropped. */
    private byte[] chunked(InputStream in, Counter lineBytes) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in, lineBytes);
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
            if (!hex.matches("[0-9A-Fa-f]{1,8}")) {
                throw unavailable("a broken chunk size: " + printable(sizeLine));
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                skipTrailers(in, lineBytes);
                return body.toByteArray();
            }
            if (body.size() + size > limits.maxAnswerBytes()) {
                throw tooLarge();
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw unavailable("the answer ended inside a chunk");
            }
            body.write(chunk);
            line(in, lineBytes);
        }
    }

    /** Trailer fields carry nothing a key lookup needs; they are read up to the empty line that ends the answer. */
    private static void skipTrailers(InputStream in, Counter lineBytes) throws IOException {
        String trailer;
        do {
            trailer = line(in, lineBytes);
        } while (!trailer.isEmpty());
    }

    private static final class Counter {
        int bytes;
    }

    /** One CRLF-terminated line (ISO-8859-1), the header section and chunk lines together capped. */
    private static String line(InputStream in, Counter counter) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed in the middle of a line");
            }
            if (++counter.bytes > MAX_HEADER_BYTES) {
                throw new IOException("more than " + MAX_HEADER_BYTES + " bytes of header and chunk lines");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }

    private static long parseLength(String value) {
        if (!value.matches("\\d{1,12}")) {
            throw unavailable("a broken Content-Length: " + printable(value));
        }
        return Long.parseLong(value);
    }

    private static String printable(String text) {
        String cut = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private LetterlockException tooLarge() {
        return new LetterlockException(ErrorType.BAD_REQUEST, "the answer is over " + limits.maxAnswerBytes() + " bytes");
    }

    private static LetterlockException unavailable(String why) {
        return new LetterlockException(ErrorType.UNAVAILABLE, why);
    }

    private static long remainingMillis(long deadline) {
        return (deadline - System.nanoTime()) / 1_000_000;
    }

    /** Reads that give up at the exchange's deadline, however slowly the peer trickles its bytes. */
    private static final class DeadlineInput extends FilterInputStream {
        private final Socket socket;
        private final long deadline;

        DeadlineInput(Socket socket, long deadline) throws IOException {
            super(socket.getInputStream());
            this.socket = socket;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            armTimeout();
            return super.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            armTimeout();
            return super.read(buffer, offset, length);
        }

        private void armTimeout() throws IOException {
            long remaining = remainingMillis(deadline);
            if (remaining <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) remaining);
        }
    }
}
