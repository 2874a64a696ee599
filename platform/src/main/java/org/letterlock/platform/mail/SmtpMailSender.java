package org.letterlock.platform.mail;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Hands mail to the configured SMTP relay, with STARTTLS required unless configured off. Connections are kept for the
 * next mail a short while, as an MTA's SMTP client caches them (Postfix: smtp_connection_cache_time_limit, 2 s): under
 * load (an ACME challenge mail per order) a connection, its TLS handshake and EHLO per mail cost more than the mail.
 * A kept connection the relay has closed meanwhile fails the mail, which is then sent once more on a new connection:
 * a relay that dropped the connection after taking the mail but before its answer reached us gets it twice.
 */
public final class SmtpMailSender implements MailSender {
    /** Shorter than any relay's idle timeout (RFC 5321 section 4.5.3.2.7 asks servers to wait 5 minutes). */
    static final Duration KEEP_IDLE = Duration.ofSeconds(5);
    /** Connections kept between mails; more may be open while mails are being sent. */
    static final int KEEP_AT_MOST = 8;

    private record Kept(Transport transport, Instant since) {
    }

    private final Session session;
    private final String from;
    private final String relay;
    private final Clock clock;
    private final BlockingDeque<Kept> idle = new LinkedBlockingDeque<>(KEEP_AT_MOST);
    private volatile boolean closed;

    public SmtpMailSender(String host, int port, boolean startTls, String from) {
        this(host, port, startTls, from, Clock.systemUTC());
    }

    SmtpMailSender(String host, int port, boolean startTls, String from, Clock clock) {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", host);
        properties.put("mail.smtp.port", Integer.toString(port));
        properties.put("mail.smtp.starttls.enable", Boolean.toString(startTls));
        properties.put("mail.smtp.starttls.required", Boolean.toString(startTls));
        properties.put("mail.smtp.ssl.checkserveridentity", "true");
        properties.put("mail.smtp.connectiontimeout", "10000");
        properties.put("mail.smtp.timeout", "30000");
        this.session = Messages.session(properties);
        this.from = from;
        this.relay = host + ":" + port;
        this.clock = clock;
    }

    @Override
    public void send(String to, String subject, String body, Map<String, String> headers) {
        try {
            MimeMessage message = Messages.build(session, from, to, subject, body, headers);
            Transport kept = takeKept();
            if (kept != null) {
                try {
                    sendOn(kept, message);
                    return;
                } catch (MessagingException staleOrRefused) {
                    // Sent again on a new connection below: a refusal comes back from there too, with the relay's answer.
                }
            }
            sendOn(connect(), message);
        } catch (MessagingException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the SMTP relay " + relay + " did not take the mail: " + e.getMessage(), e);
        }
    }

    /** Sends on {@code transport} and keeps it for the next mail; closes it when sending fails. */
    private void sendOn(Transport transport, MimeMessage message) throws MessagingException {
        try {
            transport.sendMessage(message, message.getAllRecipients());
        } catch (MessagingException | RuntimeException e) {
            quietlyClose(transport);
            throw e;
        }
        if (closed || !idle.offerFirst(new Kept(transport, clock.instant()))) {
            quietlyClose(transport);
        }
    }

    /** The most recently used connection idle for less than {@link #KEEP_IDLE}; older ones are closed. */
    private Transport takeKept() {
        for (Kept kept = idle.pollFirst(); kept != null; kept = idle.pollFirst()) {
            if (Duration.between(kept.since(), clock.instant()).compareTo(KEEP_IDLE) < 0) {
                return kept.transport();
            }
            quietlyClose(kept.transport());
        }
        return null;
    }

    private Transport connect() throws MessagingException {
        Transport transport = session.getTransport("smtp");
        transport.connect();
        return transport;
    }

    /** Says QUIT on the kept connections. */
    @Override
    public void close() {
        closed = true;
        for (Kept kept = idle.pollFirst(); kept != null; kept = idle.pollFirst()) {
            quietlyClose(kept.transport());
        }
    }

    private static void quietlyClose(Transport transport) {
        try {
            transport.close();
        } catch (MessagingException e) {
            // The connection is gone either way.
        }
    }
}
