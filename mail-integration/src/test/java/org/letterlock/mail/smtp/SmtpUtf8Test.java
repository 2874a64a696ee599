package org.letterlock.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SMTPUTF8 (RFC 6531) going out: a message with an address beyond US-ASCII, or UTF-8 in its header, is sent with the
 * SMTPUTF8 parameter to a hop that offers it; one with such an address is not sent to a hop that does not (553
 * 5.6.7, returned to the sender), while UTF-8 in the header alone still goes there as 8-bit data.
 */
class SmtpUtf8Test {

    /** 8-bit data in the body alone is 8BITMIME's business, not SMTPUTF8's, whether the lines end in CRLF or LF. */
    @ParameterizedTest(name = "line end {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"\r\n", "\n"})
    void utf8InTheBodyAloneDoesNotAskForSmtpUtf8(String lineEnd) throws Exception {
        try (ScriptedHop hop = new ScriptedHop(List.of("8BITMIME", "SMTPUTF8"), Duration.ZERO)) {
            SmtpClient client = hop.connect(Duration.ofSeconds(30));
            try {
                List<SmtpClient.RecipientReply> replies = client.send("alice@example.org", List.of("bob@example.net"),
                        out -> out.write(("Subject: hello" + lineEnd + lineEnd + "Grüße" + lineEnd).getBytes(StandardCharsets.UTF_8)));
                assertThat(replies).singleElement().satisfies(r -> assertThat(r.reply().code()).isEqualTo(250));
                assertThat(hop.commands()).contains("MAIL FROM:<alice@example.org> BODY=8BITMIME");
            } finally {
                client.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "ascii-to-a-hop-with-smtputf8         | true  | bob@example.net  | Subject: hello     | 250 | MAIL FROM:<alice@example.org> BODY=8BITMIME",
            "utf8-recipient-with-smtputf8         | true  | jörg@example.net | Subject: hello     | 250 | MAIL FROM:<alice@example.org> BODY=8BITMIME SMTPUTF8",
            "utf8-header-with-smtputf8            | true  | bob@example.net  | Subject: Grüße     | 250 | MAIL FROM:<alice@example.org> BODY=8BITMIME SMTPUTF8",
            "utf8-header-without-smtputf8         | false | bob@example.net  | Subject: Grüße     | 250 | MAIL FROM:<alice@example.org> BODY=8BITMIME",
            "refuses/utf8-recipient-without-smtputf8 | false | jörg@example.net | Subject: hello  | 553 | ",
    })
    void theParameterGoesWhereTheMessageNeedsItAndTheHopOffersIt(String name, boolean offered, String recipient, String subject, int code, String mailCommand)
            throws Exception {
        try (ScriptedHop hop = new ScriptedHop(offered ? List.of("8BITMIME", "SMTPUTF8") : List.of("8BITMIME"), Duration.ZERO)) {
            SmtpClient client = hop.connect(Duration.ofSeconds(30));
            try {
                List<SmtpClient.RecipientReply> replies = client.send("alice@example.org", List.of(recipient),
                        out -> out.write((subject + "\r\n\r\nhello\r\n").getBytes(StandardCharsets.UTF_8)));

                assertThat(replies).singleElement().satisfies(r -> assertThat(r.reply().code()).as(r.reply().toString()).isEqualTo(code));
                if (code == 553) {
                    assertThat(replies.get(0).reply().toString()).contains("5.6.7");
                    assertThat(hop.commands()).noneMatch(c -> c.startsWith("MAIL"));
                } else {
                    assertThat(hop.commands()).contains(mailCommand, "RCPT TO:<" + recipient + ">");
                }
            } finally {
                client.close();
            }
        }
    }
}
