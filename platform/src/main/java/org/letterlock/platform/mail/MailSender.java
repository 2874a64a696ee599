package org.letterlock.platform.mail;

import java.util.Map;

/** Sends one plain-text mail Letterlock writes itself (verification links, notices, ACME challenges). */
public interface MailSender extends AutoCloseable {

    default void send(String to, String subject, String body) {
        send(to, subject, body, Map.of());
    }

    /**
     * With extra header fields, which replace the sender's own of the same name: a protocol that must name its own
     * From, Message-ID or Auto-Submitted (the ACME email challenge, RFC 8823) sets them here.
     */
    void send(String to, String subject, String body, Map<String, String> headers);

    /** Lets go of what the sender holds (a relay connection); nothing by default. */
    @Override
    default void close() {
    }
}
