package org.letterlock.mail.delivery;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.queue.Spool;

/** Delivery status notifications (RFC 3464) for recipients that could not be delivered, queued from the null sender. */
final class Bounces {
    private static final Pattern ENHANCED = Pattern.compile("^\\d{3} ([245]\\.\\d{1,3}\\.\\d{1,3})\\b");

    private Bounces() {
    }

    static Envelope queue(Spool spool, Envelope original, List<Envelope.Recipient> failed, String hostName, Clock clock) throws IOException {
        // Random, not the queue ID: a remote MX saw that ID in the Received field, and its reply text goes into the notice.
        String boundary = "=_letterlock_" + randomTag();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().atOffset(ZoneOffset.UTC));
        return spool.enqueue("", List.of(original.sender()), clock.instant(), out -> {
            StringBuilder text = new StringBuilder();
            text.append("From: Mail Delivery System <MAILER-DAEMON@").append(hostName).append(">\r\n");
            text.append("To: <").append(original.sender()).append(">\r\n");
            text.append("Subject: Undelivered Mail Returned to Sender\r\n");
            text.append("Date: ").append(date).append("\r\n");
            text.append("Message-ID: <").append(original.id()).append(".bounce@").append(hostName).append(">\r\n");
            text.append("Auto-Submitted: auto-replied\r\n");
            text.append("MIME-Version: 1.0\r\n");
            text.append("Content-Type: multipart/report; report-type=delivery-status; boundary=\"").append(boundary).append("\"\r\n\r\n");
            text.append("--").append(boundary).append("\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
            text.append("This is the mail gateway at ").append(hostName).append(".\r\n\r\n");
            text.append("Your message could not be delivered to the recipients below. It has been removed from the queue.\r\n\r\n");
            for (Envelope.Recipient r : failed) {
                text.append("<").append(r.address()).append(">: ").append(oneLine(r.lastReply())).append("\r\n");
            }
            text.append("\r\n--").append(boundary).append("\r\nContent-Type: message/delivery-status\r\n\r\n");
            text.append("Reporting-MTA: dns; ").append(hostName).append("\r\n");
            text.append("X-Letterlock-Queue-ID: ").append(original.id()).append("\r\n");
            text.append("Arrival-Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(original.received().atOffset(ZoneOffset.UTC))).append("\r\n");
            for (Envelope.Recipient r : failed) {
                text.append("\r\nFinal-Recipient: rfc822; ").append(r.address()).append("\r\n");
                text.append("Action: failed\r\n");
                text.append("Status: ").append(status(r.lastReply())).append("\r\n");
                text.append("Diagnostic-Code: smtp; ").append(oneLine(r.lastReply())).append("\r\n");
            }
            text.append("\r\n--").append(boundary).append("\r\nContent-Type: text/rfc822-headers\r\n\r\n");
            out.write(text.toString().getBytes(StandardCharsets.UTF_8));
            writeOriginalHeaders(spool, original.id(), out);
            out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        });
    }

    /** Tells the sender that delivery to {@code recipient} is held and why (RFC 3464 Action: delayed); the message stays queued. */
    static Envelope queueDelayNotice(Spool spool, Envelope original, String recipient, String reason, String hostName, Clock clock) throws IOException {
        String boundary = "=_letterlock_delay_" + randomTag();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().atOffset(ZoneOffset.UTC));
        return spool.enqueue("", List.of(original.sender()), clock.instant(), out -> {
            String text = "From: Mail Delivery System <MAILER-DAEMON@" + hostName + ">\r\n"
                    + "To: <" + original.sender() + ">\r\n"
                    + "Subject: Delivery held: action needed\r\n"
                    + "Date: " + date + "\r\n"
                    + "Message-ID: <" + original.id() + "." + Math.abs(recipient.hashCode()) + ".held@" + hostName + ">\r\n"
                    + "Auto-Submitted: auto-replied\r\n"
                    + "MIME-Version: 1.0\r\n"
                    + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"\r\n\r\n"
                    + "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                    + "This is the mail gateway at " + hostName + ".\r\n\r\n"
                    + "Your message to <" + recipient + "> is held and has not been sent:\r\n    " + oneLine(reason) + "\r\n\r\n"
                    + "It is sent as soon as the recipient has a key or you set a passphrase for them\r\n"
                    + "(PUT /api/gateway/passphrases), and returned to you if neither happens in time.\r\n"
                    + "\r\n--" + boundary + "\r\nContent-Type: message/delivery-status\r\n\r\n"
                    + "Reporting-MTA: dns; " + hostName + "\r\n"
                    + "X-Letterlock-Queue-ID: " + original.id() + "\r\n\r\n"
                    + "Final-Recipient: rfc822; " + recipient + "\r\n"
                    + "Action: delayed\r\n"
                    + "Status: 4.7.0\r\n"
                    + "Diagnostic-Code: smtp; " + reason.replaceAll("[\r\n]+", " ") + "\r\n"
                    + "\r\n--" + boundary + "\r\nContent-Type: text/rfc822-headers\r\n\r\n";
            out.write(text.getBytes(StandardCharsets.UTF_8));
            writeOriginalHeaders(spool, original.id(), out);
            out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        });
    }

    /** The enhanced status code of a reply, or the class's generic one. */
    static String status(String reply) {
        Matcher m = ENHANCED.matcher(reply);
        if (m.find() && m.group(1).startsWith("5")) {
            return m.group(1);
        }
        return "5.0.0";
    }

    private static void writeOriginalHeaders(Spool spool, String id, OutputStream out) throws IOException {
        try (InputStream in = new BufferedInputStream(spool.open(id))) {
            for (HeaderSection.Field field : HeaderSection.read(in, 2 * 1024 * 1024).fields()) {
                out.write(field.raw());
            }
        }
    }

    /** A reply or reason on one line, without control characters: a hop's reply text must not add lines or parts to the notice. */
    static String oneLine(String text) {
        return text.replaceAll("[\\p{Cntrl}]+", " ");
    }

    private static String randomTag() {
        byte[] random = new byte[12];
        RANDOM.nextBytes(random);
        return java.util.HexFormat.of().formatHex(random);
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
}
