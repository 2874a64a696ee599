package org.letterlock.enroll.client;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * What letterlock-enroll reads from the RFC 8823 challenge mail (token-part1 in its Subject, its Message-ID) and the
 * reply it writes: "Re: ACME: token-part1" to the challenge's sender with the response in an ACME RESPONSE block, sent
 * through the person's own mail server, which is what vouches for the reply (DKIM) on its way to the CA.
 */
final class ChallengeReply {
    private static final String SUBJECT_PREFIX = "ACME: ";

    private final String tokenPart1;
    private final Optional<String> messageId;

    private ChallengeReply(String tokenPart1, Optional<String> messageId) {
        this.tokenPart1 = tokenPart1;
        this.messageId = messageId;
    }

    /**
     * The challenge mail as it arrived (RFC 5322): it must come from the challenge's sender, be marked
     * Auto-Submitted with type=acme and carry "ACME: " in its Subject.
     */
    static ChallengeReply fromMail(byte[] raw, AcmeClient.Challenge challenge) throws IOException {
        try {
            MimeMessage mail = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
            Address[] from = mail.getFrom();
            String sender = from == null || from.length != 1 ? "" : ((InternetAddress) from[0]).getAddress();
            if (!sender.equalsIgnoreCase(challenge.from())) {
                throw new IOException("that mail is not the challenge: it is from " + (sender.isEmpty() ? "nobody" : sender) + ", the challenge comes from " + challenge.from());
            }
            // RFC 8823 section 3: the mark of a challenge, and what keeps mail clients from answering other automatic mail.
            String marked = mail.getHeader("Auto-Submitted", ",");
            if (marked == null || !marked.replace(" ", "").toLowerCase(Locale.ROOT).contains("type=acme")) {
                throw new IOException("that mail is not the challenge: it lacks \"Auto-Submitted: auto-generated; type=acme\" (RFC 8823 section 3)");
            }
            String subject = mail.getSubject() == null ? "" : mail.getSubject().strip();
            if (!subject.startsWith(SUBJECT_PREFIX)) {
                throw new IOException("that mail is not the challenge: its Subject is \"" + subject + "\", not \"" + SUBJECT_PREFIX + "<token>\"");
            }
            return new ChallengeReply(token(subject.substring(SUBJECT_PREFIX.length())), Optional.ofNullable(mail.getMessageID()));
        } catch (MessagingException e) {
            throw new IOException("that mail cannot be read: " + e.getMessage(), e);
        }
    }

    /** The challenge mail's Subject line as a person copies it: "ACME: token-part1" (the "ACME:" may be left out). */
    static ChallengeReply fromSubject(String subject) throws IOException {
        String line = subject.strip();
        if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
            line = line.substring(8).strip();
        }
        if (line.regionMatches(true, 0, SUBJECT_PREFIX.strip(), 0, SUBJECT_PREFIX.strip().length())) {
            line = line.substring(SUBJECT_PREFIX.strip().length()).strip();
        }
        return new ChallengeReply(token(line), Optional.empty());
    }

    /** token-part1: 128 bits or more, base64url (RFC 8823 section 3). */
    private static String token(String text) throws IOException {
        if (!text.matches("[A-Za-z0-9_-]{22,}")) {
            throw new IOException("\"" + text + "\" is not an ACME token (base64url, 22 characters or more)");
        }
        return text;
    }

    String tokenPart1() {
        return tokenPart1;
    }

    /** The reply body: the response between the delimiters RFC 8823 section 3.1 names. */
    static String body(String response) {
        return "-----BEGIN ACME RESPONSE-----\r\n" + response + "\r\n-----END ACME RESPONSE-----\r\n";
    }

    /** The reply from {@code address} to the challenge's sender. */
    MimeMessage reply(Session session, String address, AcmeClient.Challenge challenge, String response) throws IOException {
        try {
            MimeMessage reply = new MimeMessage(session);
            reply.setFrom(new InternetAddress(address));
            reply.setRecipient(Message.RecipientType.TO, new InternetAddress(challenge.from()));
            reply.setSubject("Re: " + SUBJECT_PREFIX + tokenPart1, "US-ASCII");
            if (messageId.isPresent()) {
                reply.setHeader("In-Reply-To", messageId.get());
                reply.setHeader("References", messageId.get());
            }
            reply.setText(body(response), "US-ASCII");
            reply.saveChanges();
            return reply;
        } catch (MessagingException e) {
            throw new IOException("cannot write the reply: " + e.getMessage(), e);
        }
    }

    /**
     * Sends the reply through the mail server at {@code server}: {@code smtp://host[:587]} with STARTTLS, required
     * unless the host is this machine (a local MTA: nothing crosses a network), or {@code smtps://host[:465]}. The server's
     * certificate is checked with {@code trust} and its name; with {@code user} and a password it authenticates.
     */
    void send(URI server, Optional<String> user, Optional<char[]> password, X509TrustManager trust, String address, AcmeClient.Challenge challenge, String response)
            throws IOException, GeneralSecurityException {
        String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("smtp") && !scheme.equals("smtps") || server.getHost() == null) {
            throw new IOException("--smtp takes smtp://host[:port] (STARTTLS) or smtps://host[:port], not " + server);
        }
        boolean implicitTls = scheme.equals("smtps");
        boolean local = InetAddress.getByName(server.getHost()).isLoopbackAddress();
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {trust}, null);
        String protocol = implicitTls ? "smtps" : "smtp";
        Properties settings = new Properties();
        settings.put("mail." + protocol + ".host", server.getHost());
        settings.put("mail." + protocol + ".port", Integer.toString(server.getPort() > 0 ? server.getPort() : implicitTls ? 465 : 587));
        settings.put("mail." + protocol + ".from", address);
        settings.put("mail." + protocol + ".ssl.socketFactory", tls.getSocketFactory());
        settings.put("mail." + protocol + ".ssl.checkserveridentity", "true");
        settings.put("mail." + protocol + ".connectiontimeout", "30000");
        settings.put("mail." + protocol + ".timeout", "60000");
        if (!implicitTls) {
            settings.put("mail.smtp.starttls.enable", "true");
            settings.put("mail.smtp.starttls.required", Boolean.toString(!local));
        }
        boolean authenticate = user.isPresent() && password.isPresent();
        settings.put("mail." + protocol + ".auth", Boolean.toString(authenticate));
        Session session = Session.getInstance(settings);
        MimeMessage reply = reply(session, address, challenge, response);
        try (Transport transport = session.getTransport(protocol)) {
            if (authenticate) {
                transport.connect(user.get(), new String(password.get()));
            } else {
                transport.connect();
            }
            transport.sendMessage(reply, new Address[] {new InternetAddress(challenge.from())});
        } catch (AddressException e) {
            throw new IOException("the challenge's sender is not a mail address: " + challenge.from(), e);
        } catch (MessagingException e) {
            throw new IOException("the mail server at " + server + " did not take the reply: " + rootMessage(e), e);
        }
    }

    /** The innermost message of a Jakarta Mail failure, which holds the server's answer. */
    private static String rootMessage(Throwable failure) {
        String message = failure.getMessage();
        Throwable next = failure instanceof MessagingException messaging ? messaging.getNextException() : failure.getCause();
        if (next != null && next != failure) {
            message = message + ": " + rootMessage(next);
        }
        return message == null ? failure.toString() : message.strip();
    }
}
