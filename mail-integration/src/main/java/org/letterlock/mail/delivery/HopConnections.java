package org.letterlock.mail.delivery;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.letterlock.mail.smtp.SmtpClient;

/**
 * Open connections to the hops, kept for the next transaction as an MTA's connection cache does: a TLS handshake per
 * message would cost more than the encryption of the message.
 */
final class HopConnections implements AutoCloseable {
    /** How long an idle connection is kept: shorter than the idle timeouts hops commonly apply. */
    static final Duration IDLE = Duration.ofSeconds(5);

    private record Idle(SmtpClient client, long since) {
    }

    private final SSLContext verifying;
    private final SSLContext anyCertificate;
    private final String heloName;
    private final Duration timeout;
    private final int maxIdlePerRoute;
    private final Map<Route, Deque<Idle>> idle = new HashMap<>();

    HopConnections(SSLContext verifying, SSLContext anyCertificate, String heloName, Duration timeout, int maxIdlePerRoute) {
        this.verifying = verifying;
        this.anyCertificate = anyCertificate;
        this.heloName = heloName;
        this.timeout = timeout;
        this.maxIdlePerRoute = maxIdlePerRoute;
    }

    /** A kept connection if one is fresh, else {@code null}: the caller then {@link #connect}s. */
    SmtpClient reuse(Route route) {
        long now = System.nanoTime();
        synchronized (idle) {
            Deque<Idle> kept = idle.get(route);
            while (kept != null && !kept.isEmpty()) {
                Idle candidate = kept.pollLast();
                if (now - candidate.since() < IDLE.toNanos() && candidate.client().usable()) {
                    return candidate.client();
                }
                candidate.client().close();
            }
        }
        return null;
    }

    SmtpClient connect(Route route) throws IOException {
        return SmtpClient.connect(route.hop(), route.protocol(), route.tls(), verifying, anyCertificate, heloName, timeout);
    }

    /** Keeps the connection for the next transaction if it can carry one, else closes it. */
    void release(Route route, SmtpClient client) {
        if (client.usable()) {
            synchronized (idle) {
                Deque<Idle> kept = idle.computeIfAbsent(route, r -> new ArrayDeque<>());
                if (kept.size() < maxIdlePerRoute) {
                    kept.addLast(new Idle(client, System.nanoTime()));
                    return;
                }
            }
        }
        client.close();
    }

    @Override
    public void close() {
        synchronized (idle) {
            idle.values().forEach(kept -> kept.forEach(i -> i.client().close()));
            idle.clear();
        }
    }
}
