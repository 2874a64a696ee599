package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.mail.PostfixHop;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;

/**
 * The reply path docs/enrollment.md gives admins: the organisation's MTA (a private Postfix here) takes the client's
 * reply over SMTP and hands the challenge address's mail on to the LMTP receiver with its own lmtp client (transport
 * map {@code lmtp:inet:...}). Postfix relays what the receiver takes and bounces what it refuses, by the receiver's
 * answer to the recipient after DATA.
 */
class AcmePostfixLmtpTest extends AcmeServerTests {
    static PostfixHop mta;

    @BeforeAll
    static void startMta() throws Exception {
        // Postfix's socket paths are short, and its user must be able to enter the folder: not the JUnit work folder.
        // The transport map entry docs/enrollment.md gives.
        mta = PostfixHop.startRelaying(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), AcmeTestServer.domain(AcmeTestServer.CHALLENGE_FROM),
                AcmeTestServer.CHALLENGE_FROM, "lmtp:[127.0.0.1]:" + server.replies.lmtpPort());
    }

    @AfterAll
    static void stopMta() throws Exception {
        if (mta != null) {
            mta.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "the right response is taken,  true,  VALID,   status=sent (250 2.6.0 reply for order",
        "a wrong response is bounced,  false, INVALID, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.7.1 the ACME response",
    })
    void postfixHandsTheReplyToTheLmtpReceiver(String name, boolean rightResponse, Status challengeStatus, String logged) throws Exception {
        String mailbox = EnrollFixture.newMailbox("postfix");
        server.fixture.verifiedMailbox(mailbox, "pat");
        AcmeTestServer.ChallengedOrder ordered = server.challengedOrder(mailbox);
        Challenge challenge = ordered.challenge();
        String response = ordered.response(rightResponse ? "" : "x");
        Path reply = Files.write(work.resolve(mailbox + ".eml"), ordered.mail().reply(mailbox, response, AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));

        String swaks = AcmeTestServer.run("swaks", "--server", "127.0.0.1:" + mta.port(), "--from", mailbox, "--to", AcmeTestServer.CHALLENGE_FROM,
                "--data", "@" + reply);

        Matcher queued = Pattern.compile("<-  250 2\\.0\\.0 Ok: queued as ([0-9A-F]+)").matcher(swaks);
        assertThat(queued.find()).as("Postfix queues the reply: " + swaks).isTrue();
        assertThat(challenge.waitForCompletion(Duration.ofSeconds(20))).as(AcmePostfixLmtpTest::maillog).isEqualTo(challengeStatus);
        // This message's delivery line: "<queue id>: to=<...>, relay=127.0.0.1[127.0.0.1]:<port>, ..., status=...".
        String delivery = queued.group(1) + ": to=<" + AcmeTestServer.CHALLENGE_FROM + ">, relay=127.0.0.1[127.0.0.1]:" + server.replies.lmtpPort();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (deliveryLine(delivery).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(deliveryLine(delivery)).as(AcmePostfixLmtpTest::maillog).hasValueSatisfying(line -> assertThat(line).contains(logged));
    }

    private static Optional<String> deliveryLine(String start) {
        return maillog().lines().filter(line -> line.contains(start)).findFirst();
    }

    private static String maillog() {
        try {
            return mta.maillog();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
