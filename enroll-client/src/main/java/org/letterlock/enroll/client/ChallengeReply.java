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
            // The From field itself: getFrom() would fall back to Sender.
            String fromField = mail.getHeader("From", ",");
            InternetAddress[] from = fromField == null ? new InternetAddress[0] : InternetAddress.parseHeader(fromField, false);
            String sender = from.length != 1 || from[0].getAddress() == null ? "" : from[0].getAddress();
            if (!sender.equalsIgnoreCase(challenge.from())) {
                throw new IOException("that mail is not the challenge: it is from " + (sender.isEmpty() ? "nobody" : sender) + ", the challenge comes from " + challenge.from());
            }
            // RFC 8823 section 3: the mark of a challenge, and what keeps mail clients from answering other automatic mail.
            String marked = mail.getHeader("Auto-Submitted", ",");
            if (marked == null || java.util.Arrays.stream(marked.split(";")).skip(1).map(p -> p.replaceAll("\\s", "").toLowerCase(Locale.ROOT))
                    .noneMatch("type=acme"::equals)) {
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
     * The person's mail server: {@code smtp://host[:587]} with STARTTLS, required unless the host is this machine
     * written as such ({@code localhost} or a loopback address: nothing crosses a network), or {@code smtps://host[:465]};
     * its certificate is checked with {@code trust} and its name. With a password it authenticates as {@code user}.
     */
    record MailServer(URI url, boolean implicitTls, boolean local, String user, Optional<char[]> password, X509TrustManager trust) {
        static MailServer of(URI url, String user, Optional<char[]> password, X509TrustManager trust) throws IOException {
            checkUrl(url);
            return new MailServer(url, url.getScheme().equalsIgnoreCase("smtps"), isLocal(url.getHost()), user, password, trust);
        }

        static void checkUrl(URI url) throws IOException {
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("smtp") && !scheme.equals("smtps") || url.getHost() == null) {
                throw new IOException("--smtp takes smtp://host[:port] (STARTTLS) or smtps://host[:port], not " + url);
            }
        }

        /** Decided on the name as written, never by a lookup that could answer differently when the mail is sent. */
        private static boolean isLocal(String host) throws IOException {
            String bare = host.replaceAll("^\\[|]$", "");
            if (bare.equalsIgnoreCase("localhost")) {
                return true;
            }
            boolean literal = bare.matches("[0-9.]+") || bare.contains(":");
            return literal && InetAddress.getByName(bare).isLoopbackAddress();
        }

        int port() {
            return url.getPort() > 0 ? url.getPort() : implicitTls ? 465 : 587;
        }
    }

    /** Sends the reply from {@code address} to the challenge's sender through {@code server}; its refusal is the exception's message. */
    void send(MailServer server, String address, AcmeClient.Challenge challenge, String response) throws IOException, GeneralSecurityException {
        SSLContext tls = TrustAnchor.tls(server.trust());
        String protocol = server.implicitTls() ? "smtps" : "smtp";
        Properties settings = new Properties();
        settings.put("mail." + protocol + ".host", server.url().getHost());
        settings.put("mail." + protocol + ".port", Integer.toString(server.port()));
        // The envelope sender, and the domain of the Message-ID (else this machine's name).
        settings.put("mail." + protocol + ".from", address);
        settings.put("mail.from", address);
        settings.put("mail." + protocol + ".ssl.socketFactory", tls.getSocketFactory());
        settings.put("mail." + protocol + ".ssl.checkserveridentity", "true");
        settings.put("mail." + protocol + ".connectiontimeout", "30000");
        settings.put("mail." + protocol + ".timeout", "60000");
        settings.put("mail." + protocol + ".writetimeout", "60000");
        if (!server.implicitTls()) {
            settings.put("mail.smtp.starttls.enable", "true");
            settings.put("mail.smtp.starttls.required", Boolean.toString(!server.local()));
        }
        settings.put("mail." + protocol + ".auth", Boolean.toString(server.password().isPresent()));
        Session session = Session.getInstance(settings);
        MimeMessage reply = reply(session, address, challenge, response);
        try (Transport transport = session.getTransport(protocol)) {
            if (server.password().isPresent()) {
                transport.connect(server.user(), new String(server.password().get()));
            } else {
                transport.connect();
            }
            transport.sendMessage(reply, new Address[] {new InternetAddress(challenge.from())});
        } catch (AddressException e) {
            throw new IOException("the challenge's sender is not a mail address: " + challenge.from(), e);
        } catch (MessagingException e) {
            throw new IOException("the mail server at " + server.url() + " did not take the reply: " + rootMessage(e), e);
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
