package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.store.Outbox;

/**
 * The gateway as an after-queue content filter of a real Postfix, set up with the very master.cf lines
 * docs/mail-gateway.md gives: mail submitted to Postfix goes over TLS to the gateway, comes back S/MIME-encrypted on
 * the re-injection listener, and is delivered once (not filtered again).
 */
class GatewayBehindPostfixTest {
    @TempDir
    Path work;

    private GatewayFixture gateway;
    private PostfixHop postfix;

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayFixture(work);
    }

    @AfterEach
    void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void mailSubmittedToPostfixPassesTheGatewayOnceAndArrivesEncrypted() throws Exception {
        int reinjection = PostfixHop.freePort();
        int entry = PostfixHop.freePort();
        gateway.startGateway(gateway.settings(reinjection, GatewaySettings.NextHopTls.REQUIRED, 10_000_000));
        postfix = PostfixHop.startAround(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), gateway.hopCertificate("postfix"),
                entry, gateway.receiver.port(), reinjection);
        String carol = "carol-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        gateway.platform.identities().register(carol, "carol");
        gateway.platform.identities().verify(Outbox.verificationToken(GatewayFixture.TOKEN_DATA, carol));
        var keys = TestRequests.ec("secp256r1");
        IssuedCertificate certificate = gateway.ca.issue(IssueRequest.mailbox("mailbox-encryption", TestRequests.csr(keys, "CN=x", List.of(carol)).getEncoded(), carol),
                new Requester("rita", Set.of(Role.RA_OFFICER)));

        Process swaks = new ProcessBuilder("swaks", "--from", "alice@example.org", "--to", carol, "--server", "127.0.0.1:" + entry, "--header", "Subject: via postfix",
                "--body", "filtered once").redirectErrorStream(true).start();
        String sent = new String(swaks.getInputStream().readAllBytes());
        assertThat(swaks.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(swaks.exitValue()).as(sent).isZero();

        String copy = Files.readString(postfix.awaitDelivered(1, Duration.ofSeconds(60)).get(0));
        assertThat(copy).contains("Subject: [...]", "application/pkcs7-mime", "(Letterlock) with ESMTPS id").doesNotContain("filtered once");
        assertThat(copy.split("\\(Letterlock\\)", -1)).as("the gateway saw it once").hasSize(2);
        assertThat(postfix.maillog()).containsPattern("TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1]:" + gateway.receiver.port());
        Path certificatePem = Files.writeString(work.resolve("carol.pem"), Certificates.pem(certificate.holder()));
        Path key = Files.writeString(work.resolve("carol.key"), Certificates.pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        Path copyFile = postfix.delivered().get(0);
        Process opened = new ProcessBuilder("openssl", "cms", "-decrypt", "-in", copyFile.toString(), "-recip", certificatePem.toString(), "-inkey", key.toString())
                .redirectErrorStream(true).start();
        String clear = new String(opened.getInputStream().readAllBytes());
        assertThat(opened.waitFor()).as(clear).isZero();
        assertThat(clear).contains("Subject: via postfix", "filtered once");
        Thread.sleep(1000);
        assertThat(postfix.delivered()).as("delivered once").hasSize(1);
    }
}
