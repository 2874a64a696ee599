package org.letterlock.enroll.acme;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Test classes that share one running ACME server (with its SMTP and LMTP reply receivers) for all their cases. */
abstract class AcmeServerTests {
    @TempDir
    static Path work;
    static AcmeTestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new AcmeTestServer(work);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }
}
