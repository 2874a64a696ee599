package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What one client may take of the LMTP receiver, with limits small enough to reach; the receiver alone, with no orders
 * behind it (no reply is judged here).
 */
class LmtpReplyLimitsTest {
    private final List<Socket> clients = new ArrayList<>();
    private LmtpReplyListener listener;

    @AfterEach
    void close() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    private LmtpReplyListener start(LmtpReplyListener.Limits limits) throws IOException {
        listener = LmtpReplyListener.start(new InetSocketAddress("127.0.0.1", 0), new ReplyIntake(null, "acme@ca.example.org", java.util.List.of()), "ca.example.org", limits);
        return listener;
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", listener.port());
        socket.setSoTimeout(10_000);
        clients.add(socket);
        return socket;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.append((char) b);
        }
        return line.toString().strip();
    }

    /** Whether the receiver closed the connection: the end of the stream, or a reset when it closed with bytes unread. */
    private static boolean closed(InputStream in) throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Test
    void connectionsBeyondTheLimitAreGreetedWith421() throws Exception {
        start(new LmtpReplyListener.Limits(2, 1_000, 60_000, 600_000));
        assertThat(line(connect().getInputStream())).startsWith("220 ");
        assertThat(line(connect().getInputStream())).startsWith("220 ");
        assertThat(line(connect().getInputStream())).startsWith("421 4.3.2");
    }

    @Test
    void aSessionOfTooManyCommandsIsClosed() throws Exception {
        start(new LmtpReplyListener.Limits(32, 5, 60_000, 600_000));
        Socket socket = connect();
        OutputStream out = socket.getOutputStream();
        out.write("NOOP\r\n".repeat(8).getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        assertThat(line(in)).startsWith("220 ");
        for (int i = 0; i < 5; i++) {
            assertThat(line(in)).startsWith("250 2.0.0");
        }
        assertThat(line(in)).startsWith("421 4.7.0").contains("too many commands");
        assertThat(closed(in)).isTrue();
    }

    @Test
    void aSilentClientIsToldAndClosed() throws Exception {
        start(new LmtpReplyListener.Limits(32, 1_000, 300, 600_000));
        InputStream in = connect().getInputStream();
        assertThat(line(in)).startsWith("220 ");
        assertThat(line(in)).startsWith("421 4.4.2").contains("idle");
        assertThat(closed(in)).isTrue();
    }

    @Test
    void aClientThatTricklesIsClosedAtTheSessionDeadline() throws Exception {
        start(new LmtpReplyListener.Limits(32, 1_000, 60_000, 500));
        Socket socket = connect();
        InputStream in = socket.getInputStream();
        assertThat(line(in)).startsWith("220 ");
        long start = System.nanoTime();
        OutputStream out = socket.getOutputStream();
        try {
            // One byte at a time, never a whole command: the idle limit alone would never end this.
            for (int i = 0; i < 100; i++) {
                out.write('N');
                out.flush();
                Thread.sleep(50);
            }
        } catch (IOException closedUnderUs) {
            // The receiver closed the connection: what this test waits for.
        }
        assertThat(closed(in)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void closingEndsTheSessionsItHasOpen() throws Exception {
        start(LmtpReplyListener.Limits.DEFAULT);
        InputStream in = connect().getInputStream();
        assertThat(line(in)).startsWith("220 ");
        long start = System.nanoTime();
        listener.close();
        assertThat(closed(in)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the idle session was closed, not left to time out").isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> new Socket("127.0.0.1", listener.port()).close()).as("no longer listening").isInstanceOf(ConnectException.class);
    }
}
