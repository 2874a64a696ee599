package org.letterlock.mail.smtp;

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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.letterlock.platform.config.GatewaySettings;

/**
 * LMTP answers the data once per recipient (RFC 2033 4.2), and a mailbox store can go away between those answers (a
 * restart, a crash of its delivery process). Each answer already read is final: that recipient's copy is stored, and
 * sending it again would store it twice. Only the recipients left unanswered may be tried again. No real store can be
 * made to stop at that point, so a scripted one does.
 */
class LmtpRepliesTest {
    private static final String CAROL = "carol@example.org";
    private static final String DAVE = "dave@example.org";

    @Test
    void aRecipientTheStoreAnsweredForKeepsItsAnswerWhenTheStoreClosesBeforeTheNext() throws Exception {
        AtomicReference<Exception> storeFailure = new AtomicReference<>();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread store = new Thread(() -> {
                try (Socket connection = listener.accept()) {
                    savesTheFirstRecipientThenCloses(connection);
                } catch (IOException e) {
                    storeFailure.set(e);
                }
            }, "scripted-lmtp-store");
            store.start();

            SmtpClient client = SmtpClient.connect(new GatewaySettings.HostPort("127.0.0.1", listener.getLocalPort()), SmtpClient.Protocol.LMTP,
                    GatewaySettings.NextHopTls.NONE, null, null, "gateway.example.org", Duration.ofSeconds(30));
            try {
                List<SmtpClient.RecipientReply> replies = client.send("alice@example.org", List.of(CAROL, DAVE),
                        out -> out.write("Subject: minutes\r\n\r\nattached\r\n".getBytes(StandardCharsets.US_ASCII)));

                assertThat(replies).extracting(SmtpClient.RecipientReply::address).containsExactly(CAROL, DAVE);
                assertThat(replies.get(0).reply()).isEqualTo(new Reply(250, "2.0.0 <" + CAROL + "> Saved"));
                assertThat(replies.get(1).reply().transientFailure()).as(replies.get(1).reply().toString()).isTrue();
                assertThat(client.usable()).as("a connection the store closed is not kept for the next transaction").isFalse();
            } finally {
                client.close();
                store.join();
            }
        }
        assertThat(storeFailure.get()).isNull();
    }

    /** Takes the transaction for both recipients, stores the copy for the first, and closes before answering for the second. */
    private static void savesTheFirstRecipientThenCloses(Socket connection) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = connection.getOutputStream();
        out.write("220 store.test LMTP ready\r\n".getBytes(StandardCharsets.US_ASCII));
        for (String line; (line = in.readLine()) != null; ) {
            String command = line.toUpperCase(Locale.ROOT);
            if (command.startsWith("LHLO")) {
                out.write("250-store.test\r\n250 ENHANCEDSTATUSCODES\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (command.startsWith("MAIL") || command.startsWith("RCPT")) {
                out.write("250 2.1.0 OK\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (command.equals("DATA")) {
                out.write("354 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                for (String data; (data = in.readLine()) != null && !data.equals("."); ) {
                    // the message: this store keeps nothing
                }
                out.write(("250 2.0.0 <" + CAROL + "> Saved\r\n").getBytes(StandardCharsets.US_ASCII));
                return;
            }
        }
    }
}
