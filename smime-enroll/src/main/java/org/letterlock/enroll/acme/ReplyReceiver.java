package org.letterlock.enroll.acme;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.platform.config.AcmeEnrollSettings;
import org.letterlock.platform.store.Jdbc;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The receivers for replies to ACME challenge mails, which the organisation's MTA delivers mail for the challenge
 * address to: SMTP with STARTTLS (Letterlock's TLS certificate) and, where the MTA delivers to local services that way,
 * LMTP. Each reply is judged while the sender waits, so a refusal reaches it as the answer (550 with the reason) and
 * nothing is queued.
 */
public final class ReplyReceiver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplyReceiver.class.getName());

    private final Optional<SMTPServer> smtp;
    private final Optional<LmtpReplyListener> lmtp;

    private ReplyReceiver(Optional<SMTPServer> smtp, Optional<LmtpReplyListener> lmtp) {
        this.smtp = smtp;
        this.lmtp = lmtp;
    }

    /**
     * Starts SMTP on {@code letterlock.enroll.acme.reply-port} and LMTP on {@code letterlock.enroll.acme.reply-lmtp-port},
     * each unless its port is 0; none when both are.
     */
    public static Optional<ReplyReceiver> start(EnrollmentServices services, SSLContext tls) throws IOException {
        var platform = services.platform();
        AcmeEnrollSettings settings = platform.config().enrollAcme();
        if (settings.replyPort() == 0 && settings.replyLmtpPort() == 0) {
            LOG.info("ACME reply receivers off (letterlock.enroll.acme.reply-port=0, reply-lmtp-port=0): email challenges cannot complete");
            return Optional.empty();
        }
        if (settings.trustedAuthservIds().isEmpty()) {
            LOG.warning("letterlock.enroll.acme.trusted-authserv-ids is empty: only ACME replies signed with a current S/MIME certificate of this CA can be authenticated");
        }
        ChallengeReplies replies = new ChallengeReplies(new AcmeOrders(new Jdbc(platform.database().dataSource()), platform.mail(), services.audit(),
                services.clock(), settings, platform.vault()::verifier), services.audit(), services.mailboxes());
        ReplyIntake intake = new ReplyIntake(replies, settings.from(), settings.trustedRelays());
        InetAddress address = InetAddress.getByName(settings.replyAddress());
        String hostName = services.baseUrl().getHost();
        Optional<SMTPServer> smtp = Optional.empty();
        if (settings.replyPort() != 0) {
            SMTPServer server = SMTPServer.port(settings.replyPort())
                    .bindAddress(address)
                    .hostName(hostName)
                    .softwareName("Letterlock ACME")
                    .enableTLS()
                    .startTlsSocketFactory(tls)
                    .maxMessageSize(ReplyIntake.MAX_MESSAGE_BYTES)
                    .maxRecipients(1)
                    .connectionTimeout(1, TimeUnit.MINUTES)
                    .insertReceivedHeaders(false)
                    .messageHandlerFactory(context -> new Reply(intake, context.getRemoteAddress()))
                    .build();
            server.start();
            smtp = Optional.of(server);
            LOG.info("ACME reply receiver on smtp://" + settings.replyAddress() + ":" + server.getPortAllocated() + " for " + settings.from());
        }
        Optional<LmtpReplyListener> lmtp = Optional.empty();
        if (settings.replyLmtpPort() != 0) {
            try {
                lmtp = Optional.of(LmtpReplyListener.start(new InetSocketAddress(address, settings.replyLmtpPort()), intake, hostName));
            } catch (IOException e) {
                smtp.ifPresent(SMTPServer::stop);
                throw e;
            }
            LOG.info("ACME reply receiver on lmtp://" + settings.replyAddress() + ":" + lmtp.get().port() + " for " + settings.from());
        }
        return Optional.of(new ReplyReceiver(smtp, lmtp));
    }

    /** The SMTP receiver's port. */
    public int port() {
        return smtp.orElseThrow(() -> new IllegalStateException("the SMTP reply receiver is off")).getPortAllocated();
    }

    /** The LMTP receiver's port. */
    public int lmtpPort() {
        return lmtp.orElseThrow(() -> new IllegalStateException("the LMTP reply receiver is off")).port();
    }

    @Override
    public void close() {
        smtp.ifPresent(SMTPServer::stop);
        lmtp.ifPresent(LmtpReplyListener::close);
    }

    /** One mail transaction. */
    private static final class Reply implements MessageHandler {
        private final ReplyIntake intake;
        private final java.net.SocketAddress peer;

        Reply(ReplyIntake intake, java.net.SocketAddress peer) {
            this.intake = intake;
            this.peer = peer;
        }

        @Override
        public void from(String from) {
            // The envelope sender says nothing about the mailbox: the From header is judged, authenticated.
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            Optional<String> refusal = intake.refusal(recipient);
            if (refusal.isPresent()) {
                throw new RejectException(550, refusal.get());
            }
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            ReplyIntake.Verdict verdict = intake.judge(data.readNBytes(ReplyIntake.MAX_MESSAGE_BYTES + 1), "smtp", peer);
            if (!verdict.accepted()) {
                throw new RejectException(verdict.code(), verdict.text());
            }
            return verdict.text();
        }

        @Override
        public void done() {
            // Nothing is held between transactions.
        }
    }
}
