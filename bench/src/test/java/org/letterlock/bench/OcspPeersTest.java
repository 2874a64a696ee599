package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class OcspPeersTest {
    private static final ZonedDateTime EXPIRY = ZonedDateTime.of(2027, 11, 28, 16, 0, 0, 0, ZoneOffset.UTC);
    private static final ZonedDateTime REVOKED = ZonedDateTime.of(2026, 11, 28, 15, 4, 5, 0, ZoneOffset.UTC);

    @Test
    void writesOpensslIndexLines() {
        assertThat(OcspPeers.indexLine(new BigInteger("abc", 16), false, EXPIRY, REVOKED, "/CN=user1@example.org"))
                .isEqualTo("V\t271128160000Z\t\t0ABC\tunknown\t/CN=user1@example.org");
        assertThat(OcspPeers.indexLine(new BigInteger("1f", 16), true, EXPIRY.withZoneSameInstant(ZoneOffset.ofHours(2)), REVOKED, "/CN=x"))
                .isEqualTo("R\t271128160000Z\t261128150405Z,keyCompromise\t1F\tunknown\t/CN=x");
    }

    @Test
    void runsTheResponderWithTheCaAsSignerAndMultiOnlyForMoreThanOneProcess() {
        Path dir = Path.of("/b/peer");
        assertThat(OcspPeers.responderCommand(dir, 1)).containsExactly("openssl", "ocsp", "-index", "/b/peer/index.txt", "-CA", "/b/peer/ca.pem",
                "-rsigner", "/b/peer/ca.pem", "-rkey", "/b/peer/ca.key", "-port", "8888", "-ndays", "1");
        assertThat(OcspPeers.responderCommand(dir, 2)).endsWith("-multi", "2");
    }
}
