package org.letterlock.mail;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test with a fresh gateway in front of a private Postfix next hop for each test method ({@link GatewayFixture#beforePostfix}). */
abstract class GatewayBeforePostfixTest {
    @TempDir
    Path work;
    GatewayFixture gateway;
    PostfixHop hop;

    @BeforeEach
    void startGatewayBeforePostfix() throws Exception {
        gateway = GatewayFixture.beforePostfix(work);
        hop = gateway.hop;
    }

    @AfterEach
    void stopGateway() {
        if (gateway != null) {
            gateway.close();
        }
    }
}
