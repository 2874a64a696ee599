package org.letterlock.platform.mail;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Hands mail to the configured SMTP relay, with STARTTLS required unless configured off. Connections are kept for the
 * next mail a short while, as an MTA's SMTP client caches them (Postfix: smtp_connection_cache_time_limit, 2 s): under
 * load (an ACME challenge mail per order) a connection, its TLS handshake and EHLO per mail cost more than the mail.
 * <p>
 * A kept connection the relay has closed meanwhile fails the mail, which is then sent once more on a new connection.
 * A relay that took the mail and dropped the connection before its answer reached us gets it twice. A relay that
 * answered (a refusal) or did not answer in time is not sent the mail again: the caller gets the failure.
 */
public final class SmtpMailSender implements MailSender {
    /** Shorter than any relay's idle timeout (RFC 5321 section 4.5.3.2.7 asks servers to wait 5 minutes). */
    static final Duration KEEP_IDLE = Duration.ofSeconds(5);
    /** Connections kept between mails; more may be open while mails are being sent. */
    static final int KEEP_AT_MOST = 8;
    private static final Pattern REPLY_CODE = Pattern.compile("^([2-5][0-9][0-9])[ -]");

    private record Kept(Transport transport, Instant since) {
    }

    private final Session session;
    private final String from;
    private final String relay;
    private final Clock clock;
    private final BlockingDeque<Kept> idle = new LinkedBlockingDeque<>(KEEP_AT_MOST);
    private final ScheduledExecutorService reaper;
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
        // Closing a kept connection sends QUIT without waiting for the answer: a relay gone silent must not hold a sender.
        properties.put("mail.smtp.quitwait", "false");
        this.session = Messages.session(properties);
        this.from = from;
        this.relay = host + ":" + port;
        this.clock = clock;
        this.reaper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "letterlock-smtp-idle-" + relay);
            thread.setDaemon(true);
            return thread;
        });
        reaper.scheduleWithFixedDelay(this::closeIdle, KEEP_IDLE.toMillis(), KEEP_IDLE.toMillis(), TimeUnit.MILLISECONDS);
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
                } catch (MessagingException e) {
                    if (!connectionLost(e)) {
                        throw e;
                    }
                }
            }
            sendOn(connect(), message);
        } catch (MessagingException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the SMTP relay " + relay + " did not take the mail: " + e.getMessage(), e);
        }
    }

    /** Sends on {@code transport} and keeps it for the next mail; closes it when sending fails. */
    private void sendOn(Transport transport, MimeMessage message) throws MessagingException {
        boolean sent = false;
        try {
            transport.sendMessage(message, message.getAllRecipients());
            sent = true;
        } finally {
            if (!sent) {
                quietlyClose(transport);
            }
        }
        Kept kept = new Kept(transport, clock.instant());
        if (closed || !idle.offerFirst(kept)) {
            quietlyClose(transport);
        } else if (closed && idle.remove(kept)) {
            // close() ran between the check and the offer, and drained the deque before this connection was in it.
            quietlyClose(transport);
        }
    }

    /**
     * Whether a failure on a kept connection means the connection was gone (closed, reset, or a 421 saying it closes),
     * so the mail may be sent again. A reply the relay gave (a refusal) and a timeout (the relay may have the mail) are not.
     */
    static boolean connectionLost(MessagingException failure) {
        // MessagingException's cause is its next exception.
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < 10; cause = cause.getCause(), depth++) {
            if (cause instanceof SocketTimeoutException) {
                return false;
            }
        }
        Matcher reply = REPLY_CODE.matcher(failure.getMessage() == null ? "" : failure.getMessage().strip());
        return !reply.find() || reply.group(1).equals("421");
    }

    /** The most recently used kept connection, once those idle for {@link #KEEP_IDLE} are closed; null when none is left. */
    private Transport takeKept() {
        closeIdle();
        Kept kept = idle.pollFirst();
        return kept == null ? null : kept.transport();
    }

    /** Closes the connections idle for {@link #KEEP_IDLE} or longer: the oldest are at the end of the deque. */
    private void closeIdle() {
        for (Kept oldest = idle.peekLast(); oldest != null && stale(oldest); oldest = idle.peekLast()) {
            if (idle.removeLastOccurrence(oldest)) {
                quietlyClose(oldest.transport());
            }
        }
    }

    private boolean stale(Kept kept) {
        return Duration.between(kept.since(), clock.instant()).compareTo(KEEP_IDLE) >= 0;
    }

    private Transport connect() throws MessagingException {
        Transport transport = session.getTransport("smtp");
        transport.connect();
        return transport;
    }

    /** Says QUIT on the kept connections and stops closing idle ones. */
    @Override
    public void close() {
        closed = true;
        reaper.shutdownNow();
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
