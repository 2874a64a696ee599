package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChallengeReplyTest {
    private static final String TOKEN = "JsFfyZkpqG7Hrv7lP8ZOuA";
    private static final AcmeClient.Challenge CHALLENGE = new AcmeClient.Challenge(URI.create("https://ca.example.org/acme/chall/1"), "acme-challenge@ca.example.org", "part2");

    private static byte[] mail(String from, String autoSubmitted, String subject) {
        return ("From: " + from + "\r\nTo: ann@example.org\r\nMessage-ID: <1.part2@ca.example.org>\r\n" + (autoSubmitted.isEmpty() ? "" : "Auto-Submitted: " + autoSubmitted + "\r\n")
                + "Subject: " + subject + "\r\nContent-Type: text/plain\r\n\r\nThis message proves ...\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "the challenge                     | acme-challenge@ca.example.org           | auto-generated; type=acme  | ACME: " + TOKEN + " | ",
        "the sender in another case        | ACME-Challenge@CA.example.org           | auto-generated;type=acme   | ACME: " + TOKEN + " | ",
        "a display name                    | \"Letterlock\" <acme-challenge@ca.example.org> | auto-generated; type=acme | ACME: " + TOKEN + " | ",
        "another sender                    | mallory@example.net                     | auto-generated; type=acme  | ACME: " + TOKEN + " | it is from mallory@example.net, the challenge comes from acme-challenge@ca.example.org",
        "no Auto-Submitted                 | acme-challenge@ca.example.org           |                            | ACME: " + TOKEN + " | it lacks \"Auto-Submitted: auto-generated; type=acme\"",
        "Auto-Submitted without type=acme  | acme-challenge@ca.example.org           | auto-generated             | ACME: " + TOKEN + " | it lacks \"Auto-Submitted",
        "another Subject                   | acme-challenge@ca.example.org           | auto-generated; type=acme  | Your invoice        | its Subject is \"Your invoice\"",
        "a token too short                 | acme-challenge@ca.example.org           | auto-generated; type=acme  | ACME: abc           | \"abc\" is not an ACME token",
    })
    void readsOnlyTheChallengeMail(String name, String from, String autoSubmitted, String subject, String refusal) throws Exception {
        byte[] raw = mail(from, autoSubmitted == null ? "" : autoSubmitted, subject);
        if (refusal == null) {
            assertThat(ChallengeReply.fromMail(raw, CHALLENGE).tokenPart1()).isEqualTo(TOKEN);
        } else {
            assertThatThrownBy(() -> ChallengeReply.fromMail(raw, CHALLENGE)).isInstanceOf(IOException.class).hasMessageContaining(refusal);
        }
    }

    @ParameterizedTest(name = "\"{0}\"")
    @CsvSource(delimiter = '|', value = {
        "ACME: " + TOKEN + "          | true",
        "Subject: ACME: " + TOKEN + " | true",
        "acme:" + TOKEN + "           | true",
        TOKEN + "                     | true",
        "Re: ACME: " + TOKEN + "      | false",
        "ACME: " + TOKEN + " extra    | false",
    })
    void takesTheSubjectLineAsPeopleCopyIt(String line, boolean taken) throws Exception {
        if (taken) {
            assertThat(ChallengeReply.fromSubject(line).tokenPart1()).isEqualTo(TOKEN);
        } else {
            assertThatThrownBy(() -> ChallengeReply.fromSubject(line)).isInstanceOf(IOException.class).hasMessageContaining("is not an ACME token");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"from the mail, true", "from a Subject line, false"})
    void theReplyAnswersTheChallengeAsRfc8823Asks(String name, boolean fromMail) throws Exception {
        ChallengeReply challenge = fromMail ? ChallengeReply.fromMail(mail(CHALLENGE.from(), "auto-generated; type=acme", "ACME: " + TOKEN), CHALLENGE)
                : ChallengeReply.fromSubject("ACME: " + TOKEN);

        MimeMessage reply = challenge.reply(Session.getInstance(new Properties()), "ann@example.org", CHALLENGE, "cmVzcG9uc2U");

        assertThat(reply.getHeader("From", ",")).isEqualTo("ann@example.org");
        assertThat(reply.getHeader("To", ",")).isEqualTo(CHALLENGE.from());
        assertThat(reply.getSubject()).isEqualTo("Re: ACME: " + TOKEN);
        assertThat(reply.getHeader("In-Reply-To", ",")).isEqualTo(fromMail ? "<1.part2@ca.example.org>" : null);
        assertThat(reply.getContentType()).startsWith("text/plain");
        assertThat((String) reply.getContent()).isEqualTo("-----BEGIN ACME RESPONSE-----\r\ncmVzcG9uc2U\r\n-----END ACME RESPONSE-----\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"http://mail.example.org", "smtp:mail.example.org", "submission://mail.example.org:587"})
    void aMailServerIsNamedBySmtpOrSmtpsUrl(String url) {
        assertThatThrownBy(() -> ChallengeReply.MailServer.of(URI.create(url), "ann@example.org", java.util.Optional.empty(), TrustAnchor.system()))
                .isInstanceOf(IOException.class).hasMessage("--smtp takes smtp://host[:port] (STARTTLS) or smtps://host[:port], not " + url);
    }

    /** Only a name that is this machine as written may go without TLS; any other name could resolve elsewhere by the time the mail is sent. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "smtp://localhost,            true,  false, 587",
        "smtp://127.0.0.1:2525,       true,  false, 2525",
        "smtp://[::1]:25,             true,  false, 25",
        "smtp://mail.example.org,     false, false, 587",
        "smtp://10.0.0.1:25,          false, false, 25",
        "smtp://localhost.example.org, false, false, 587",
        "smtps://mail.example.org,    false, true,  465",
    })
    void tlsIsRequiredUnlessTheMailServerIsThisMachine(String url, boolean local, boolean implicitTls, int port) throws Exception {
        ChallengeReply.MailServer server = ChallengeReply.MailServer.of(URI.create(url), "ann@example.org", java.util.Optional.empty(), TrustAnchor.system());

        assertThat(server.local()).isEqualTo(local);
        assertThat(server.implicitTls()).isEqualTo(implicitTls);
        assertThat(server.port()).isEqualTo(port);
    }
}
