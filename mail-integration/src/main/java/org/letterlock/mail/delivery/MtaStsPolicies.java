package org.letterlock.mail.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.letterlock.mail.smtp.SmtpClient;

/**
 * Recipient domains' MTA-STS policies (RFC 8461): the {@code _mta-sts} TXT record, then the policy file from
 * {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}, cached in memory for its max_age. The policy is fetched
 * again when the TXT id changes; when a fetch fails, an unexpired cached policy keeps applying (5.1, 10.2). The cache
 * does not survive a restart: the first message to a domain after one fetches its policy again.
 */
final class MtaStsPolicies {
    /** Largest policy file read: real ones are a few hundred bytes. */
    static final int MAX_POLICY_BYTES = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    /**
     * What applies to a domain now.
     *
     * @param policy the policy, if the domain has one (mode none included)
     * @param note   how it was found or why there is none, for the delivery record
     */
    record Found(Optional<MtaStsPolicy> policy, String note) {
    }

    private record Cached(MtaStsPolicy policy, String id, Instant expires) {
    }

    private final MxLookup dns;
    private final SSLContext webPki;
    private final int port;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /**
     * @param webPki verifies policy servers' certificates (the JDK's CAs and any configured for MTA-STS)
     * @param port   443; another only in tests
     */
    MtaStsPolicies(MxLookup dns, SSLContext webPki, int port, Duration timeout, Clock clock) {
        this.dns = dns;
        this.webPki = webPki;
        this.port = port;
        this.timeout = timeout;
        this.clock = clock;
    }

    Found of(String domain) {
        Instant now = clock.instant();
        Cached cached = cache.computeIfPresent(domain, (d, c) -> c.expires().isAfter(now) ? c : null);
        Optional<String> id;
        try {
            id = MtaStsPolicy.txtId(dns.txt("_mta-sts." + domain));
        } catch (MtaStsPolicy.Malformed | SmtpClient.HopRefused e) {
            return keep(cached, "TXT _mta-sts." + domain + ": " + e.getMessage());
        }
        if (id.isEmpty()) {
            return keep(cached, "no TXT _mta-sts." + domain);
        }
        if (cached != null && cached.id().equals(id.get())) {
            return found(cached, "cached");
        }
        try {
            MtaStsPolicy policy = MtaStsPolicy.parse(fetch(domain));
            Cached fresh = new Cached(policy, id.get(), now.plus(policy.maxAge()));
            cache.put(domain, fresh);
            return found(fresh, "fetched");
        } catch (IOException | MtaStsPolicy.Malformed e) {
            return keep(cached, "policy of " + domain + " not fetched: " + e.getMessage());
        }
    }

    private static Found found(Cached cached, String how) {
        return new Found(Optional.of(cached.policy()), "mta-sts " + cached.policy().mode().name().toLowerCase(Locale.ROOT) + " id " + cached.id() + " " + how);
    }

    /** Without a usable answer now: the cached policy while it lasts (RFC 8461 5.1), else none. */
    private static Found keep(Cached cached, String why) {
        if (cached != null) {
            Found kept = found(cached, "cached");
            return new Found(kept.policy(), kept.note() + "; " + why);
        }
        return new Found(Optional.empty(), "no mta-sts policy: " + why);
    }

    /**
     * GETs the policy file over HTTPS: the certificate must chain to a trusted CA and name {@code mta-sts.<domain>};
     * only a 200 with {@code text/plain} counts (a redirect is not followed, RFC 8461 3.3), and at most
     * {@link #MAX_POLICY_BYTES}. HTTP/1.0, so the body is never chunked; the addresses come from the gateway's resolver.
     */
    String fetch(String domain) throws IOException {
        String host = "mta-sts." + domain;
        List<InetAddress> addresses = dns.addresses(host);
        if (addresses.isEmpty()) {
            throw new IOException(host + " has no address");
        }
        IOException last = null;
        for (InetAddress address : addresses) {
            try (Socket plain = new Socket()) {
                plain.connect(new InetSocketAddress(address, port), (int) timeout.toMillis());
                plain.setSoTimeout((int) timeout.toMillis());
                try (SSLSocket tls = (SSLSocket) webPki.getSocketFactory().createSocket(plain, host, port, true)) {
                    SSLParameters parameters = tls.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    parameters.setServerNames(List.of(new SNIHostName(host)));
                    tls.setSSLParameters(parameters);
                    tls.startHandshake();
                    OutputStream out = tls.getOutputStream();
                    out.write(("GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: " + host + (port == 443 ? "" : ":" + port)
                            + "\r\nUser-Agent: Letterlock-MTA-STS\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String policy = response(tls.getInputStream(), host);
                    // The body is complete: hang up at once rather than wait out the timeout for the close of a server that keeps the connection open.
                    plain.close();
                    return policy;
                }
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static String response(InputStream in, String host) throws IOException {
        String head = new String(readHead(in), StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r?\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/")) {
            throw new IOException(host + " did not answer HTTP");
        }
        if (!status[1].equals("200")) {
            throw new IOException(host + " answered " + status[1] + (status[1].startsWith("3") ? " (redirects are not followed)" : ""));
        }
        long length = -1;
        String type = "";
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("content-type")) {
                type = value.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            } else if (name.equals("content-length") && value.matches("\\d{1,18}")) {
                length = Long.parseLong(value);
            }
        }
        if (!type.equals("text/plain")) {
            throw new IOException(host + " sent the policy as " + (type.isEmpty() ? "no media type" : type) + ", not text/plain");
        }
        if (length > MAX_POLICY_BYTES) {
            throw new IOException(host + " sent a policy of " + length + " bytes, more than " + MAX_POLICY_BYTES);
        }
        // With a Content-Length the body ends there, whether or not the server closes the connection (RFC 9112 6.3).
        byte[] body = in.readNBytes(length >= 0 ? (int) length : MAX_POLICY_BYTES + 1);
        if (body.length > MAX_POLICY_BYTES) {
            throw new IOException(host + " sent a policy of more than " + MAX_POLICY_BYTES + " bytes");
        }
        if (length >= 0 && body.length != length) {
            throw new IOException(host + " sent " + body.length + " of " + length + " policy bytes");
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The status line and header fields, up to the blank line. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (head.size() < MAX_HEADER_BYTES) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the policy server closed the connection within the response header");
            }
            head.write(b);
            // Ends at CRLF CRLF, or LF LF from a lenient server.
            matched = b == '\n' ? matched + 1 : b == '\r' ? matched : 0;
            if (matched == 2) {
                return head.toByteArray();
            }
        }
        throw new IOException("the policy server's response header is longer than " + MAX_HEADER_BYTES + " bytes");
    }
}
