package org.letterlock.mail.robustness;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.letterlock.mail.delivery.Decision;
import org.letterlock.mail.delivery.Delivery;
import org.letterlock.mail.delivery.Encryptions;
import org.letterlock.mail.delivery.HopTrust;
import org.letterlock.mail.delivery.Route;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.queue.Spool;
import org.letterlock.mail.smtp.Reply;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.mail.smtp.SmtpReceiver;
import org.letterlock.platform.audit.ListedAudit;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.mail.delivery.KnownCapabilities;
import org.letterlock.mail.policy.CapabilityStore;

/**
 * The gateway's listener and spool, and its delivery when there is a next hop, wired as the server wires them but
 * without the platform: a self-signed TLS certificate made here instead of the CA's, every recipient sent in clear to
 * the one next hop (keys and policy play no part in these tests), audit events kept in a list. It starts in a moment,
 * where {@code GatewayFixture} starts a token and a CA.
 */
final class LoopbackGateway implements AutoCloseable {
    static final String HOST_NAME = "gateway.example.org";
    static final int MAX_RECIPIENTS = 100;

    final MovableClock clock = new MovableClock();
    final Path spoolRoot;
    final Spool spool;
    /** What the listener answered 250 for, in order. */
    final List<Envelope> accepted = new CopyOnWriteArrayList<>();
    final ListedAudit audit = new ListedAudit();
    final Delivery delivery;
    final SmtpReceiver receiver;

    private LoopbackGateway(Path spoolRoot, long maxMessageBytes, GatewaySettings.HostPort nextHop, int workers) throws Exception {
        this.spoolRoot = spoolRoot;
        this.spool = Spool.open(spoolRoot);
        if (nextHop == null) {
            delivery = null;
        } else {
            Route route = new Route("next-hop", nextHop, SmtpClient.Protocol.SMTP, GatewaySettings.NextHopTls.NONE);
            // No database: capabilities trust no CA, so no signature is ever recorded, and no copy is S/MIME, so none is looked up.
            KnownCapabilities noCapabilities = new KnownCapabilities(new CapabilityStore(null), List.of(), audit, clock);
            delivery = new Delivery(spool, (envelope, headers, recipient) -> Decision.clear(route, "no key for the recipient"),
                    new Encryptions(GatewaySettings.SmimeContent.CAPABILITIES, noCapabilities, java.util.Optional.empty(), clock),
                    HopTrust.verifying(List.of()), HopTrust.anyCertificate(), java.util.Optional.empty(), audit, clock,
                    new Delivery.Settings(HOST_NAME, workers, Duration.ofDays(5), "", Duration.ofSeconds(20), true));
        }
        receiver = SmtpReceiver.start(new SmtpReceiver.Settings(InetAddress.getLoopbackAddress(), 0, HOST_NAME, SelfSigned.make("CN=localhost").serverContext(),
                maxMessageBytes, MAX_RECIPIENTS), spool, envelope -> {
                    accepted.add(envelope);
                    if (delivery != null) {
                        delivery.submit(envelope);
                    }
                }, clock);
    }

    /** A listener whose accepted mail stays in the spool. */
    static LoopbackGateway receiving(Path spoolRoot, long maxMessageBytes) throws Exception {
        return new LoopbackGateway(spoolRoot, maxMessageBytes, null, 1);
    }

    /** A listener and delivery to a next hop on loopback, without TLS. */
    static LoopbackGateway relayingTo(Path spoolRoot, int nextHopPort) throws Exception {
        return relayingTo(spoolRoot, nextHopPort, 1);
    }

    /** As above, with {@code workers} delivery workers. */
    static LoopbackGateway relayingTo(Path spoolRoot, int nextHopPort, int workers) throws Exception {
        return new LoopbackGateway(spoolRoot, 10_000_000, new GatewaySettings.HostPort("127.0.0.1", nextHopPort), workers);
    }

    int port() {
        return receiver.port();
    }

    /** Files in the spool's incoming folder: messages being received, or left behind by one that was not. */
    List<Path> incoming() throws IOException {
        try (Stream<Path> files = Files.list(spoolRoot.resolve("incoming"))) {
            return files.toList();
        }
    }

    /**
     * Waits (a deadline, not a measurement) until the listener has finished every session, so that a message it was
     * receiving has been kept or let go of. The client's hang-up is not enough: the listener may not have read it yet.
     */
    void awaitSessionsEnded() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (receiver.openSessions() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** Hands {@code message} (header, blank line, body, CRLF line ends) from alice to bob to the listener; it must be taken (250). */
    void submit(String message) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(port())) {
            client.command("EHLO client.example.org");
            client.command("MAIL FROM:<alice@example.org>");
            client.command("RCPT TO:<bob@example.org>");
            client.command("DATA");
            client.send(message + ".\r\n");
            Reply taken = client.reply();
            if (taken.code() != 250) {
                throw new AssertionError("the message was not taken: " + taken);
            }
        }
    }

    /** Waits (a deadline, not a measurement) for the one queued message's first delivery attempt; the message as then kept. */
    org.letterlock.mail.queue.Envelope awaitAttempted() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<org.letterlock.mail.queue.Envelope> queued = spool.list();
            if (queued.size() == 1 && queued.get(0).recipients().get(0).attempts() > 0) {
                return queued.get(0);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no delivery attempt recorded in 30 s: " + spool.list());
    }

    /** Waits (a deadline, not a measurement) until the spool is empty; fails if it is not by then. */
    void awaitEmptySpool() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && !spool.list().isEmpty()) {
            Thread.sleep(50);
        }
        if (!spool.list().isEmpty()) {
            throw new AssertionError("the spool still holds " + spool.list());
        }
    }

    @Override
    public void close() {
        receiver.close();
        if (delivery != null) {
            delivery.close();
        }
    }
}
