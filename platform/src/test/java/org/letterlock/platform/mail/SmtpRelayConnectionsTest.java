package org.letterlock.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.MovableClock;

/**
 * The relay connections the SMTP sender keeps between mails, seen from a relay on Python's smtpd (a receiver nobody
 * here wrote) that prints each connection, mail and QUIT.
 */
class SmtpRelayConnectionsTest {
    private final MovableClock clock = new MovableClock();
    private int port;
    private Relay relay;
    private SmtpMailSender sender;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        relay = Relay.start(port);
        sender = new SmtpMailSender("127.0.0.1", port, false, "letterlock@example.org", clock);
    }

    @AfterEach
    void stop() throws Exception {
        if (sender != null) {
            sender.close();
        }
        if (relay != null) {
            relay.stop();
        }
    }

    @Test
    void mailsInARowShareOneConnection() throws Exception {
        sender.send("alice@example.org", "first", "body");
        sender.send("bob@example.org", "second", "body");

        assertThat(relay.linesUntil("mail bob@example.org")).containsExactly("connect", "mail alice@example.org", "mail bob@example.org");
    }

    @Test
    void aConnectionIdleTooLongIsClosedAndANewOneMade() throws Exception {
        sender.send("alice@example.org", "first", "body");
        clock.advance(SmtpMailSender.KEEP_IDLE.plusSeconds(1));
        sender.send("bob@example.org", "second", "body");

        // The QUIT goes out without waiting for its answer, so the relay may see it after the new connection.
        List<String> lines = relay.linesUntil("mail bob@example.org");
        assertThat(lines).containsExactlyInAnyOrder("connect", "mail alice@example.org", "quit", "connect", "mail bob@example.org");
        assertThat(lines).filteredOn(line -> line.startsWith("mail")).containsExactly("mail alice@example.org", "mail bob@example.org");
    }

    @Test
    void aConnectionTheRelayDroppedCostsNoMail() throws Exception {
        sender.send("alice@example.org", "first", "body");
        assertThat(relay.linesUntil("mail alice@example.org")).containsExactly("connect", "mail alice@example.org");
        relay.stop();
        relay = null;
        relay = Relay.start(port);

        sender.send("bob@example.org", "second", "body");

        assertThat(relay.linesUntil("mail bob@example.org")).containsExactly("connect", "mail bob@example.org");
    }

    @Test
    void aRefusalReachesTheCallerWithTheRelaysAnswerAndIsNotSentAgain() throws Exception {
        sender.send("alice@example.org", "first", "body");

        assertThatThrownBy(() -> sender.send("refused@example.org", "second", "body")).isInstanceOf(LetterlockException.class)
                .hasMessageContaining("550 5.7.1 refused by policy");
        sender.send("bob@example.org", "third", "body");
        assertThat(relay.linesUntil("mail bob@example.org")).filteredOn(line -> line.startsWith("mail") || line.startsWith("refuse"))
                .containsExactly("mail alice@example.org", "refuse refused@example.org", "mail bob@example.org");
    }

    /** Which failures on a kept connection let the mail go again on a new one. */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            [EOF]                                      | true
            421 4.3.2 Service shutting down            | true
            550 5.7.1 refused by policy                | false
            452-4.5.3 Too many recipients              | false
            """)
    void aFailureIsSentAgainOnlyWhenTheConnectionWasLost(String reply, boolean sendAgain) {
        assertThat(SmtpMailSender.connectionLost(new MessagingException(reply))).isEqualTo(sendAgain);
    }

    @Test
    void aTimeoutIsNotSentAgainSinceTheRelayMayHaveTheMail() {
        assertThat(SmtpMailSender.connectionLost(new MessagingException("Exception reading response", new SocketTimeoutException("Read timed out"))))
                .isFalse();
        assertThat(SmtpMailSender.connectionLost(new MessagingException("Exception reading response", new SocketException("Connection reset"))))
                .isTrue();
    }

    @Test
    void closingSaysQuitOnTheKeptConnection() throws Exception {
        sender.send("alice@example.org", "first", "body");

        sender.close();

        assertThat(relay.linesUntil("quit")).containsExactly("connect", "mail alice@example.org", "quit");
    }

    /** The relay process and the lines it has printed. */
    private record Relay(Process process, BufferedReader output) {
        static Relay start(int port) throws Exception {
            Path script = Path.of(SmtpRelayConnectionsTest.class.getResource("/smtp-relay.py").toURI());
            Process process = new ProcessBuilder("python3", "-W", "ignore", "-u", script.toString(), Integer.toString(port)).redirectErrorStream(true).start();
            Relay relay = new Relay(process, new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
            try {
                relay.linesUntil("listening");
            } catch (AssertionError | Exception e) {
                process.destroyForcibly();
                throw e;
            }
            return relay;
        }

        /** The lines printed up to and including {@code last} (which must come within 10 s). */
        List<String> linesUntil(String last) throws Exception {
            List<String> lines = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < until) {
                if (!output.ready()) {
                    Thread.sleep(10);
                    continue;
                }
                String line = output.readLine();
                if (line == null) {
                    break;
                }
                if (!line.equals("listening")) {
                    lines.add(line);
                }
                if (line.equals(last)) {
                    return lines;
                }
            }
            throw new AssertionError("the relay did not print '" + last + "'; it printed " + lines);
        }

        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
