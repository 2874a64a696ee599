package org.letterlock.bench;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A complete ACME order for an S/MIME certificate as a mail client with RFC 8823 support would run it: a new account,
 * an order for its mailbox, the challenge mail read where the organisation's relay delivers it (the benchmark's SMTP
 * sink, standing in for the user's mailbox), the reply written and handed to Letterlock's reply receiver over STARTTLS
 * with the Authentication-Results header the organisation's MTA adds after checking DKIM, then finalize and the
 * certificate download. One {@link Thread} per instance: it keeps its ACME nonce and its SMTP connection.
 */
final class AcmeMailClient {
    /** The authserv-id the benchmark's server trusts, as the organisation's MTA would write it. */
    static final String MTA = "mx.bench.test";
    static final String CHALLENGE_FROM = "acme-challenge@bench.test";
    private static final long MAIL_WAIT_SECONDS = 30;

    /** The JWS signatures of an order that goes as expected: new-account, new-order, authorization, challenge, finalize, download. */
    static final int SIGNATURES_PER_ORDER = 6;

    /**
     * One order to run: its mailbox (registered), the account's key with the nonce points of its signatures made ahead,
     * and the DER CSR for the signing key the client made.
     */
    record Request(String mailbox, Es256Signer accountKey, byte[] csr) {
    }

    /** Challenge mails by the mailbox they went to, for the client waiting for them. */
    static final class Mailboxes {
        private final Map<String, CompletableFuture<SmtpSink.Arrival>> waiting = new ConcurrentHashMap<>();

        /** Delivers a challenge mail to whoever waits for its recipient (or keeps it until they ask). */
        void deliver(SmtpSink.Arrival arrival) {
            String to = arrival.fields().get("to");
            String subject = arrival.fields().get("subject");
            if (to != null && subject != null && subject.startsWith("ACME: ")) {
                mailFor(bare(to)).complete(arrival);
            }
        }

        CompletableFuture<SmtpSink.Arrival> mailFor(String mailbox) {
            return waiting.computeIfAbsent(mailbox.toLowerCase(Locale.ROOT), m -> new CompletableFuture<>());
        }

        void forget(String mailbox) {
            waiting.remove(mailbox.toLowerCase(Locale.ROOT));
        }

        private static String bare(String address) {
            String a = address.strip();
            int open = a.lastIndexOf('<');
            return (open >= 0 ? a.substring(open + 1, a.indexOf('>', open)) : a).toLowerCase(Locale.ROOT);
        }
    }

    private final AcmeClient acme;
    private final Mailboxes mailboxes;
    private final Session smtp;
    private Transport transport;

    AcmeMailClient(HttpClient http, Map<String, Object> directory, Mailboxes mailboxes, int replyPort, SSLContext trust) {
        this.acme = new AcmeClient(http, directory);
        this.mailboxes = mailboxes;
        Properties properties = new Properties();
        properties.put("mail.smtp.host", "127.0.0.1");
        properties.put("mail.smtp.port", Integer.toString(replyPort));
        properties.put("mail.smtp.starttls.enable", "true");
        properties.put("mail.smtp.starttls.required", "true");
        properties.put("mail.smtp.ssl.socketFactory", trust.getSocketFactory());
        properties.put("mail.smtp.ssl.checkserveridentity", "true");
        properties.put("mail.smtp.connectiontimeout", "5000");
        properties.put("mail.smtp.timeout", "30000");
        this.smtp = Session.getInstance(properties);
    }

    static Map<String, Object> directory(HttpClient http, URI enroll) throws IOException, InterruptedException {
        return AcmeClient.directory(http, URI.create(enroll + "/acme/directory"));
    }

    /** Runs one whole order; returns the PEM chain downloaded, its first certificate checked to be for the mailbox. */
    String order(Request request) throws Exception {
        CompletableFuture<SmtpSink.Arrival> challengeMail = mailboxes.mailFor(request.mailbox());
        try {
            Es256Signer key = request.accountKey();
            String account = acme.newAccount(key, request.mailbox());
            AcmeClient.Answer order = acme.newOrder(key, account, request.mailbox());
            Map<String, Object> orderJson = order.json();
            String authorization = (String) ((List<?>) orderJson.get("authorizations")).get(0);
            @SuppressWarnings("unchecked")
            Map<String, Object> challenge = (Map<String, Object>) ((List<?>) acme.post(authorization, key, account, "", 200).json().get("challenges")).get(0);
            acme.post(Json.string(challenge, "url"), key, account, "{}", 200);
            SmtpSink.Arrival mail = challengeMail.get(MAIL_WAIT_SECONDS, TimeUnit.SECONDS);
            String tokenPart1 = mail.fields().get("subject").substring("ACME: ".length()).strip();
            reply(request.mailbox(), tokenPart1, mail.fields().get("message-id"),
                    AcmeClient.challengeResponse(tokenPart1, Json.string(challenge, "token"), key.publicKey()));
            Map<String, Object> finalized = acme.post(Json.string(orderJson, "finalize"), key, account,
                    "{\"csr\":" + Json.quote(AcmeClient.base64url(request.csr())) + "}", 200).json();
            for (int poll = 0; !"valid".equals(finalized.get("status")); poll++) {
                if (poll == 50 || !"processing".equals(finalized.get("status"))) {
                    throw new IllegalStateException("the finalized order of " + request.mailbox() + " is " + finalized.get("status") + ": " + finalized);
                }
                Thread.sleep(20);
                finalized = acme.post(order.location(), key, account, "", 200).json();
            }
            String chain = acme.post(Json.string(finalized, "certificate"), key, account, "", 200).body();
            String subject = Ocsp.certificate(chain).getSubject().toString();
            if (!subject.contains(request.mailbox())) {
                throw new IllegalStateException("ACME answered a certificate for " + subject + ", not " + request.mailbox());
            }
            return chain;
        } finally {
            mailboxes.forget(request.mailbox());
        }
    }

    /** The reply RFC 8823 section 3.2 asks for, sent on this client's kept SMTP connection. */
    private void reply(String mailbox, String tokenPart1, String inReplyTo, String response) throws MessagingException {
        MimeMessage reply = new MimeMessage(smtp);
        reply.setFrom(new InternetAddress(mailbox));
        reply.setRecipients(Message.RecipientType.TO, CHALLENGE_FROM);
        reply.setSubject("Re: ACME: " + tokenPart1);
        if (inReplyTo != null) {
            reply.setHeader("In-Reply-To", inReplyTo);
        }
        reply.setText("-----BEGIN ACME RESPONSE-----\r\n" + response + "\r\n-----END ACME RESPONSE-----\r\n", "US-ASCII");
        reply.saveChanges();
        String domain = mailbox.substring(mailbox.indexOf('@') + 1);
        reply.addHeaderLine("Authentication-Results: " + MTA + "; dkim=pass header.d=" + domain + " header.s=bench");
        if (transport == null || !transport.isConnected()) {
            transport = smtp.getTransport("smtp");
            transport.connect();
        }
        transport.sendMessage(reply, reply.getAllRecipients());
    }

    void close() {
        if (transport != null) {
            try {
                transport.close();
            } catch (MessagingException e) {
                // closing anyway
            }
        }
    }
}
