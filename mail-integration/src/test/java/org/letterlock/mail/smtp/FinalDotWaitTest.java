package org.letterlock.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hop that stores or scans a message before it answers the final dot may take longer than any other command. The
 * gateway waits the 10 minutes RFC 5321 4.5.3.2.6 names there: giving up sooner, it would send a message the hop may
 * have taken again. A scripted hop answers the dot after three times the command timeout.
 */
class FinalDotWaitTest {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

    @Test
    void theReplyToTheFinalDotIsWaitedForLongerThanACommand() throws Exception {
        try (ScriptedHop hop = new ScriptedHop(List.of("8BITMIME"), COMMAND_TIMEOUT.multipliedBy(3), true)) {
            SmtpClient client = hop.connect(COMMAND_TIMEOUT);
            try {
                List<SmtpClient.RecipientReply> replies = client.send("alice@example.org", List.of("bob@example.net"),
                        out -> out.write("Subject: scanned slowly\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII)));

                assertThat(replies).singleElement().satisfies(r -> assertThat(r.reply()).isEqualTo(new Reply(250, "2.0.0 queued")));
                assertThat(client.usable()).isTrue();

                // The hop falls silent: the next command is given up on after the command timeout again, not the dot's.
                long started = System.nanoTime();
                assertThatThrownBy(() -> client.send("alice@example.org", List.of("bob@example.net"),
                        out -> out.write("Subject: unanswered\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII))))
                        .isInstanceOf(java.net.SocketTimeoutException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(COMMAND_TIMEOUT.multipliedBy(5));
            } finally {
                client.close();
            }
        }
    }
}
