package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Retry now" (after a passphrase or key is set) while a deferred message waits, several times, with several workers: the
 * message is still attempted by one worker at a time, so the hop gets one copy, not one per retry.
 */
class RetryNowTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @Test
    void retriesMadeDueTogetherDeliverOneCopy() throws Exception {
        try (RecordingHop hop = new RecordingHop(false, 1); LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), hop.port(), 4)) {
            gateway.submit("Subject: once\r\n\r\nOne copy only.\r\n");
            gateway.awaitAttempted();
            for (int i = 0; i < 4; i++) {
                gateway.delivery.retryAll();
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline && !gateway.spool.list().isEmpty()) {
                Thread.sleep(50);
            }
            assertThat(gateway.spool.list()).isEmpty();
            // Any second copy would have been sent by now: the workers were all free.
            Thread.sleep(1000);
            assertThat(hop.received).hasSize(1);
        }
    }

}
