package org.letterlock.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.MovableClock;

/**
 * The relay connections the SMTP sender keeps between mails, seen from a relay on Python's smtpd (a receiver nobody
 * here wrote) that prints each connection, mail and QUIT: {@link PythonSmtpRelay}.
 */
class SmtpRelayConnectionsTest {
    private final MovableClock clock = new MovableClock();
    private PythonSmtpRelay relay;
    private SmtpMailSender sender;

    @BeforeEach
    void start() throws Exception {
        relay = PythonSmtpRelay.start();
        sender = new SmtpMailSender("127.0.0.1", relay.port(), false, "letterlock@example.org", clock);
    }

    @AfterEach
    void stop() throws Exception {
        if (sender != null) {
            sender.close();
        }
        if (relay != null) {
            relay.close();
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
        int port = relay.port();
        relay.close();
        relay = null;
        relay = PythonSmtpRelay.start(port);

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
}
