package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.mail.delivery.HopTrust;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smtp.Reply;

/**
 * Clients that break the SMTP rules, against the real listener and spool: every command gets the reply RFC 5321 (and
 * RFC 3030 for BDAT, RFC 3207 for STARTTLS) asks for, and the spool holds exactly the messages that were answered
 * 250, each whole. Where SubEthaSMTP's own answer differs from what the RFC asks, the test says so.
 */
class SmtpCommandAbuseTest {
    /** The server's reply was the end of the connection. */
    private static final int CLOSED = 0;
    private static final long MAX_BYTES = 64 * 1024;
    private static final String MESSAGE = "Subject: hello\r\n\r\nA short message.\r\n";

    @TempDir
    Path work;

    private LoopbackGateway gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = LoopbackGateway.receiving(work.resolve("spool"), MAX_BYTES);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    /** What a test sends at once, and the reply codes it expects for it, in order. */
    record Step(byte[] sent, int... replies) {
        static Step of(String text, int... replies) {
            return new Step(text.getBytes(StandardCharsets.UTF_8), replies);
        }

        static Step line(String command, int... replies) {
            return of(command + "\r\n", replies);
        }

        @Override
        public String toString() {
            return new String(sent, StandardCharsets.ISO_8859_1).replace("\r\n", "<CRLF>");
        }
    }

