package org.letterlock.mail.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.queue.Spool;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * The gateway's SMTP listener: takes mail (STARTTLS offered with Letterlock's TLS certificate), streams each message
 * into the spool and answers 250 only once the spool has it on disk. Refusals carry RFC 3463 enhanced codes.
 */
public final class SmtpReceiver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SmtpReceiver.class.getName());
    /** Received lines past which a message is taken to be looping (Postfix's hopcount_limit). */
    static final int MAX_HOPS = 50;
    /** Largest header section taken: enough for any real mail, small enough that a header flood cannot tie up a worker. */
    static final int MAX_HEADER_BYTES = 1024 * 1024;

    private final SMTPServer server;

    private SmtpReceiver(SMTPServer server) {
        this.server = server;
    }

    /** What the listener needs to know; {@code queued} hears of each accepted message. */
    public record Settings(InetAddress address, int port, String hostName, SSLContext tls, long maxMessageBytes, int maxRecipients) {
    }

    public static SmtpReceiver start(Settings settings, Spool spool, Consumer<Envelope> queued, Clock clock) {
        SMTPServer server = SMTPServer.port(settings.port())
                .bindAddress(settings.address())
                .hostName(settings.hostName())
                .softwareName("Letterlock")
                .enableTLS()
                .startTlsSocketFactory(settings.tls())
                .maxMessageSize((int) Math.min(Integer.MAX_VALUE, settings.maxMessageBytes()))
                .maxRecipients(settings.maxRecipients())
                .connectionTimeout(5, java.util.concurrent.TimeUnit.MINUTES)
                .insertReceivedHeaders(false)
                .messageHandlerFactory(context -> new Transaction(context, settings, spool, queued, clock))
                .build();
        server.start();
        return new SmtpReceiver(server);
    }

    public int port() {
        return server.getPortAllocated();
    }

    @Override
    public void close() {
        server.stop();
    }

    /** One mail transaction (MAIL, RCPT..., DATA) of a session. */
    private static final class Transaction implements MessageHandler {
        private static final DateTimeFormatter RFC_5322_DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

        private final MessageContext context;
        private final Settings settings;
        private final Spool spool;
        private final Consumer<Envelope> queued;
        private final Clock clock;
        private final List<String> recipients = new ArrayList<>();
        private String sender = "";

        Transaction(MessageContext context, Settings settings, Spool spool, Consumer<Envelope> queued, Clock clock) {
            this.context = context;
            this.settings = settings;
            this.spool = spool;
            this.queued = queued;
            this.clock = clock;
        }

        @Override
        public void from(String from) throws RejectException {
            if (!from.isEmpty() && !MailboxSyntax.valid(from)) {
                throw new RejectException(553, "5.1.7 The sender address <" + printable(from) + "> is not a valid mailbox");
            }
            sender = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (!MailboxSyntax.valid(recipient)) {
                throw new RejectException(553, "5.1.3 The recipient address <" + printable(recipient) + "> is not a valid mailbox");
            }
            recipients.add(MailboxSyntax.normalized(recipient));
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            try (Spool.Reception reception = spool.receive()) {
                MessageCheck check = new MessageCheck(settings.maxMessageBytes());
                try (OutputStream out = reception.body()) {
                    out.write(receivedLine(reception.id()).getBytes(StandardCharsets.US_ASCII));
                    byte[] buffer = new byte[64 * 1024];
                    for (int n; (n = data.read(buffer)) > 0; ) {
                        check.scan(buffer, n);
                        out.write(buffer, 0, n);
                    }
                } catch (MessageCheck.Refused refused) {
                    throw new RejectException(refused.code(), refused.getMessage());
                } catch (IOException e) {
                    LOG.log(Level.SEVERE, "smtp: cannot write message " + reception.id() + " to the spool; answered 452", e);
                    throw new RejectException(452, "4.3.1 The gateway cannot store the message now; try again later");
                }
                Envelope envelope;
                try {
                    envelope = reception.accept(sender, recipients, client(), false, clock.instant());
                } catch (IOException e) {
                    LOG.log(Level.SEVERE, "smtp: cannot sync message " + reception.id() + " to the spool; answered 452", e);
                    throw new RejectException(452, "4.3.1 The gateway cannot store the message now; try again later");
                }
                queued.accept(envelope);
                return "2.0.0 Ok: queued as " + envelope.id();
            }
        }

        @Override
        public void done() {
        }

        private String client() {
            InetSocketAddress remote = (InetSocketAddress) context.getRemoteAddress();
            return remote.getAddress().getHostAddress() + " " + context.getHelo().orElse("");
        }

        private String receivedLine(String id) {
            InetSocketAddress remote = (InetSocketAddress) context.getRemoteAddress();
            boolean tls = context instanceof Session session && session.isTLSStarted();
            String helo = context.getHelo().map(Transaction::printable).orElse("unknown");
            String forPart = recipients.size() == 1 ? "\r\n\tfor <" + printable(recipients.get(0)) + ">" : "";
            return "Received: from " + helo + " ([" + remote.getAddress().getHostAddress() + "])\r\n\tby " + settings.hostName() + " (Letterlock) with "
                    + (tls ? "ESMTPS" : "ESMTP") + " id " + id + forPart + ";\r\n\t" + RFC_5322_DATE.format(ZonedDateTime.ofInstant(clock.instant(), ZoneId.of("UTC"))) + "\r\n";
        }

        /** What the client sent, safe to echo in a reply or a header. */
        private static String printable(String value) {
            String cleaned = value.replaceAll("[^\\x21-\\x7e]", "?");
            return cleaned.length() > 256 ? cleaned.substring(0, 256) + "..." : cleaned;
        }
    }
}
