package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * A kept connection is closed once it has been idle too long, even when no message takes its route again (a domain's
 * MX after the last message to it): a hop that sees QUIT from it shows it was swept.
 */
class HopConnectionsTest {

    @Test
    void aConnectionKeptOnARouteNobodyUsesAgainIsClosedAfterItsIdleTime() throws Exception {
        CountDownLatch quit = new CountDownLatch(1);
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread hop = hop(listener, quit, true);
            Route route = route(listener);
            try (HopConnections hops = new HopConnections(null, null, Optional.empty(), "gateway.example.org", Duration.ofSeconds(30), 4)) {
                SmtpClient client = hops.connect(route);
                hops.release(route, client);
                assertThat(quit.await(HopConnections.IDLE.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS)).as("the hop saw QUIT").isTrue();
                assertThat(hops.reuse(route)).as("nothing is kept after the sweep").isNull();
            }
            hop.join(10_000);
        }
    }

    /**
     * A hop that takes QUIT and never answers it holds nobody: its connection is closed after {@link SmtpClient#QUIT_TIMEOUT},
     * not the 30 s command timeout, and while that wait runs other routes take and keep connections at once.
     */
    @Test
    void aHopThatNeverAnswersQuitHoldsNeitherItsCloserNorOtherRoutes() throws Exception {
        CountDownLatch quitSent = new CountDownLatch(1);
        try (ServerSocket silent = new ServerSocket(0, 4, InetAddress.getLoopbackAddress()); ServerSocket answering = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread silentHop = hop(silent, quitSent, false);
            Thread answeringHop = hop(answering, new CountDownLatch(1), true);
            Route slow = route(silent);
            Route other = route(answering);
            try (HopConnections hops = new HopConnections(null, null, Optional.empty(), "gateway.example.org", Duration.ofSeconds(30), 4)) {
                SmtpClient toOther = hops.connect(other);
                hops.release(slow, hops.connect(slow));
                // Past the idle time but before the next sweep (it runs every IDLE, and found the connection fresh at the first).
                Thread.sleep(HopConnections.IDLE.plusMillis(1_000).toMillis());
                long started = System.nanoTime();
                java.util.concurrent.atomic.AtomicReference<SmtpClient> reused = new java.util.concurrent.atomic.AtomicReference<>();
                Thread closer = new Thread(() -> reused.set(hops.reuse(slow)), "closer");
                closer.start();
                assertThat(quitSent.await(10, TimeUnit.SECONDS)).as("the stale connection is closed with QUIT").isTrue();
                long otherStarted = System.nanoTime();
                hops.release(other, toOther);
                assertThat(hops.reuse(other)).isSameAs(toOther);
                assertThat(Duration.ofNanos(System.nanoTime() - otherStarted)).as("another route is not held by the unanswered QUIT")
                        .isLessThan(Duration.ofSeconds(2));
                closer.join(20_000);
                assertThat(closer.isAlive()).isFalse();
                assertThat(reused.get()).as("a stale connection is not handed out").isNull();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the closer waits for the QUIT reply no longer than QUIT_TIMEOUT")
                        .isLessThan(SmtpClient.QUIT_TIMEOUT.plusSeconds(3));
                hops.release(other, toOther);
            }
            silentHop.join(10_000);
            answeringHop.join(10_000);
        }
    }

    private static Route route(ServerSocket listener) {
        return new Route("test", new GatewaySettings.HostPort("127.0.0.1", listener.getLocalPort()), SmtpClient.Protocol.SMTP, GatewaySettings.NextHopTls.NONE);
    }

    /** A hop serving one connection: 250 to everything, and to QUIT 221 or, when not {@code answersQuit}, nothing until the client hangs up. */
    private static Thread hop(ServerSocket listener, CountDownLatch quit, boolean answersQuit) {
        Thread hop = new Thread(() -> {
            try (Socket connection = listener.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = connection.getOutputStream();
                out.write("220 hop.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("QUIT")) {
                        quit.countDown();
                        if (answersQuit) {
                            out.write("221 2.0.0 bye\r\n".getBytes(StandardCharsets.US_ASCII));
                            return;
                        }
                        continue;
                    }
                    out.write("250 hop.test\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the test fails on its own checks
            }
        }, "hop-" + listener.getLocalPort());
        hop.setDaemon(true);
        hop.start();
        return hop;
    }
}
