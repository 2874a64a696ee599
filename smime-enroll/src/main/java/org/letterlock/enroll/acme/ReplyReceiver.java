package org.letterlock.enroll.acme;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.Locale;
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
 * The SMTP receiver for replies to ACME challenge mails (STARTTLS offered with Letterlock's TLS certificate): the
 * organisation's MTA delivers mail for the challenge address here. Each reply is judged while the sender waits, so a
 * refusal reaches it as the SMTP answer (550 with the reason) and nothing is queued.
 */
public final class ReplyReceiver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplyReceiver.class.getName());
    /** A reply is a short text mail; 256 KiB leaves room for quoted challenge text and signatures. */
    private static final int MAX_MESSAGE_BYTES = 256 * 1024;

    private final SMTPServer server;

    private ReplyReceiver(SMTPServer server) {
        this.server = server;
    }

    /** Starts the receiver on {@code letterlock.enroll.acme.reply-port}; none when it is 0. */
    public static Optional<ReplyReceiver> start(EnrollmentServices services, SSLContext tls) throws IOException {
        var platform = services.platform();
        AcmeEnrollSettings settings = platform.config().enrollAcme();
        if (settings.replyPort() == 0) {
            LOG.info("ACME reply receiver off (letterlock.enroll.acme.reply-port=0): email challenges cannot complete");
            return Optional.empty();
        }
        if (settings.trustedAuthservIds().isEmpty()) {
            LOG.warning("letterlock.enroll.acme.trusted-authserv-ids is empty: only ACME replies signed with a current S/MIME certificate of this CA can be authenticated");
        }
        ChallengeReplies replies = new ChallengeReplies(new AcmeOrders(new Jdbc(platform.database().dataSource()), platform.mail(), services.audit(),
                services.clock(), settings, platform.vault()::verifier), services.audit(), services.mailboxes());
        String challengeAddress = settings.from().toLowerCase(Locale.ROOT);
        SMTPServer server = SMTPServer.port(settings.replyPort())
                .bindAddress(InetAddress.getByName(settings.replyAddress()))
                .hostName(services.baseUrl().getHost())
                .softwareName("Letterlock ACME")
                .enableTLS()
                .startTlsSocketFactory(tls)
                .maxMessageSize(MAX_MESSAGE_BYTES)
                .maxRecipients(1)
                .connectionTimeout(1, TimeUnit.MINUTES)
                .insertReceivedHeaders(false)
                .messageHandlerFactory(context -> new Reply(replies, challengeAddress))
                .build();
        server.start();
        LOG.info("ACME reply receiver on smtp://" + settings.replyAddress() + ":" + server.getPortAllocated() + " for " + settings.from());
        return Optional.of(new ReplyReceiver(server));
    }

    public int port() {
        return server.getPortAllocated();
    }

    @Override
    public void close() {
        server.stop();
    }

    /** One mail transaction. */
    private static final class Reply implements MessageHandler {
        private final ChallengeReplies replies;
        private final String challengeAddress;

        Reply(ChallengeReplies replies, String challengeAddress) {
            this.replies = replies;
            this.challengeAddress = challengeAddress;
        }

        @Override
        public void from(String from) {
            // The envelope sender says nothing about the mailbox: the From header is judged, authenticated.
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (!recipient.toLowerCase(Locale.ROOT).equals(challengeAddress)) {
                throw new RejectException(550, "5.1.1 only replies to ACME challenges (" + challengeAddress + ") are taken here");
            }
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            byte[] raw = data.readNBytes(MAX_MESSAGE_BYTES + 1);
            if (raw.length > MAX_MESSAGE_BYTES) {
                throw new RejectException(552, "5.3.4 a reply is at most " + MAX_MESSAGE_BYTES + " bytes");
            }
            try {
                return replies.accept(raw);
            } catch (ChallengeReplies.Refused refused) {
                throw new RejectException(550, refused.status() + " " + refused.getMessage());
            }
        }

        @Override
        public void done() {
            // Nothing is held between transactions.
        }
    }
}
