package org.letterlock.enroll.acme;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.enroll.MailboxEnrollment;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.identity.MailAddress;

/**
 * Judges a reply to an ACME challenge mail (RFC 8823 section 3.2): its Subject names the challenge by token-part1
 * ("ACME: " after any "Re:"), its From is the mailbox the challenge went to, it is authenticated, and its body holds the
 * key authorization digest between the ACME RESPONSE lines. Authenticated means one of the two ways RFC 8823 names: DKIM,
 * as the organisation's own MTA, named by a configured authserv-id, reports it in an Authentication-Results header (RFC
 * 8601) with dkim=pass for the From domain; or an S/MIME signature by one of this CA's current signing certificates for
 * the From mailbox, in which case the response must be inside the signed part.
 */
final class ChallengeReplies {
    private static final Pattern SUBJECT = Pattern.compile("^(?:\\s*+re\\s*+:\\s*+)*+ACME:\\s*+([A-Za-z0-9_-]++)\\s*+$", Pattern.CASE_INSENSITIVE);
    private static final String BEGIN = "-----BEGIN ACME RESPONSE-----";
    private static final String END = "-----END ACME RESPONSE-----";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern COMMENT = Pattern.compile("\\([^()]*\\)");
    private static final Session SESSION = Session.getInstance(new Properties());

    private final AcmeOrders orders;
    private final AuditRecorder audit;
    private final List<String> trustedAuthservIds;
    private final MailboxEnrollment mailboxes;

    ChallengeReplies(AcmeOrders orders, AuditRecorder audit, MailboxEnrollment mailboxes) {
        this.orders = orders;
        this.audit = audit;
        this.mailboxes = mailboxes;
        this.trustedAuthservIds = orders.settings().trustedAuthservIds().stream().map(id -> id.toLowerCase(Locale.ROOT)).toList();
    }

    /** A reply refused, with the RFC 3463 enhanced status code and text the SMTP answer carries. */
    static final class Refused extends Exception {
        private final String status;

        Refused(String status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        String status() {
            return status;
        }
    }

    /**
     * Takes the reply in {@code raw}, or refuses it; either way audited. Returns what the SMTP answer says. Its
     * Authentication-Results are read only when a trusted relay handed it over ({@code relayed}): anyone else who
     * reaches the receiver could have written them.
     */
    String accept(byte[] raw, boolean relayed) throws Refused {
        MimeMessage message;
        String subject;
        try {
            message = new MimeMessage(SESSION, new ByteArrayInputStream(raw));
            subject = message.getSubject();
        } catch (MessagingException e) {
            throw refused("acme:reply", "5.6.0", "the message cannot be parsed: " + e.getMessage());
        }
        Matcher token = SUBJECT.matcher(subject == null ? "" : subject);
        if (!token.matches()) {
            throw refused("acme:reply", "5.7.1", "the Subject is not a reply to an ACME challenge (\"ACME: <token-part1>\")");
        }
        Optional<AcmeOrders.Order> found = orders.orderByTokenPart1(token.group(1));
        if (found.isEmpty()) {
            throw refused("acme:reply", "5.7.1", "no ACME challenge has the token in the Subject");
        }
        AcmeOrders.Order order = found.get();
        String target = "mailbox:" + order.mailbox();
        // A valid challenge is judged as the reply that made it so, sent again: the MTA retries when our 250 was lost.
        boolean again = order.challengeStatus().equals("valid");
        if (!again && (!order.challengeStatus().equals("pending") && !order.challengeStatus().equals("processing") || order.expired(orders.clock().instant()))) {
            throw refused(target, "5.7.1", "the challenge of order " + order.id() + " is no longer open");
        }
        String from = sender(message).orElseThrow(() -> refused(target, "5.7.1", "the reply must have one From address"));
        if (!from.equals(order.mailbox())) {
            throw refused(target, "5.7.1", "the reply is from " + from + ", the challenge went to " + order.mailbox());
        }
        Optional<MimeBodyPart> signed = SignedReply.content(raw, message, certificate -> mailboxes.current(certificate)
                .flatMap(IssuedCertificate::mailbox).filter(from::equals).isPresent());
        boolean dkim = relayed && authenticated(message, from.substring(from.indexOf('@') + 1));
        if (signed.isEmpty() && !dkim) {
            throw refused(target, "5.7.1", "the reply is not authenticated: " + (relayed ? "no Authentication-Results from a trusted authserv-id "
                    + trustedAuthservIds + " with dkim=pass for " + from.substring(from.indexOf('@') + 1)
                    : "it did not come through a trusted relay (letterlock.enroll.acme.trusted-relays), so its Authentication-Results do not count")
                    + ", and no S/MIME signature by a current certificate of this CA for " + from);
        }
        Optional<String> response = signed.isPresent() ? response(signed.get()) : response(message);
        if (response.isEmpty()) {
            throw refused(target, "5.6.0", "the reply has no -----BEGIN ACME RESPONSE----- block in a text/plain part" + (signed.isPresent() && !dkim ? " of its signed content" : ""));
        }
        // Authenticated: from here on the records name the mailbox holder and the order, as finalize will.
        order.proof().actAs();
        boolean correct = MessageDigest.isEqual(response.get().getBytes(StandardCharsets.US_ASCII), order.expectedResponse().getBytes(StandardCharsets.US_ASCII));
        if (again) {
            if (!correct) {
                throw refused(target, "5.7.1", "the challenge of order " + order.id() + " is no longer open");
            }
            audit.record("enroll.acme.reply", target, Outcome.ALLOWED, "reply for order " + order.id() + " again; it was already verified, nothing changed");
            return "2.6.0 reply for order " + order.id() + " already verified";
        }
        if (!correct) {
            // The holder of the mailbox answered wrongly: the challenge fails, as RFC 8555 section 7.5.1 has it.
            orders.invalidate(order, new AcmeProblem("incorrectResponse", 403, "the reply's response is not the key authorization digest for this account"));
            throw refused(target, "5.7.1", "the ACME response in the reply does not match the challenge of order " + order.id());
        }
        orders.replyVerified(order);
        // Durable before the 250, committed with other replies' records in one batch.
        audit.recordAsync(new AuditEvent(Actor.current(), "enroll.acme.reply", target, Outcome.ALLOWED, "reply for order " + order.id() + " verified, authenticated by "
                + (signed.isPresent() ? "its S/MIME signature" : "DKIM (Authentication-Results)")))
                .join();
        return "2.6.0 reply for order " + order.id() + " verified";
    }