    static Stream<Arguments> conversations() {
        return Stream.of(
                // RFC 5321 4.1.4 asks the client for EHLO first; SubEthaSMTP, like Postfix's default (smtpd_helo_required = no), does not insist.
                conversation("mail before EHLO is taken", 1, Step.line("MAIL FROM:<alice@example.org>", 250), Step.line("RCPT TO:<bob@example.org>", 250),
                        Step.line("DATA", 354), Step.of(MESSAGE + ".\r\n", 250)),
                conversation("a second MAIL in a transaction is a bad sequence", 0, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org>", 250), Step.line("MAIL FROM:<carol@example.org>", 503)),
                conversation("RCPT before MAIL is a bad sequence", 0, Step.line("EHLO client.example.org", 250), Step.line("RCPT TO:<bob@example.org>", 503)),
                conversation("DATA before MAIL is a bad sequence", 0, Step.line("EHLO client.example.org", 250), Step.line("DATA", 503)),
                conversation("DATA without an accepted RCPT is a bad sequence", 0, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org>", 250), Step.line("RCPT TO:<bob@@example.org>", 553), Step.line("DATA", 503)),
                conversation("RSET ends the transaction", 0, Step.line("EHLO client.example.org", 250), Step.line("MAIL FROM:<alice@example.org>", 250),
                        Step.line("RCPT TO:<bob@example.org>", 250), Step.line("RSET", 250), Step.line("DATA", 503)),
                conversation("a NUL in an address is not a mailbox", 0, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<al\0ice@example.org>", 553), Step.line("MAIL FROM:<alice@example.org>", 250),
                        Step.line("RCPT TO:<b\0b@example.org>", 553)),
                conversation("a NUL in the EHLO name is only echoed as '?'", 1, Step.line("EHLO cli\0ent", 250), Step.line("MAIL FROM:<alice@example.org>", 250),
                        Step.line("RCPT TO:<bob@example.org>", 250), Step.line("DATA", 354), Step.of(MESSAGE + ".\r\n", 250)),
                conversation("a 10,000-character command line ends the session", 0, Step.line("EHLO " + "a".repeat(10_000), 501, CLOSED)),
                conversation("a bare LF in a command ends the session", 0, Step.line("EHLO client\nMAIL FROM:<alice@example.org>", 501, CLOSED)),
                conversation("bytes that are not UTF-8 in a command end the session", 0,
                        new Step(new byte[] {'E', 'H', 'L', 'O', ' ', (byte) 0xFF, (byte) 0xFE, '\r', '\n'}, 501, CLOSED)),
                conversation("unknown and too short commands are unrecognised", 0, Step.line("XYZZY", 500), Step.line("AB", 500),
                        Step.line("EHLO client.example.org", 250)),
                conversation("VRFY, EXPN and AUTH are not offered", 0, Step.line("VRFY bob", 502), Step.line("EXPN staff", 502), Step.line("AUTH PLAIN AGEAYg==", 502)),
                conversation("STARTTLS takes no argument", 0, Step.line("EHLO client.example.org", 250), Step.line("STARTTLS now", 501)),
                conversation("a declared SIZE over the limit is refused at MAIL", 0, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org> SIZE=999999999", 552)),
                conversation("a declared SIZE past what an int holds is refused, and the session goes on", 0, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org> SIZE=9999999999", 552), Step.line("MAIL FROM:<alice@example.org> SIZE=big", 501),
                        Step.line("NOOP", 250)),
                conversation("pipelined commands with junk among them are answered in order", 1,
                        Step.of("EHLO client.example.org\r\nMAIL FROM:<alice@example.org>\r\nJUNK\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n", 250, 250, 500, 250, 354),
                        Step.of(MESSAGE + ".\r\n", 250)),
                conversation("a message in one BDAT chunk is taken (CHUNKING is offered)", 1, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org>", 250), Step.line("RCPT TO:<bob@example.org>", 250),
                        Step.of("BDAT " + MESSAGE.length() + " LAST\r\n" + MESSAGE, 250)),
                conversation("a message in two BDAT chunks is taken", 1, Step.line("EHLO client.example.org", 250),
                        Step.line("MAIL FROM:<alice@example.org>", 250), Step.line("RCPT TO:<bob@example.org>", 250),
                        Step.of("BDAT 10\r\n" + MESSAGE.substring(0, 10), 250), Step.of("BDAT " + (MESSAGE.length() - 10) + " LAST\r\n" + MESSAGE.substring(10), 250)),
                // RFC 3030 2: the chunk is read even when BDAT is refused; else its bytes would run as commands.
                conversation("a BDAT chunk sent out of sequence is read and refused, never run as commands", 0, Step.line("EHLO client.example.org", 250),
                        Step.of("BDAT 8 LAST\r\nVRFY x\r\n", 503), Step.line("NOOP", 250)));
    }

    private static Arguments conversation(String name, int queued, Step... steps) {
        return Arguments.of(name, queued, List.of(steps));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversations")
    void eachCommandGetsItsReplyAndTheSpoolHoldsWhatGot250(String name, int queued, List<Step> steps) throws Exception {
        List<String> heard = new ArrayList<>();
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            for (Step step : steps) {
                client.send(step.sent());
                for (int expected : step.replies()) {
                    if (expected == CLOSED) {
                        assertThat(client.closedByServer()).as("after " + step + " (heard " + heard + ")").isTrue();
                    } else {
                        Reply reply = client.reply();
                        heard.add(reply.toString());
                        assertThat(reply.code()).as("reply to " + step + " (heard " + heard + ")").isEqualTo(expected);
                    }
                }
            }
        }

        assertThat(gateway.spool.list()).hasSize(queued);
        assertThat(gateway.accepted).hasSize(queued);
        for (Envelope envelope : gateway.accepted) {
            assertThat(bodyOf(envelope)).isEqualTo(MESSAGE);
        }
        gateway.awaitSessionsEnded();
        assertThat(gateway.incoming()).isEmpty();
    }

    @Test
    void aThousandRecipientsGetTheFirstHundredAccepted() throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            StringBuilder pipelined = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                pipelined.append("RCPT TO:<r").append(i).append("@example.org>\r\n");
            }
            client.send(pipelined.toString());
            List<Integer> codes = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                codes.add(client.reply().code());
            }
            // RFC 5321 4.5.3.1.10: 452 for too many recipients, and the client sends the rest in another transaction.
            assertThat(codes.subList(0, LoopbackGateway.MAX_RECIPIENTS)).containsOnly(250);
            assertThat(codes.subList(LoopbackGateway.MAX_RECIPIENTS, 1000)).containsOnly(452);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send(MESSAGE + ".\r\n");
            assertThat(client.reply().code()).isEqualTo(250);
        }

