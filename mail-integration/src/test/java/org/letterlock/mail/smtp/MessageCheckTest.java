package org.letterlock.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageCheckTest {

    @Test
    void aMessageWithinTheLimitsPasses() {
        byte[] message = ("Received: from a\r\nReceived: from b\r\nSubject: x\r\n\r\n" + "Received: in the body is not a hop\r\n".repeat(100)).getBytes(StandardCharsets.US_ASCII);
        assertThatCode(() -> new MessageCheck(10_000).scan(message, message.length)).doesNotThrowAnyException();
    }

    @Test
    void tooManyHopsIsALoop() {
        byte[] message = ("Received: from x\r\n".repeat(SmtpReceiver.MAX_HOPS + 1) + "\r\nbody").getBytes(StandardCharsets.US_ASCII);
        MessageCheck.Refused refused = catchThrowableOfType(MessageCheck.Refused.class, () -> new MessageCheck(1_000_000).scan(message, message.length));
        assertThat(refused.code()).isEqualTo(554);
        assertThat(refused.getMessage()).startsWith("5.4.6 Routing loop");
    }

    @Test
    void hopsAreCountedAcrossWrites() {
        MessageCheck check = new MessageCheck(1_000_000);
        byte[] line = "RECEIVED: from x\n".getBytes(StandardCharsets.US_ASCII);
        MessageCheck.Refused refused = catchThrowableOfType(MessageCheck.Refused.class, () -> {
            for (int i = 0; i <= SmtpReceiver.MAX_HOPS; i++) {
                check.scan(new byte[] {line[0], line[1], line[2]}, 3);
                byte[] rest = java.util.Arrays.copyOfRange(line, 3, line.length);
                check.scan(rest, rest.length);
            }
        });
        assertThat(refused).isNotNull();
    }

    @Test
    void anOversizedMessageGets552() {
        MessageCheck check = new MessageCheck(100);
        MessageCheck.Refused refused = catchThrowableOfType(MessageCheck.Refused.class, () -> check.scan(new byte[101], 101));
        assertThat(refused.code()).isEqualTo(552);
        assertThat(refused.getMessage()).startsWith("5.3.4 Message too big");
    }

    @Test
    void tooManyHeaderFieldsGet552WhileFoldedLinesDoNotCount() {
        byte[] folded = ("Subject: one field\r\n" + " folded on\r\n".repeat(SmtpReceiver.MAX_HEADER_FIELDS + 10) + "X: 1\r\n".repeat(SmtpReceiver.MAX_HEADER_FIELDS - 1)
                + "\r\n" + "X: in the body\r\n".repeat(100)).getBytes(StandardCharsets.US_ASCII);
        assertThatCode(() -> new MessageCheck(10_000_000).scan(folded, folded.length)).doesNotThrowAnyException();
        byte[] flood = ("X: 1\r\n".repeat(SmtpReceiver.MAX_HEADER_FIELDS + 1) + "\r\nbody").getBytes(StandardCharsets.US_ASCII);
        MessageCheck.Refused refused = catchThrowableOfType(MessageCheck.Refused.class, () -> new MessageCheck(10_000_000).scan(flood, flood.length));
        assertThat(refused.code()).isEqualTo(552);
        assertThat(refused.getMessage()).isEqualTo("5.3.4 Too many header fields (at most " + SmtpReceiver.MAX_HEADER_FIELDS + ")");
    }

    @Test
    void aHeaderFloodGets552EvenWithinTheMessageSize() {
        byte[] flood = ("X-Flood: " + "a".repeat(1000) + "\r\n").repeat(1100).getBytes(StandardCharsets.US_ASCII);
        MessageCheck.Refused refused = catchThrowableOfType(MessageCheck.Refused.class, () -> new MessageCheck(10_000_000).scan(flood, flood.length));
        assertThat(refused.code()).isEqualTo(552);
        assertThat(refused.getMessage()).contains("Header section too big");
    }
}
