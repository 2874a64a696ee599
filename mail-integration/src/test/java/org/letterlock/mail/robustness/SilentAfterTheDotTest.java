package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.queue.Envelope;

/**
 * A kept connection that fails after the final dot (the hop took the data and went away before answering) is not
 * taken for a stale one: the hop may have the message, so it is not sent again at once on a new connection but waits
 * for its retry, as a failure before the data would not.
 */
class SilentAfterTheDotTest {
    @TempDir
    Path work;

    @Test
    void aKeptConnectionLostAfterTheDotDefersTheMessageInsteadOfSendingItAgain() throws Exception {
        try (RecordingHop hop = new RecordingHop(false, 0, 2); LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), hop.port())) {
            gateway.submit("Subject: first\r\n\r\nA message.\r\n");
            gateway.awaitEmptySpool();
            assertThat(hop.received).hasSize(1);

            // Within the idle time, so the second message goes over the connection the first one left open.
            gateway.submit("Subject: second\r\n\r\nA message.\r\n");
            Envelope deferred = gateway.awaitAttempted();
            assertThat(deferred.recipients().get(0).lastReply()).startsWith("451 4.4.2");
            Thread.sleep(1000);
            assertThat(hop.received).as("the second message once, not again on a new connection").hasSize(2);
        }
    }
}
