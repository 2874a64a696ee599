package org.letterlock.platform.mail;

/** Sends one plain-text mail Letterlock writes itself (verification links, notices). */
public interface MailSender {

    void send(String to, String subject, String body);
}
