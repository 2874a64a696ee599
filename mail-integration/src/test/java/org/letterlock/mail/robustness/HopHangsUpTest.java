package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.PostfixHop;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.Outcome;

/**
 * A next hop that hangs up in the middle of the data has acknowledged nothing: the gateway defers the message with a
 * 4xx, keeps it in the spool, counts no delivery, and delivers it whole to a real Postfix on the next attempt.
 */
class HopHangsUpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @Test
    void aHopThatHangsUpMidTransferGetsTheMessageAgainWholeOnTheNextAttempt() throws Exception {
        String body = ("A line of a message long enough to be cut in the middle of its transfer.\r\n").repeat(4000) + "The last line.\r\n";
        HangingUpHop hangingUp = new HangingUpHop();
        int port = hangingUp.port();
        try (LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), port)) {
            gateway.submit("Subject: survives a hang-up\r\n\r\n" + body);

            Envelope deferred = gateway.awaitAttempted();
            hangingUp.close();
            assertThat(hangingUp.hungUp.get()).isEqualTo(1);
            Envelope.Recipient bob = deferred.recipients().get(0);
            assertThat(bob.status()).isEqualTo(Envelope.Status.PENDING);
            assertThat(bob.lastReply()).startsWith("451 4.4.2 next-hop 127.0.0.1:" + port + ": ");
            assertThat(gateway.audit.events()).extracting(AuditEvent::outcome).as("no delivery counted").containsOnly(Outcome.FAILED);

            // Postfix where the hop was; the next attempt (made due now, not after the backoff) goes to it.
            try (PostfixHop postfix = PostfixHop.startOnPort(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), Optional.empty(), port)) {
                gateway.delivery.retryAll();

                List<Path> copies = postfix.awaitDelivered(1, WAIT);
                String copy = Files.readString(copies.get(0));
                assertThat(copy).contains("Delivered-To: bob@example.org", "Subject: survives a hang-up");
                assertThat(copy.substring(copy.indexOf("\n\n") + 2).replace("\n", "\r\n")).isEqualTo(body);
                gateway.awaitEmptySpool();
                assertThat(postfix.delivered()).hasSize(1);
                assertThat(gateway.audit.events()).extracting(AuditEvent::outcome).containsExactly(Outcome.FAILED, Outcome.ALLOWED);
            }
        }
    }
}
