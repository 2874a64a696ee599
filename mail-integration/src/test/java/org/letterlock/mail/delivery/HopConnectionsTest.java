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
            Thread hop = new Thread(() -> {
                try (Socket connection = listener.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.US_ASCII));
                    OutputStream out = connection.getOutputStream();
                    out.write("220 hop.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (String line; (line = in.readLine()) != null; ) {
                        out.write((line.startsWith("QUIT") ? "221 2.0.0 bye\r\n" : "250 hop.test\r\n").getBytes(StandardCharsets.US_ASCII));
                        if (line.startsWith("QUIT")) {
                            quit.countDown();
                            return;
                        }
                    }
                } catch (IOException e) {
                    // the test fails on the latch
                }
            }, "idle-hop");
            hop.start();
            Route route = new Route("test", new GatewaySettings.HostPort("127.0.0.1", listener.getLocalPort()), SmtpClient.Protocol.SMTP,
                    GatewaySettings.NextHopTls.NONE);
            try (HopConnections hops = new HopConnections(null, null, Optional.empty(), "gateway.example.org", Duration.ofSeconds(30), 4)) {
                SmtpClient client = hops.connect(route);
                hops.release(route, client);
                assertThat(quit.await(HopConnections.IDLE.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS)).as("the hop saw QUIT").isTrue();
                assertThat(hops.reuse(route)).as("nothing is kept after the sweep").isNull();
            }
            hop.join(10_000);
        }
    }
}
