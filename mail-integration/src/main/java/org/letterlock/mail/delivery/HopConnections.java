package org.letterlock.mail.delivery;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Open connections to the hops, kept for the next transaction as an MTA's connection cache does: a TLS handshake per
 * message would cost more than the encryption of the message. Connections idle longer than {@link #IDLE} are closed
 * by a sweep, also on routes no message takes again (a domain's MX after its last message).
 */
final class HopConnections implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HopConnections.class.getName());
    /** How long an idle connection is kept: shorter than the idle timeouts hops commonly apply. */
    static final Duration IDLE = Duration.ofSeconds(5);

    private record Idle(SmtpClient client, long since) {
    }

    private final SSLContext verifying;
    private final SSLContext anyCertificate;
    private final Optional<DirectDelivery> direct;
    private final String heloName;
    private final Duration timeout;
    private final int maxIdlePerRoute;
    private final Map<Route, Deque<Idle>> idle = new HashMap<>();
    /** Set once closed, under the lock of {@link #idle}: a connection released later is closed, not kept. */
    private boolean closed;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "hop-connection-sweep");
        thread.setDaemon(true);
        return thread;
    });

    HopConnections(SSLContext verifying, SSLContext anyCertificate, Optional<DirectDelivery> direct, String heloName, Duration timeout, int maxIdlePerRoute) {
        this.verifying = verifying;
        this.anyCertificate = anyCertificate;
        this.direct = direct;
        this.heloName = heloName;
        this.timeout = timeout;
        this.maxIdlePerRoute = maxIdlePerRoute;
        sweeper.scheduleWithFixedDelay(this::sweep, IDLE.toMillis(), IDLE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes the connections idle too long, outside the lock: each says QUIT. */
    private void sweep() {
        long now = System.nanoTime();
        List<SmtpClient> stale = new ArrayList<>();
        synchronized (idle) {
            for (Iterator<Deque<Idle>> routes = idle.values().iterator(); routes.hasNext(); ) {
                Deque<Idle> kept = routes.next();
                kept.removeIf(candidate -> now - candidate.since() >= IDLE.toNanos() && stale.add(candidate.client()));
                if (kept.isEmpty()) {
                    routes.remove();
                }
            }
        }
        closeAll(stale);
    }

    /** Outside the lock: each close says QUIT, and a hop slow to answer must not hold the others. */
    private static void closeAll(List<SmtpClient> clients) {
        for (SmtpClient client : clients) {
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing an idle hop connection", e);
            }
        }
    }

    /** A kept connection if one is fresh, else {@code null}: the caller then {@link #connect}s. */
    SmtpClient reuse(Route route) {
        long now = System.nanoTime();
        List<SmtpClient> stale = new ArrayList<>();
        try {
            synchronized (idle) {
                Deque<Idle> kept = idle.get(route);
                while (kept != null && !kept.isEmpty()) {
                    Idle candidate = kept.pollLast();
                    if (now - candidate.since() < IDLE.toNanos() && candidate.client().usable()) {
                        return candidate.client();
                    }
                    stale.add(candidate.client());
                }
            }
            return null;
        } finally {
            closeAll(stale);
        }
    }

    /**
     * A new connection. A configured hop is dialled as its TLS mode says; for a message with {@code TLS-Required: No}
     * a hop whose TLS fails is dialled again with opportunistic TLS, and the connection's TLS outcome says so.
     */
    SmtpClient connect(Route route) throws IOException {
        if (route.direct()) {
            return direct.orElseThrow(() -> new IllegalStateException("an MX route without direct delivery configured")).connect(route);
        }
        String setting = route.protocol() == SmtpClient.Protocol.LMTP ? "letterlock.gateway.lmtp.tls" : "letterlock.gateway.next-hop.tls";
        SmtpClient.TlsDemand configured = SmtpClient.TlsDemand.of(route.tls(), setting, verifying, anyCertificate);
        List<SmtpClient.TlsDemand> demands = new ArrayList<>(List.of(configured));
        if (route.sender() == Route.SenderTls.TLS_OPTIONAL && route.tls() != GatewaySettings.NextHopTls.NONE) {
            String relaxed = configured.policy() + " relaxed by TLS-Required: No; opportunistic";
            demands.add(new SmtpClient.TlsDemand(SmtpClient.TlsLevel.OPPORTUNISTIC, anyCertificate, relaxed));
            demands.add(new SmtpClient.TlsDemand(SmtpClient.TlsLevel.NONE, anyCertificate, relaxed + ", in clear"));
        }
        return SmtpClient.connect(new InetSocketAddress(route.hop().host(), route.hop().port()), route.hop().host(), route.protocol(), demands, heloName, timeout);
    }

    /** Keeps the connection for the next transaction if it can carry one, else closes it. */
    void release(Route route, SmtpClient client) {
        if (client.usable()) {
            synchronized (idle) {
                Deque<Idle> kept = closed ? null : idle.computeIfAbsent(route, r -> new ArrayDeque<>());
                if (kept != null && kept.size() < maxIdlePerRoute) {
                    kept.addLast(new Idle(client, System.nanoTime()));
                    return;
                }
            }
        }
        client.close();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        List<SmtpClient> kept = new ArrayList<>();
        synchronized (idle) {
            closed = true;
            idle.values().forEach(route -> route.forEach(i -> kept.add(i.client())));
            idle.clear();
        }
        closeAll(kept);
    }
}
