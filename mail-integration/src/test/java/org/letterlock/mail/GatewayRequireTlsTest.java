package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * REQUIRETLS (RFC 8689): offered only under TLS and refused in clear; a message that asks for it never takes a
 * weaker hop: Postfix 3.7, the next hop here, does not offer REQUIRETLS, so the sender gets it back with 5.7.30.
 */
class GatewayRequireTlsTest extends GatewayBeforePostfixTest {

    @Test
    void requireTlsIsOfferedOnlyUnderTlsAndAMessageAskingForItNeverTakesAHopWithoutIt() throws Exception {
        try (SmtpSession session = new SmtpSession(gateway.receiver.port())) {
            List<String> clear = session.say("EHLO client.example.org");
            assertThat(clear).anySatisfy(l -> assertThat(l).contains("STARTTLS")).noneSatisfy(l -> assertThat(l).contains("REQUIRETLS"));
            assertThat(session.say("MAIL FROM:<alice@example.org> REQUIRETLS").get(0)).startsWith("530 5.7.10");

            session.startTls();
            List<String> secured = session.say("EHLO client.example.org");
            assertThat(secured).anySatisfy(l -> assertThat(l).contains("REQUIRETLS")).noneSatisfy(l -> assertThat(l).contains("STARTTLS"));
            assertThat(session.say("MAIL FROM:<alice@example.org> REQUIRETLS").get(0)).startsWith("250");
            assertThat(session.say("RCPT TO:<bob@example.org>").get(0)).startsWith("250");
            assertThat(session.say("DATA").get(0)).startsWith("354");
            assertThat(session.say("Subject: only over verified TLS\r\n\r\nsecret\r\n.").get(0)).startsWith("250 2.0.0 Ok: queued as");
            session.say("QUIT");
        }

        String bounce = Files.readString(hop.awaitDelivered(1, Duration.ofSeconds(30)).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; bob@example.org", "Status: 5.7.30",
                "REQUIRETLS: the hop does not offer REQUIRETLS");
        assertThat(bounce).doesNotContain("Delivered-To: bob@example.org");
    }
}
