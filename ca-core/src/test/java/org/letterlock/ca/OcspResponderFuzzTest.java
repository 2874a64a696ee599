package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated DER against the OCSP parser: every answer is an OCSP response (successful, malformedRequest or
 * unauthorized), never an exception, whatever the bytes; the answer from memory is a cached one or none.
 */
class OcspResponderFuzzTest {

    @Test
    void randomAndMutatedRequestsAlwaysGetAnOcspResponse() throws Exception {
        try (OcspFixture fixture = new OcspFixture()) {
            OcspResponder ocsp = fixture.responder();
            byte[] plain = fixture.plainRequest(OcspFixture.KNOWN);
            byte[] nonce = fixture.nonceRequest(OcspFixture.KNOWN, new byte[16]);
            assertThat(new OCSPResp(ocsp.respond(plain).der()).getStatus()).isZero();
            assertThat(new OCSPResp(ocsp.respond(nonce).der()).getStatus()).isZero();

            Random random = new Random(20261128);
            int successful = 0;
            for (int i = 0; i < 3000; i++) {
                byte[] input;
                if (i % 4 == 0) {
                    input = new byte[random.nextInt(200)];
                    random.nextBytes(input);
                } else {
                    input = (i % 2 == 0 ? plain : nonce).clone();
                    int mutations = 1 + random.nextInt(3);
                    for (int m = 0; m < mutations; m++) {
                        int at = random.nextInt(input.length);
                        switch (random.nextInt(3)) {
                            case 0 -> input[at] ^= (byte) (1 << random.nextInt(8));
                            case 1 -> input[at] = (byte) random.nextInt(256);
                            default -> input = Arrays.copyOf(input, Math.max(1, at));
                        }
                    }
                }
                ocsp.respondFromMemory(input).ifPresent(answer -> assertThat(answer.outcome()).contains("cached"));
                Optional<OcspResponder.Answer> now = ocsp.respondNow(input);
                OCSPResp response = new OCSPResp(ocsp.respond(input).der());
                if (now.isPresent()) {
                    assertThat(new OCSPResp(now.get().der()).getStatus()).as("the same status now for case " + i).isEqualTo(response.getStatus());
                }
                assertThat(response.getStatus()).as("status for case " + i).isIn(0, 1, 6);
                if (response.getStatus() == 0) {
                    successful++;
                }
            }
            // Mutations in the serial or in padding still parse: some answers are real ones, as they should be.
            assertThat(successful).isPositive();

            // With no signing capacity left, what needs a signature gets tryLater; what is pre-signed is still answered.
            OcspResponder saturated = fixture.responder(0);
            assertThat(new OCSPResp(saturated.respond(nonce).der()).getStatus()).isEqualTo(3);
            assertThat(new OCSPResp(saturated.respond(plain).der()).getStatus()).isEqualTo(3);
            saturated.presign(fixture.issuer(), fixture.known());
            assertThat(new OCSPResp(saturated.respond(plain).der()).getStatus()).isZero();
        }
    }
}
