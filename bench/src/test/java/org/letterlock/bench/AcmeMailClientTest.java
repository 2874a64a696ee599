package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class AcmeMailClientTest {

    private static SmtpSink.Arrival mail(String to, String subject) {
        return new SmtpSink.Arrival("m@ca.test", "acme@ca.test", "text/plain", 10, 0, 1, null, Map.of("to", to, "subject", subject));
    }

    @Test
    void aChallengeMailReachesTheClientWaitingForItsRecipientWhicheverComesFirst() throws Exception {
        AcmeMailClient.Mailboxes mailboxes = new AcmeMailClient.Mailboxes();
        var waiting = mailboxes.mailFor("ada@example.org");
        mailboxes.deliver(mail("Ada <ADA@example.org>", "ACME: token-one"));
        assertThat(waiting.getNow(null)).isNotNull();

        mailboxes.deliver(mail("bob@example.org", "ACME: token-two"));
        assertThat(mailboxes.mailFor("bob@example.org").getNow(null).fields()).containsEntry("subject", "ACME: token-two");
    }

    @Test
    void otherMailIsNotTakenForAChallenge() {
        AcmeMailClient.Mailboxes mailboxes = new AcmeMailClient.Mailboxes();
        mailboxes.deliver(mail("eve@example.org", "Your enrollment secret"));
        assertThat(mailboxes.mailFor("eve@example.org")).isNotDone();
    }

    /** About one key in 128 has a coordinate with a leading zero byte: the JWK must still carry 32 bytes (RFC 7518 section 6.2.1.2). */
    @RepeatedTest(20)
    void jwkCoordinatesAreAlways32Bytes() {
        for (int i = 0; i < 50; i++) {
            ECPublicKey key = (ECPublicKey) Ocsp.ecP256().getPublic();
            Map<String, Object> jwk = Json.object(AcmeClient.jwk(key));
            byte[] x = Base64.getUrlDecoder().decode(Json.string(jwk, "x"));
            byte[] y = Base64.getUrlDecoder().decode(Json.string(jwk, "y"));
            assertThat(x).hasSize(32);
            assertThat(y).hasSize(32);
            assertThat(new BigInteger(1, x)).isEqualTo(key.getW().getAffineX());
            assertThat(new BigInteger(1, y)).isEqualTo(key.getW().getAffineY());
        }
    }
}
