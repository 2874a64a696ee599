package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.keys.TestPki;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Direct delivery (next-hop=mx) with MTA-STS, against real peers: dnsmasq serves the MX, TXT and address records,
 * a private Postfix is the MX (STARTTLS with a certificate for mx.partner.test from a CA of the test's own, a stand-in
 * for a public CA, trusted through letterlock.gateway.mta-sts.trust), and the JDK's HttpsServer stands in for the
 * web server at mta-sts.partner.test. mx2.partner.test is the same Postfix under a name its certificate does not
 * carry.
 */
class GatewayMtaStsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ENFORCE_MX = "version: STSv1\nmode: enforce\nmx: mx.partner.test\nmax_age: 86400\n";

    @TempDir
    Path work;

    private GatewayFixture gateway;
    private PostfixHop mx;
    private PrivateDnsmasq dns;
    private final int dnsPort = freePort();
    private HttpsServer policyServer;
    private final AtomicReference<String> policy = new AtomicReference<>(ENFORCE_MX);
    private final AtomicInteger policyStatus = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private Path trust;

    private static int freePort() {
        try {
            return PostfixHop.freePort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayFixture(work);
        TestPki publicCa = new TestPki("Test Public CA");
        trust = Files.writeString(work.resolve("mta-sts-trust.pem"), TestPki.pem(publicCa.root));
        TestPki.Issued mxCertificate = publicCa.server("mx.partner.test");
        Path chain = Files.writeString(work.resolve("mx-chain.pem"), TestPki.pem(mxCertificate.certificate()) + TestPki.pem(publicCa.root));
        Path key = mxCertificate.writePem(work, "mx")[1];
        mx = PostfixHop.start(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), Optional.of(new Path[] {chain, key}));
        policyServer = policyServer(publicCa.server("mta-sts.partner.test"), publicCa);
    }

    private HttpsServer policyServer(TestPki.Issued certificate, TestPki ca) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", certificate.key(), new char[0], new Certificate[] {certificate.certificate(), ca.root});
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/.well-known/mta-sts.txt", exchange -> {
            fetches.incrementAndGet();
            byte[] body = policy.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(policyStatus.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (policyServer != null) {
            policyServer.stop(0);
        }
        if (mx != null) {
            mx.close();
        }
    }

    /** (Re)starts dnsmasq with partner.test's MX pointing at {@code mxHost}, and its TXT record if {@code txtId} is given. */
    private void dns(String mxHost, Optional<String> txtId) throws Exception {
        if (dns != null) {
            dns.close();
        }
        List<String> records = new ArrayList<>(List.of("--host-record=mx.partner.test,127.0.0.1", "--host-record=mx2.partner.test,127.0.0.1",
                "--host-record=mta-sts.partner.test,127.0.0.1", "--mx-host=partner.test," + mxHost + ",10",
                // Bounces to the sender go out the same way: example.org's MX is the same Postfix, without MTA-STS.
                "--mx-host=example.org,mx.partner.test,10",
                // RFC 7505 null MX: preference 0, target the root.
                "--dns-rr=nullmx.test,15,000000"));
        txtId.ifPresent(id -> records.add("--txt-record=_mta-sts.partner.test,v=STSv1; id=" + id));
        dns = PrivateDnsmasq.start(work, dnsPort, records);
    }

    private void startGateway() throws Exception {
        gateway.startGateway(gateway.deliveringDirect(new GatewaySettings.DirectDelivery(List.of(new GatewaySettings.HostPort("127.0.0.1", dnsPort)),
                Optional.of(trust), mx.port(), policyServer.getAddress().getPort())));
    }

    private void send(String to, String subject, String... headers) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--from", "alice@example.org", "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(),
                "--tls", "--helo", "client.example.org", "--header", "Subject: " + subject));
        for (String header : headers) {
            command.addAll(List.of("--add-header", header));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    /** The audit record of the delivery attempt to {@code recipient} whose detail mentions {@code subjectMarker}, waited for. */
    private String deliveryRecord(String recipient, int nth) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> details = gateway.platform.auditLog().read(0, 10_000).stream().map(AuditRecord::event)
                    .filter(e -> e.action().equals("gateway.deliver") && e.target().equals("mailbox:" + recipient)).map(e -> e.detail()).toList();
            if (details.size() >= nth) {
                return details.get(nth - 1);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no delivery record " + nth + " for " + recipient + "; dnsmasq said:\n" + dns.log());
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
        throw new AssertionError("no attempt within " + WAIT.toSeconds() + " s");
    }

    /**
     * A connection to the MX is kept a few seconds for the next message (HopConnections.IDLE), and a kept connection
     * is used without asking DNS and MTA-STS again: a test of the policy lookup waits until none is kept.
     */
    private static void awaitIdleConnectionClosed() throws InterruptedException {
        Thread.sleep(6_000);
    }

    @Test
    void enforceWithAListedMxAndAValidCertificateDeliversOverVerifiedTls() throws Exception {
        dns("mx.partner.test", Optional.of("enforce1"));
        startGateway();

        send("bob@partner.test", "over verified TLS");

        assertThat(Files.readString(mx.awaitDelivered(1, WAIT).get(0))).contains("Delivered-To: bob@partner.test", "Subject: over verified TLS",
                "X-Letterlock-Policy: clear; route=mx;");
        assertThat(deliveryRecord("bob@partner.test", 1)).containsPattern("tls TLSv1\\.[23] \\S+ verified \\(mta-sts enforce id enforce1 fetched\\); reply 250");
        assertThat(mx.maillog()).containsPattern("TLS connection established from localhost\\[127.0.0.1]: TLSv1\\.[23]");
    }

    @Test
    void enforceWithAnMxThePolicyDoesNotNameDefersAndDeliversNothing() throws Exception {
        dns("mx2.partner.test", Optional.of("enforce1"));
        startGateway();

        send("bob@partner.test", "not to an unnamed MX");

        Envelope waiting = awaitAttempt();
        assertThat(waiting.recipients().get(0).status()).isEqualTo(Envelope.Status.PENDING);
        assertThat(waiting.recipients().get(0).lastReply()).startsWith("451 4.7.5 no MX host of partner.test took the message (mta-sts enforce id enforce1 fetched)")
                .contains("mx2.partner.test is not named by the policy [mx.partner.test]");
        assertThat(mx.delivered()).isEmpty();
        assertThat(mx.maillog()).doesNotContain("TLS connection established");
    }

    @Test
    void enforceWithACertificateForAnotherNameDefers() throws Exception {
        policy.set("version: STSv1\nmode: enforce\nmx: *.partner.test\nmax_age: 86400\n");
        dns("mx2.partner.test", Optional.of("enforce2"));
        startGateway();

        send("bob@partner.test", "not to a certificate for another name");

        Envelope waiting = awaitAttempt();
        assertThat(waiting.recipients().get(0).status()).isEqualTo(Envelope.Status.PENDING);
        assertThat(waiting.recipients().get(0).lastReply()).startsWith("451 4.7.5 no MX host of partner.test")
                .contains("4.7.5 TLS with mx2.partner.test:" + mx.port() + " failed");
        assertThat(mx.delivered()).isEmpty();
    }

    @Test
    void testingModeDeliversAndRecordsWhatWasNotMet() throws Exception {
        policy.set("version: STSv1\nmode: testing\nmx: mx2.partner.test\nmax_age: 86400\n");
        dns("mx2.partner.test", Optional.of("testing1"));
        startGateway();

        send("bob@partner.test", "testing mode");

        assertThat(Files.readString(mx.awaitDelivered(1, WAIT).get(0))).contains("Subject: testing mode");
        assertThat(deliveryRecord("bob@partner.test", 1)).contains("unverified (mta-sts testing id testing1 fetched not met, testing mode; opportunistic after "
                + "mta-sts testing id testing1 fetched failed: 4.7.5 TLS with mx2.partner.test:" + mx.port() + " failed", "reply 250");
    }

    @Test
    void withoutATxtRecordMailGoesWithOpportunisticTlsAndNoPolicyIsFetched() throws Exception {
        dns("mx2.partner.test", Optional.empty());
        startGateway();

        send("bob@partner.test", "opportunistic");

        assertThat(Files.readString(mx.awaitDelivered(1, WAIT).get(0))).contains("Subject: opportunistic");
        assertThat(deliveryRecord("bob@partner.test", 1)).containsPattern("tls TLSv1\\.[23] \\S+ unverified \\(no mta-sts policy: no TXT _mta-sts.partner.test; opportunistic\\)");
        assertThat(fetches).hasValue(0);
    }

    @Test
    void aChangedTxtIdFetchesThePolicyAgainAndAFailedFetchKeepsTheCachedOne() throws Exception {
        dns("mx.partner.test", Optional.of("first"));
        startGateway();
        send("bob@partner.test", "one");
        assertThat(deliveryRecord("bob@partner.test", 1)).contains("verified (mta-sts enforce id first fetched)");
        awaitIdleConnectionClosed();
        send("bob@partner.test", "two");
        assertThat(deliveryRecord("bob@partner.test", 2)).contains("verified (mta-sts enforce id first cached)");
        assertThat(fetches).hasValue(1);

        policy.set("version: STSv1\nmode: testing\nmx: mx.partner.test\nmax_age: 86400\n");
        dns("mx.partner.test", Optional.of("second"));
        awaitIdleConnectionClosed();
        send("bob@partner.test", "three");
        assertThat(deliveryRecord("bob@partner.test", 3)).contains("verified (mta-sts testing id second fetched)");
        assertThat(fetches).hasValue(2);

        policyStatus.set(500);
        dns("mx.partner.test", Optional.of("third"));
        awaitIdleConnectionClosed();
        send("bob@partner.test", "four");
        assertThat(deliveryRecord("bob@partner.test", 4)).contains("verified (mta-sts testing id second cached; policy of partner.test not fetched: "
                + "mta-sts.partner.test answered 500)");
        assertThat(fetches).hasValue(3);
        assertThat(mx.awaitDelivered(4, WAIT)).hasSize(4);
    }

    @Test
    void aNullMxReturnsTheMessageWith5110() throws Exception {
        dns("mx.partner.test", Optional.empty());
        startGateway();

        send("carol@nullmx.test", "to nobody");

        String bounce = Files.readString(mx.awaitDelivered(1, WAIT).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; carol@nullmx.test", "Status: 5.1.10", "null MX");
    }

    /** A message sent with REQUIRETLS (RFC 8689) over a TLS session with the gateway. */
    private void sendRequiringTls(String to, String subject) throws Exception {
        try (SmtpSession session = new SmtpSession(gateway.receiver.port())) {
            session.say("EHLO client.example.org");
            session.startTls();
            session.say("EHLO client.example.org");
            assertThat(session.say("MAIL FROM:<alice@example.org> REQUIRETLS").get(0)).startsWith("250");
            assertThat(session.say("RCPT TO:<" + to + ">").get(0)).startsWith("250");
            assertThat(session.say("DATA").get(0)).startsWith("354");
            assertThat(session.say("Subject: " + subject + "\r\n\r\nonly over verified TLS\r\n.").get(0)).startsWith("250");
            session.say("QUIT");
        }
    }

    @Test
    void requireTlsWithoutAPolicyToAuthenticateTheMxIsReturned() throws Exception {
        dns("mx.partner.test", Optional.empty());
        startGateway();

        sendRequiringTls("bob@partner.test", "unauthenticated MX");

        String bounce = Files.readString(mx.awaitDelivered(1, WAIT).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; bob@partner.test", "Status: 5.7.30",
                "the MX hosts of partner.test cannot be authenticated");
    }

    @Test
    void requireTlsUnderAnEnforcePolicyStillNeedsAnMxThatOffersRequireTls() throws Exception {
        dns("mx.partner.test", Optional.of("enforce5"));
        startGateway();

        sendRequiringTls("bob@partner.test", "verified but not REQUIRETLS");

        String bounce = Files.readString(mx.awaitDelivered(1, WAIT).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; bob@partner.test", "Status: 5.7.30",
                "REQUIRETLS: no MX host of partner.test offers REQUIRETLS");
        assertThat(deliveryRecord("bob@partner.test", 1)).contains("mx.partner.test [127.0.0.1] does not offer REQUIRETLS", "verified (mta-sts enforce id enforce5 fetched)");
    }

    @Test
    void tlsRequiredNoLetsMailPastAnEnforcePolicyItCannotMeetAndSaysSo() throws Exception {
        policy.set("version: STSv1\nmode: enforce\nmx: mx2.partner.test\nmax_age: 86400\n");
        dns("mx2.partner.test", Optional.of("enforce3"));
        startGateway();

        send("bob@partner.test", "sender relaxed TLS", "TLS-Required: No");

        assertThat(Files.readString(mx.awaitDelivered(1, WAIT).get(0))).contains("Subject: sender relaxed TLS", "TLS-Required: No");
        assertThat(deliveryRecord("bob@partner.test", 1)).contains("unverified (mta-sts enforce id enforce3 fetched not met, relaxed by TLS-Required: No; opportunistic after "
                + "mta-sts enforce id enforce3 fetched failed: 4.7.5 TLS with mx2.partner.test:" + mx.port() + " failed");
    }

    @Test
    void tlsRequiredNoIsIgnoredWhenTheOperatorTurnsItOff() throws Exception {
        policy.set("version: STSv1\nmode: enforce\nmx: mx2.partner.test\nmax_age: 86400\n");
        dns("mx2.partner.test", Optional.of("enforce4"));
        GatewaySettings direct = gateway.deliveringDirect(new GatewaySettings.DirectDelivery(List.of(new GatewaySettings.HostPort("127.0.0.1", dnsPort)),
                Optional.of(trust), mx.port(), policyServer.getAddress().getPort()));
        gateway.startGateway(new GatewaySettings(direct.smtpPort(), direct.smtpAddress(), direct.hostName(), direct.maxMessageBytes(), direct.maxRecipients(),
                direct.nextHop(), direct.nextHopTls(), direct.lmtp(), direct.lmtpTls(), direct.localDomains(), direct.spool(), direct.deliveryWorkers(),
                direct.maxQueueTime(), direct.smimeContent(), direct.signingAddress(), direct.hkpServers(), direct.partnerDirectories(), direct.partnerCas(),
                direct.policyHeader(), direct.direct(), false));

        send("bob@partner.test", "sender asked in vain", "TLS-Required: No");

        assertThat(awaitAttempt().recipients().get(0).lastReply()).startsWith("451 4.7.5 no MX host of partner.test");
        assertThat(mx.delivered()).isEmpty();
    }
}
