package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A reply that arrives while the database cannot be reached is no verdict: both receivers answer 451, so the MTA keeps
 * the reply and tries again, instead of 550, which would bounce it for good. The database is closed under the running
 * receivers, as when PostgreSQL goes away.
 */
class AcmeReplyStoreGoneTest extends AcmeServerTests {

    @BeforeAll
    static void closeTheDatabase() {
        server.fixture.platform.database().close();
    }

    @Test
    void bothReceiversAskTheMtaToTryAgain() throws Exception {
        Path reply = Files.writeString(work.resolve("reply.eml"), "From: someone@example.org\r\nTo: " + AcmeTestServer.CHALLENGE_FROM
                + "\r\nSubject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAA\r\n\r\n-----BEGIN ACME RESPONSE-----\r\nx\r\n-----END ACME RESPONSE-----\r\n", StandardCharsets.US_ASCII);
        for (AcmeTestServer.Via transport : AcmeTestServer.Via.values()) {
            assertThat(server.swaks(transport, "someone@example.org", reply)).as(transport.toString())
                    .contains("451 4.3.0 the reply cannot be judged now").doesNotContain(" 550 ");
        }
    }
}
