package org.letterlock.platform.mail;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import java.util.Map;
import java.util.Properties;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** Hands mail to the configured SMTP relay, with STARTTLS required unless configured off. */
public final class SmtpMailSender implements MailSender {
    private final Session session;
    private final String from;
    private final String relay;

    public SmtpMailSender(String host, int port, boolean startTls, String from) {
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
    }

    @Override
    public void send(String to, String subject, String body, Map<String, String> headers) {
        try {
            Transport.send(Messages.build(session, from, to, subject, body, headers));
        } catch (MessagingException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the SMTP relay " + relay + " did not take the mail: " + e.getMessage(), e);
        }
    }
}
