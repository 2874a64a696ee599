package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.smtp.Reply;

/**
 * The spool on a 2 MiB tmpfs: a message larger than the space left is answered 452 4.3.1 (try later: the sender keeps
 * it) and leaves no file behind, and the listener goes on taking the messages that fit.
 */
class FullSpoolTest {
    @TempDir
    Path work;

    private Path spool;

    @BeforeEach
    void mountSmallSpool() throws Exception {
        assumeTrue(run("id", "-u").equals("0"), "mounting a tmpfs for the spool needs root (CI runs as root); the full-disk case was not checked");
        spool = Files.createDirectories(work.resolve("spool"));
        assertThat(run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", spool.toString())).isEmpty();
    }

    @AfterEach
    void unmount() throws Exception {
        if (spool != null) {
            run("umount", spool.toString());
        }
    }

    @Test
    void aMessageLargerThanTheFreeSpaceGets452AndLeavesNothingAndSmallOnesStillGetIn() throws Exception {
        String large = "Subject: too large for the disk\r\n\r\n" + ("y".repeat(998) + "\r\n").repeat(3000);
        try (LoopbackGateway gateway = LoopbackGateway.receiving(spool, 10_000_000); RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            for (int round = 1; round <= 2; round++) {
                assertThat(send(client, large).toString()).as("round " + round).isEqualTo("452 4.3.1 The gateway cannot store the message now; try again later");
                assertThat(gateway.incoming()).as("what the refused message had written is gone").isEmpty();
                assertThat(gateway.spool.list()).hasSize(round - 1);

                assertThat(send(client, "Subject: small " + round + "\r\n\r\nFits.\r\n").code()).as("round " + round).isEqualTo(250);
                assertThat(gateway.spool.list()).hasSize(round);
            }
            assertThat(gateway.accepted).hasSize(2);
        }
    }

    private static Reply send(RawSmtpClient client, String message) throws IOException {
        assertThat(client.command("MAIL FROM:<alice@example.org>").code()).isEqualTo(250);
        assertThat(client.command("RCPT TO:<bob@example.org>").code()).isEqualTo(250);
        assertThat(client.command("DATA").code()).isEqualTo(354);
        client.send(message + ".\r\n");
        return client.reply();
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes()).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output;
    }
}
