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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.subethamail.smtp.server.SessionHandler;

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
    /**
     * Real mail has some dozens of fields, a few hundred after many list hops; each field is an object in every parse of
     * the header that follows (protection, delivery), and 1 MiB holds some 260,000 tiny ones.
     */
    static final int MAX_HEADER_FIELDS = 5_000;

    private static final String CANNOT_STORE = "4.3.1 The gateway cannot store the message now; try again later";

    private final SMTPServer server;
    private final OpenSessions sessions;

    private SmtpReceiver(SMTPServer server, OpenSessions sessions) {
        this.server = server;
        this.sessions = sessions;
    }

    /** What the listener needs to know; {@code queued} hears of each accepted message. */
    public record Settings(InetAddress address, int port, String hostName, SSLContext tls, long maxMessageBytes, int maxRecipients) {
    }

    public static SmtpReceiver start(Settings settings, Spool spool, Consumer<Envelope> queued, Clock clock) {
        OpenSessions sessions = new OpenSessions();
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
                .sessionHandler(sessions)
                .build();
        server.getCommandHandler().addCommand(new BdatCommand());
        server.getCommandHandler().addCommand(new RequireTls.Ehlo());
        server.getCommandHandler().addCommand(new RequireTls.Mail());
        server.start();
        return new SmtpReceiver(server, sessions);
    }

    /**
     * Sessions connected now. A session counts until SubEthaSMTP has finished with it, after its transaction has kept or
     * let go of its message, so zero means no message is half received.
     */
    public int openSessions() {
        return sessions.count.get();
    }

    public int port() {
        return server.getPortAllocated();
    }

    @Override
    public void close() {
        server.stop();
    }

    private static final class OpenSessions implements SessionHandler {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public SessionAcceptance accept(Session session) {
            count.incrementAndGet();
            return SessionAcceptance.success();
        }

        @Override
        public void onSessionEnd(Session session) {
            count.decrementAndGet();
        }
    }

    /** A failure reading the client's data, told apart from the spool's own. */
    private static final class ClientData extends IOException {
        ClientData(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /** One mail transaction (MAIL, RCPT..., DATA or BDAT) of a session. */
    private static final class Transaction implements MessageHandler {
        private static final DateTimeFormatter RFC_5322_DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

        private final MessageContext context;
        private final Settings settings;
        private final Spool spool;
        private final Consumer<Envelope> queued;
        private final Clock clock;
        private final List<String> recipients = new ArrayList<>();
        private String sender = "";
        private boolean requireTls;

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
            requireTls = RequireTls.requested();
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
                Optional<RejectException> refusal = store(data, reception);
                if (refusal.isPresent()) {
                    // The rest is still the message: left unread, SubEthaSMTP would run its lines as commands (RFC 5321 4.1.1.4 answers after the end).
                    data.transferTo(OutputStream.nullOutputStream());
                    // The end of the data ends the transaction whatever the answer (RFC 5321 4.1.1.4); SubEthaSMTP 7.1.7 ends it only after a 250.
                    if (context instanceof Session session) {
                        session.resetMailTransaction();
                    }
                    throw refusal.get();
                }
                Envelope envelope;
                try {
                    envelope = reception.accept(sender, recipients, client(), requireTls, clock.instant());
                } catch (IOException e) {
                    LOG.log(Level.SEVERE, "smtp: cannot sync message " + reception.id() + " to the spool; answered 452", e);
                    throw new RejectException(452, CANNOT_STORE);
                }
                queued.accept(envelope);
                return "2.0.0 Ok: queued as " + envelope.id();
            }
        }

        /**
         * Streams the data into the spool, checking it as it goes. Returns the refusal when a limit is broken or the spool
         * cannot write, with the rest of the data unread. A failure to read the data (the client hung up) is thrown: it is
         * the client's, not the spool's, and nobody is left to answer.
         */
        private Optional<RejectException> store(InputStream data, Spool.Reception reception) throws IOException {
            MessageCheck check = new MessageCheck(settings.maxMessageBytes());
            OutputStream out = reception.body();
            byte[] buffer = new byte[64 * 1024];
            byte[] received = receivedLine(reception.id()).getBytes(StandardCharsets.US_ASCII);
            try {
                out.write(received);
                for (int n; (n = read(data, buffer)) > 0; ) {
                    check.scan(buffer, n);
                    out.write(buffer, 0, n);
                }
                out.close();
                return Optional.empty();
            } catch (MessageCheck.Refused refused) {
                return Optional.of(new RejectException(refused.code(), refused.getMessage()));
            } catch (ClientData failed) {
                LOG.info("smtp: the data of message " + reception.id() + " broke off (" + failed.getCause() + "); nothing was kept");
                throw failed.getCause();
            } catch (IOException e) {
                LOG.log(Level.SEVERE, "smtp: cannot write message " + reception.id() + " to the spool; answered 452", e);
                return Optional.of(new RejectException(452, CANNOT_STORE));
            }
        }

        private static int read(InputStream data, byte[] buffer) throws ClientData {
            try {
                return data.read(buffer);
            } catch (IOException e) {
                throw new ClientData(e);
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
