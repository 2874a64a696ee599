package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmtpTest {

    static Smtp.Lines lines(String text) {
        return new Smtp.Lines(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** A stream that hands out one byte per read, so every line end falls across buffer refills. */
    static InputStream trickle(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return new InputStream() {
            int i;

            @Override
            public int read() {
                return i < bytes.length ? bytes[i++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (i >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[i++];
                return 1;
            }
        };
    }

    @Test
    void linesEndInCrlfOrLfAndTheLastMayHaveNone() throws IOException {
        for (Smtp.Lines in : List.of(lines("one\r\ntwo\nthree\r\n\r\nlast"), new Smtp.Lines(trickle("one\r\ntwo\nthree\r\n\r\nlast")))) {
            assertThat(in.readLine()).isEqualTo("one");
            assertThat(in.readLine()).isEqualTo("two");
            assertThat(in.readLine()).isEqualTo("three");
            assertThat(in.readLine()).isEmpty();
            assertThat(in.readLine()).isEqualTo("last");
            assertThat(in.readLine()).isNull();
        }
    }

    @Test
    void repliesAreReadWithTheirContinuationLines() throws IOException {
        Smtp.Lines in = lines("250-sink.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n354 go ahead\r\n221\r\n");
        Smtp.Reply ehlo = Smtp.Reply.read(in);
        assertThat(ehlo.code()).isEqualTo(250);
        assertThat(ehlo.lines()).containsExactly("sink.test", "PIPELINING", "8BITMIME");
        assertThat(ehlo.positive()).isTrue();
        assertThat(Smtp.Reply.read(in).text()).isEqualTo("354 go ahead");
        assertThat(Smtp.Reply.read(in).lines()).containsExactly("");
        assertThatThrownBy(() -> Smtp.Reply.read(in)).isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> Smtp.Reply.read(lines("HTTP/1.1 400 Bad Request\r\n"))).isInstanceOf(IOException.class).hasMessageContaining("not an SMTP reply");
        assertThat(new Smtp.Reply(451, List.of("try later")).transientFailure()).isTrue();
        assertThat(new Smtp.Reply(554, List.of("no")).transientFailure()).isFalse();
    }

    @Test
    void messageIdsCarryTheRunAndIndex() {
        String id = Smtp.messageId("gw", 9_999);
        assertThat(id).isEqualTo("bench-gw-9999@source.test");
        assertThat(Smtp.parseMessageId(id)).isEqualTo(Map.entry("gw", 9_999L));
        assertThat(Smtp.parseMessageId("<" + Smtp.messageId("check-gateway", 2) + ">")).isEqualTo(Map.entry("check-gateway", 2L));
        assertThat(Smtp.parseMessageId("1fe7.0003.0000@vm")).isNull();
        assertThat(Smtp.parseMessageId("bench-x@source.test")).isNull();
        assertThat(Smtp.parseMessageId(null)).isNull();
    }

    @Test
    void bodiesAreExactlyAsLongAsAskedWithShortNumberedLines() {
        for (int length : List.of(0, 1, 2, 79, 80, 81, 51_200)) {
            byte[] body = Smtp.body(length);
            assertThat(body).hasSize(length);
            assertThat(Smtp.bodyDigest(length)).isEqualTo(Smtp.sha256().digest(body));
        }
        String text = new String(Smtp.body(51_200), StandardCharsets.US_ASCII);
        assertThat(text).endsWith("\r\n").startsWith("1");
        for (String line : text.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(Smtp.BODY_LINE);
            assertThat(line).doesNotStartWith(".");
        }
        assertThat(text.split("\r\n")).doesNotHaveDuplicates();
    }

    @Test
    void theHeaderNamesTheMessageAndItsMimeType() {
        String header = new String(Smtp.header("bench-a-1@source.test", "bench-a-1@source.test", "rcpt@relay.test",
                ZonedDateTime.parse("2026-01-02T03:04:05Z")), StandardCharsets.US_ASCII);
        assertThat(header).contains("Message-ID: <bench-a-1@source.test>\r\n", "To: <rcpt@relay.test>\r\n", "Date: Fri, 2 Jan 2026 03:04:05 GMT\r\n",
                "Content-Type: text/plain; charset=us-ascii\r\n").endsWith("\r\n\r\n");
    }

    @Test
    void headerFieldsAreUnfoldedAndNamedInLowerCase() {
        Map<String, String> fields = Smtp.headerFields(List.of("Content-Type: application/pkcs7-mime;", "\tsmime-type=enveloped-data;", " name=smime.p7m",
                "Message-Id: <a@b>", "Message-ID: <second@b>", "garbage without colon", "X-Empty:"));
        assertThat(fields.get("content-type")).isEqualTo("application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m");
        assertThat(fields.get("message-id")).isEqualTo("<a@b>");
        assertThat(fields.get("x-empty")).isEmpty();
    }

    @Test
    void pathArgumentsAreTheAddressInBrackets() {
        assertThat(Smtp.pathArgument("MAIL FROM:<a@b.test> SIZE=123 BODY=8BITMIME")).isEqualTo("a@b.test");
        assertThat(Smtp.pathArgument("RCPT TO: <rcpt@relay.test>")).isEqualTo("rcpt@relay.test");
        assertThat(Smtp.pathArgument("MAIL FROM:<>")).isEmpty();
        assertThat(Smtp.pathArgument("MAIL FROM:a@b SIZE=1")).isEqualTo("a@b");
        assertThat(Smtp.pathArgument("DATA")).isEmpty();
    }

    @Test
    void throttledStreamsWaitOnlyWhenAhead() throws IOException {
        assertThat(Throttled.delayNanos(1_000_000, 0, 1_000_000)).isEqualTo(1_000_000_000L);
        assertThat(Throttled.delayNanos(1_000_000, 400_000_000, 1_000_000)).isEqualTo(600_000_000L);
        assertThat(Throttled.delayNanos(1_000, 2_000_000_000L, 1_000_000)).isZero();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Throttled.Output throttled = new Throttled.Output(out, Long.MAX_VALUE / 2)) {
            throttled.write(Smtp.body(200_000));
        }
        assertThat(out.toByteArray()).isEqualTo(Smtp.body(200_000));
        assertThat(new Throttled.Input(new ByteArrayInputStream(Smtp.body(100_000)), Long.MAX_VALUE / 2).readAllBytes()).isEqualTo(Smtp.body(100_000));
    }
}