    private Refused refused(String target, String status, String message) {
        audit.record("enroll.acme.reply", target, Outcome.DENIED, message);
        return new Refused(status, message);
    }

    private static Optional<String> sender(MimeMessage message) {
        try {
            Address[] from = message.getFrom();
            if (from == null || from.length != 1 || !(from[0] instanceof InternetAddress address)) {
                return Optional.empty();
            }
            return Optional.of(MailAddress.normalise(address.getAddress()));
        } catch (MessagingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The first Authentication-Results header from a trusted authserv-id decides: the organisation's MTA removes
     * headers claiming its id from incoming mail (RFC 8601 section 5), so one further down cannot be trusted over it.
     */
    private boolean authenticated(MimeMessage message, String domain) {
        String[] results;
        try {
            results = message.getHeader("Authentication-Results");
        } catch (MessagingException e) {
            return false;
        }
        if (results == null) {
            return false;
        }
        for (String header : results) {
            String[] parts = COMMENT.matcher(header.replaceAll("\\s+", " ")).replaceAll("").split(";");
            String authservId = parts[0].trim().split(" ")[0].toLowerCase(Locale.ROOT);
            if (!trustedAuthservIds.contains(authservId)) {
                continue;
            }
            for (int i = 1; i < parts.length; i++) {
                String[] words = parts[i].trim().toLowerCase(Locale.ROOT).split(" +");
                if (words[0].equals("dkim=pass")) {
                    for (String word : words) {
                        if (word.equals("header.d=" + domain) || word.startsWith("header.i=") && word.endsWith("@" + domain)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }
        return false;
    }

    /**
     * The response between the first BEGIN line and the END line after it, whitespace removed. Found by position, not
     * by a regular expression: a block of whitespace without an END line made the one used before backtrack for hours.
     */
    static Optional<String> responseIn(String text) {
        int begin = text.indexOf(BEGIN);
        int end = begin < 0 ? -1 : text.indexOf(END, begin + BEGIN.length());
        if (end < 0) {
            return Optional.empty();
        }
        String response = text.substring(begin + BEGIN.length(), end).replaceAll("\\s+", "");
        return TOKEN.matcher(response).matches() ? Optional.of(response) : Optional.empty();
    }

    private static Optional<String> response(jakarta.mail.Part message) {
        try {
            Optional<String> text = plainText(message);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            return responseIn(text.get());
        } catch (MessagingException | IOException | RuntimeException e) {
            // Whatever the reply's own bytes make the parser throw is the reply's fault: refused, not retried.
            return Optional.empty();
        }
    }

    /**
     * The first text/plain part, read from its decoded bytes and charset rather than through getContent(): the content
     * handlers are Angus Mail's, which the application's class loader cannot see in Payara, and each reply would pay
     * failed class lookups to find them.
     */
    private static Optional<String> plainText(jakarta.mail.Part part) throws MessagingException, IOException {
        if (part.isMimeType("text/plain")) {
            String charset = new ContentType(part.getContentType()).getParameter("charset");
            return Optional.of(new String(part.getInputStream().readAllBytes(),
                    charset == null ? StandardCharsets.US_ASCII : Charset.forName(MimeUtility.javaCharset(charset))));
        }
        if (part.isMimeType("multipart/*")) {
            Multipart parts = new MimeMultipart(part.getDataHandler().getDataSource());
            for (int i = 0; i < parts.getCount(); i++) {
                Optional<String> text = plainText(parts.getBodyPart(i));
                if (text.isPresent()) {
                    return text;
                }
            }
        }
        return Optional.empty();
    }
}
