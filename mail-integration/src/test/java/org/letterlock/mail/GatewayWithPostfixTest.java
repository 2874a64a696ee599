package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.platform.config.GatewaySettings;

/**
 * The gateway between swaks and a real Postfix next hop: STARTTLS both ways, the hop's certificate checked against
 * Letterlock's CA, the spool surviving a restart while the hop is down, and bounces for what the hop refuses.
 */
class GatewayWithPostfixTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    private GatewayFixture gateway;
    private final List<PostfixHop> hops = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayFixture(work);
    }

    @AfterEach
    void stop() throws Exception {
        for (PostfixHop hop : hops) {
            hop.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private PostfixHop postfix(Optional<Path[]> tls) throws Exception {
        // Postfix's socket paths must stay short: not JUnit's temporary folder.
        PostfixHop hop = PostfixHop.start(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), tls);
        hops.add(hop);
        return hop;
    }

    /** swaks into the gateway with STARTTLS required and the gateway's certificate verified against Letterlock's root. */
    private Run swaks(String from, String to, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--from", from, "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(),
                "--tls", "--tls-verify", "--tls-ca-path", gateway.rootPem().toString(), "--tls-sni", "localhost", "--helo", "client.example.org"));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), output);
    }

    record Run(int exit, String output) {
    }

    @Test
    void mailReachesPostfixOverVerifiedTlsWithTheDecisionRecorded() throws Exception {
        PostfixHop hop = postfix(Optional.of(gateway.hopCertificate("localhost")));
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000));

        Run sent = swaks("alice@example.org", "bob@example.org", "--header", "Subject: quarterly figures");

        assertThat(sent.exit()).as(sent.output()).isZero();
        assertThat(sent.output()).contains("<~  250 2.0.0 Ok: queued as ");
        String copy = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(copy).contains("Delivered-To: bob@example.org", "Subject: quarterly figures",
                "by gateway.example.org (Letterlock) with ESMTPS id", "X-Letterlock-Policy: clear; route=next-hop; policy=organisation; no key for the recipient");
        assertThat(hop.maillog()).containsPattern("TLS connection established from localhost\\[127.0.0.1]: TLSv1\\.[23]");
        awaitEmptySpool();
    }

    @Test
    void aHopWhoseCertificateLetterlockDoesNotTrustGetsNothing() throws Exception {
        Path key = work.resolve("self.key");
        Path cert = work.resolve("self.pem");
        Process made = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2", "-out", cert.toString()).redirectErrorStream(true).start();
        made.getInputStream().readAllBytes();
        assertThat(made.waitFor()).isZero();
        PostfixHop hop = postfix(Optional.of(new Path[] {cert, key}));
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000));

        assertThat(swaks("alice@example.org", "bob@example.org").exit()).isZero();

        Envelope waiting = awaitAttempt();
        assertThat(waiting.recipients().get(0).status()).isEqualTo(Envelope.Status.PENDING);
        assertThat(waiting.recipients().get(0).lastReply()).startsWith("421 4.7.5 TLS with localhost:" + hop.port() + " failed");
        assertThat(hop.delivered()).isEmpty();
    }

    @Test
    void aHopWithoutStartTlsGetsNothingWhenTlsIsRequired() throws Exception {
        PostfixHop hop = postfix(Optional.empty());
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.REQUIRED, 10_000_000));

        assertThat(swaks("alice@example.org", "bob@example.org").exit()).isZero();

        assertThat(awaitAttempt().recipients().get(0).lastReply()).startsWith("421 4.7.4 localhost:" + hop.port() + " does not offer STARTTLS");
        assertThat(hop.delivered()).isEmpty();
    }

    @Test
    void tlsRequiredNoLetsAnEncryptedCopyPastAHopWithoutStartTlsButNotAClearOne() throws Exception {
        PostfixHop hop = postfix(Optional.empty());
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.REQUIRED, 10_000_000));
        gateway.policies.set("partner.test", "password", null, "cms", false, null, "admin");
        gateway.passphrases.set("alice@example.org", "partner.test", "a phrase the two of them agreed".toCharArray(), "alice");

        assertThat(swaks("alice@example.org", "pat@partner.test", "--header", "Subject: sealed anyway", "--add-header", "TLS-Required: No").exit()).isZero();

        String copy = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(copy).contains("Delivered-To: pat@partner.test", "X-Letterlock-Policy: password (cms)", "TLS-Required: No");
        assertThat(gateway.platform.auditLog().read(0, 10_000)).anySatisfy(r -> assertThat(r.event().detail()).contains(
                "tls none (letterlock.gateway.next-hop.tls=required relaxed by TLS-Required: No; opportunistic after letterlock.gateway.next-hop.tls=required failed: "
                        + "4.7.4 localhost:" + hop.port() + " does not offer STARTTLS"));
        awaitEmptySpool();

        assertThat(swaks("alice@example.org", "bob@example.org", "--header", "Subject: in clear", "--add-header", "TLS-Required: No").exit()).isZero();

        assertThat(awaitAttempt().recipients().get(0).lastReply()).startsWith("421 4.7.4 localhost:" + hop.port() + " does not offer STARTTLS");
        assertThat(hop.delivered()).hasSize(1);
    }

    @Test
    void mailAcceptedWhileTheHopIsDownIsDeliveredAfterARestartOfTheGateway() throws Exception {
        Path[] certificate = gateway.hopCertificate("localhost");
        PostfixHop down = postfix(Optional.of(certificate));
        int port = down.port();
        down.close();
        hops.remove(down);
        GatewaySettings settings = gateway.settings(port, GatewaySettings.NextHopTls.VERIFY, 10_000_000);
        gateway.startGateway(settings);
        assertThat(swaks("alice@example.org", "bob@example.org", "--header", "Subject: survives").exit()).isZero();
        assertThat(awaitAttempt().recipients().get(0).lastReply()).startsWith("451 4.4.2 next-hop localhost:" + port);

        gateway.stopGateway();
        PostfixHop up = PostfixHop.startOnPort(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), Optional.of(certificate), port);
        hops.add(up);
        gateway.startGateway(settings);

        assertThat(Files.readString(up.awaitDelivered(1, WAIT).get(0))).contains("Subject: survives");
        awaitEmptySpool();
    }

    @Test
    void aRecipientTheHopRefusesIsBouncedToTheSenderWithItsStatus() throws Exception {
        PostfixHop hop = postfix(Optional.of(gateway.hopCertificate("localhost")));
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000));

        assertThat(swaks("alice@example.org", "someone@elsewhere.test", "--header", "Subject: lost").exit()).isZero();

        String bounce = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Content-Type: multipart/report; report-type=delivery-status",
                "Final-Recipient: rfc822; someone@elsewhere.test", "Action: failed", "Status: 5.7.1", "Subject: lost");
        assertThat(bounce).containsPattern("Return-Path: <>");
        awaitEmptySpool();
    }

    @Test
    void theListenerRefusesWhatItCannotTakeWithPreciseCodesAndKeepsNothing() throws Exception {
        PostfixHop hop = postfix(Optional.of(gateway.hopCertificate("localhost")));
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 64 * 1024));

        Run tooBig = swaks("alice@example.org", "bob@example.org", "--body", "x".repeat(70 * 1024));
        Run badRecipient = swaks("alice@example.org", "bob@@example.org");
        Run badSender = swaks("al ice@example.org", "bob@example.org");

        assertThat(tooBig.output()).containsPattern("<~\\* 552 5\\.3\\.4 Message too big");
        assertThat(badRecipient.output()).containsPattern("<~\\* 553 5\\.1\\.3 ");
        assertThat(badSender.output()).containsPattern("<~\\* 5\\d\\d ");
        assertThat(gateway.spool.list()).isEmpty();
        assertThat(hop.delivered()).isEmpty();
    }

    private Envelope awaitAttempt() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<Envelope> queued = gateway.spool.list();
            if (queued.size() == 1 && queued.get(0).recipients().get(0).attempts() > 0) {
                return queued.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no delivery attempt recorded in " + WAIT.toSeconds() + " s: " + gateway.spool.list());
    }

    private void awaitEmptySpool() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline && !gateway.spool.list().isEmpty()) {
            Thread.sleep(100);
        }
        assertThat(gateway.spool.list()).isEmpty();
    }
}
