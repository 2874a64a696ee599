package org.letterlock.platform.mail;

import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.util.ByteArrayDataSource;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Map;
import java.util.Properties;

/** Builds the RFC 5322 message both transports send. */
final class Messages {
    private Messages() {
    }

    static MimeMessage build(Session session, String from, String to, String subject, String body, Map<String, String> headers) throws MessagingException {
        MimeMessage message = new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                // A caller's Message-ID is kept: replies are matched to it.
                if (getHeader("Message-ID") == null) {
                    super.updateMessageID();
                }
            }
        };
        message.setFrom(new InternetAddress(from));
        message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to, true));
        message.setSubject(subject, StandardCharsets.UTF_8.name());
        message.setSentDate(new Date());
        // From bytes, not setText: text/plain's content handler is Angus Mail's, which the application's class loader
        // cannot see in Payara, and every message would pay a failed class lookup (walking the WAR's jars) to find it.
        message.setDataHandler(new DataHandler(new ByteArrayDataSource(body.getBytes(StandardCharsets.UTF_8), "text/plain; charset=UTF-8")));
        for (Map.Entry<String, String> header : headers.entrySet()) {
            message.setHeader(header.getKey(), header.getValue());
        }
        message.saveChanges();
        return message;
    }

    static Session session(Properties properties) {
        return Session.getInstance(properties);
    }
}