        assertThat(gateway.spool.list()).singleElement().satisfies(envelope -> assertThat(envelope.recipients()).hasSize(LoopbackGateway.MAX_RECIPIENTS));
    }

    @Test
    void aClientThatHangsUpInTheMiddleOfDataLeavesNothingQueued() throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            client.command("RCPT TO:<bob@example.org>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: cut short\r\n\r\nThe first half of a message");
        }

        gateway.awaitSessionsEnded();
        assertThat(gateway.incoming()).isEmpty();
        assertThat(gateway.spool.list()).isEmpty();
        assertThat(gateway.accepted).isEmpty();
    }

    @Test
    void aClientThatHangsUpInTheMiddleOfABdatChunkLeavesNothingQueued() throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            client.command("RCPT TO:<bob@example.org>");
            client.send("BDAT 1000 LAST\r\nSubject: cut short\r\n\r\nThe first half of a message");
        }

        gateway.awaitSessionsEnded();
        assertThat(gateway.incoming()).isEmpty();
        assertThat(gateway.spool.list()).as("a chunk cut short is no message").isEmpty();
        assertThat(gateway.accepted).isEmpty();
    }

    @Test
    void theRestOfARefusedMessageIsReadAsDataNeverRunAsCommands() throws Exception {
        // A message over the limit whose tail is a whole SMTP transaction: it is data, whatever it looks like.
        String smuggled = "\r\nRSET\r\nMAIL FROM:<mallory@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nnot from alice\r\n";
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            client.command("RCPT TO:<bob@example.org>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            // Lines short enough to pass as commands, and far more of them than the limit lets in.
            client.send("Subject: big\r\n\r\n" + ("x".repeat(76) + "\r\n").repeat(3000) + smuggled + ".\r\n");

            assertThat(client.reply().toString()).startsWith("552 5.3.4 Message too big");
            assertThat(client.command("NOOP").code()).as("the next reply answers the next command").isEqualTo(250);
        }

        assertThat(gateway.spool.list()).isEmpty();
        assertThat(gateway.accepted).isEmpty();
    }

    @Test
    void aRefusedMessageEndsItsTransactionSoTheNextMailStartsAFreshOne() throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            client.command("RCPT TO:<bob@example.org>");
            client.command("DATA");
            client.send(("Received: from loop\r\n").repeat(60) + "\r\nlooping\r\n.\r\n");
            assertThat(client.reply().toString()).startsWith("554 5.4.6 Routing loop");

            // RFC 5321 4.1.1.4: the end of the data clears the sender and the recipients, whatever the reply was.
            assertThat(client.command("MAIL FROM:<carol@example.org>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<dave@example.org>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send(MESSAGE + ".\r\n");
            assertThat(client.reply().code()).isEqualTo(250);
        }

        assertThat(gateway.spool.list()).singleElement().satisfies(envelope -> {
            assertThat(envelope.sender()).isEqualTo("carol@example.org");
            assertThat(envelope.recipients()).extracting(Envelope.Recipient::address).containsExactly("dave@example.org");
        });
    }

    @Test
    void startTlsTwiceIsRefusedAndTheSessionGoesOnEncrypted() throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            assertThat(client.command("EHLO client.example.org").text()).contains("STARTTLS");
            assertThat(client.command("STARTTLS").code()).isEqualTo(220);
            client.startTls(HopTrust.anyCertificate());
            assertThat(client.command("EHLO client.example.org").code()).isEqualTo(250);

            // RFC 3207 4: a client must not start TLS twice. SubEthaSMTP answers 454 (a temporary failure), where 503 (bad sequence) would say it plainly.
            assertThat(client.command("STARTTLS").toString()).isEqualTo("454 TLS not available due to temporary reason: TLS already active");
            assertThat(client.command("MAIL FROM:<alice@example.org>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<bob@example.org>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send(MESSAGE + ".\r\n");
            assertThat(client.reply().code()).isEqualTo(250);
        }

        assertThat(gateway.spool.list()).hasSize(1);
    }

    private String bodyOf(Envelope envelope) throws IOException {
        try (InputStream in = gateway.spool.open(envelope.id())) {
            String message = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // The gateway's own Received field comes first; what follows is what the client sent.
            return message.substring(message.indexOf("\r\n", message.indexOf(";\r\n\t") + 3) + 2);
        }
    }
}
