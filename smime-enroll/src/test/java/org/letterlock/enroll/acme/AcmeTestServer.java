package org.letterlock.enroll.acme;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.store.Outbox;
import org.shredzone.acme4j.toolbox.JoseUtils;

/**
 * The enrollment fixture with ACME's reply receiver, and what a mail client does with a challenge mail: read it from
 * the outbox, answer it, and hand the answer to the receiver over SMTP (or LMTP) as the organisation's MTA would after checking
 * DKIM (it adds Authentication-Results as {@link #MTA}).
 */
final class AcmeTestServer implements AutoCloseable {
    static final String MTA = "mx.example.org";
    static final String CHALLENGE_FROM = "acme-challenge@ca.example.org";
    /** The organisation's MTA, the one client whose Authentication-Results count; 127.0.0.2 reaches the receiver past it. */
    static final String TRUSTED_RELAY = "127.0.0.1";

    final EnrollFixture fixture;
    final ReplyReceiver replies;

    AcmeTestServer(Path work) throws Exception {
        this(work, Map.of());
    }

    /** With {@code database} settings (a PostgreSQL schema, say) in place of the fixture's H2. */
    AcmeTestServer(Path work, Map<String, String> database) throws Exception {
        int smtpPort;
        int lmtpPort;
        // Both probes held open until both ports are known, so they differ.
        try (ServerSocket smtpProbe = new ServerSocket(0); ServerSocket lmtpProbe = new ServerSocket(0)) {
            smtpPort = smtpProbe.getLocalPort();
            lmtpPort = lmtpProbe.getLocalPort();
        }
        Map<String, String> settings = new java.util.HashMap<>(database);
        settings.putAll(Map.of("letterlock.enroll.acme.reply-port", Integer.toString(smtpPort), "letterlock.enroll.acme.reply-lmtp-port", Integer.toString(lmtpPort),
                "letterlock.enroll.acme.from", CHALLENGE_FROM, "letterlock.enroll.acme.trusted-authserv-ids", MTA,
                "letterlock.enroll.acme.trusted-relays", TRUSTED_RELAY));
        fixture = new EnrollFixture(work, settings);
        replies = ReplyReceiver.start(fixture.services, fixture.tls.serverContext()).orElseThrow();
    }

    String directory() {
        return fixture.url() + "/acme/directory";
    }

    /** acme4j's generic provider with a client that trusts the fixture's root, waiting up to a minute for an answer. */
    org.shredzone.acme4j.Session acmeSession() throws Exception {
        javax.net.ssl.SSLContext tls = fixture.clientTls();
        org.shredzone.acme4j.Session session = new org.shredzone.acme4j.Session(java.net.URI.create(directory()), new org.shredzone.acme4j.provider.GenericAcmeProvider() {
            @Override
            protected org.shredzone.acme4j.connector.HttpConnector createHttpConnector(org.shredzone.acme4j.connector.NetworkSettings settings) {
                return new org.shredzone.acme4j.connector.HttpConnector(settings) {
                    @Override
                    public java.net.http.HttpClient.Builder createClientBuilder() {
                        return super.createClientBuilder().sslContext(tls);
                    }
                };
            }
        });
        // acme4j gives up after 10 s; a loaded test machine, or a test that parks a request on purpose, may take longer.
        session.networkSettings().setTimeout(java.time.Duration.ofSeconds(60));
        return session;
    }

    /** An order of a new ES256 account for {@code mailbox}, its challenge responded to, and the challenge mail. */
    record ChallengedOrder(KeyPair accountKey, org.shredzone.acme4j.Order order, org.shredzone.acme4j.challenge.Challenge challenge, ChallengeMail mail) {
        /** The response a reply must carry (RFC 8823 section 3.1), for this challenge's token or, to be wrong, another. */
        String response(String tokenSuffix) throws Exception {
            return mail.response(challenge.getJSON().get("token").asString() + tokenSuffix, accountKey.getPublic());
        }
    }

    ChallengedOrder challengedOrder(String mailbox) throws Exception {
        KeyPair accountKey = AcmeEnrollmentTest.accountKey("ES256");
        org.shredzone.acme4j.Order order = new org.shredzone.acme4j.AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey).create(acmeSession())
                .newOrder().identifier(new org.shredzone.acme4j.Identifier("email", mailbox)).create();
        org.shredzone.acme4j.challenge.Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        challenge.trigger();
        return new ChallengedOrder(accountKey, order, challenge, challengeMail(mailbox));
    }

    /** The challenge mail sent to {@code mailbox}, the newest one, as its recipient reads it. */
    static ChallengeMail challengeMail(String mailbox) throws Exception {
        List<String> mails = Outbox.mailsTo(EnrollFixture.TOKEN_DATA, mailbox);
        for (int i = mails.size() - 1; i >= 0; i--) {
            MimeMessage mail = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mails.get(i).getBytes(StandardCharsets.UTF_8)));
            if (mail.getSubject() != null && mail.getSubject().startsWith("ACME: ")) {
                return new ChallengeMail(mail);
            }
        }
        throw new AssertionError("no ACME challenge mail to " + mailbox);
    }

    record ChallengeMail(MimeMessage mail) {
        String tokenPart1() throws Exception {
            return mail.getSubject().substring("ACME: ".length());
        }

        String messageId() throws Exception {
            return mail.getMessageID();
        }

        String header(String name) throws Exception {
            String[] values = mail.getHeader(name);
            return values == null ? null : values[0];
        }

        /** RFC 8823 section 3.1: base64url(SHA-256(token-part1 || token-part2 "." base64url(JWK thumbprint))), thumbprint by acme4j. */
        String response(String tokenPart2, PublicKey accountKey) throws Exception {
            String keyAuthorization = tokenPart1() + tokenPart2 + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(JoseUtils.thumbprint(accountKey));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(keyAuthorization.getBytes(StandardCharsets.US_ASCII)));
        }

        /** The reply a mail client writes, with the Authentication-Results its organisation's MTA adds ({@code null}: none). */
        byte[] reply(String from, String response, String authenticationResults) throws Exception {
            MimeMessage reply = new MimeMessage(Session.getInstance(new Properties()));
            reply.setFrom(new InternetAddress(from));
            reply.setRecipients(Message.RecipientType.TO, mail.getFrom()[0].toString());
            reply.setSubject("Re: " + mail.getSubject());
            reply.setHeader("In-Reply-To", messageId());
            reply.setText("-----BEGIN ACME RESPONSE-----\r\n" + response + "\r\n-----END ACME RESPONSE-----\r\n", "US-ASCII");
            reply.saveChanges();
            if (authenticationResults != null) {
                reply.addHeaderLine("Authentication-Results: " + authenticationResults);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            reply.writeTo(out);
            return out.toByteArray();
        }
    }

    /** {@code dkim=pass} for {@code domain}, as the trusted MTA writes it. */
    static String dkimPass(String domain) {
        return MTA + "; dkim=pass (2048-bit key) header.d=" + domain + " header.s=mail; spf=pass smtp.mailfrom=" + domain;
    }

    static String domain(String mailbox) {
        return mailbox.substring(mailbox.indexOf('@') + 1);
    }

    /** Hands {@code raw} to the reply receiver with Jakarta Mail over STARTTLS; the SMTP answer's failure is the exception. */
    void sendReply(byte[] raw) throws Exception {
        sendReply(raw, TRUSTED_RELAY);
    }

    /** As {@link #sendReply(byte[])}, from local address {@code from}. */
    void sendReply(byte[] raw, String from) throws Exception {
        Properties properties = new Properties();
        properties.put("mail.smtp.localaddress", from);
        properties.put("mail.smtp.host", "127.0.0.1");
        properties.put("mail.smtp.port", Integer.toString(replies.port()));
        properties.put("mail.smtp.starttls.enable", "true");
        properties.put("mail.smtp.starttls.required", "true");
        properties.put("mail.smtp.ssl.socketFactory", fixture.clientTls().getSocketFactory());
        properties.put("mail.smtp.ssl.checkserveridentity", "true");
        Session session = Session.getInstance(properties);
        MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(raw)) {
            @Override
            protected void updateMessageID() {
                // Sent as written.
            }
        };
        Transport.send(message, new InternetAddress[] {new InternetAddress(CHALLENGE_FROM)});
    }

    /** Certificates the CA issued for {@code mailbox}, by its audit records. */
    long issued(String mailbox) {
        return fixture.platform.auditLog().read(0, 1_000_000).stream()
                .filter(r -> r.event().action().equals("ca.issue") && r.event().outcome() == Outcome.ALLOWED && r.event().detail().contains(mailbox)).count();
    }

    /** A fresh account key for JWS algorithm {@code alg}: ES256 (P-256), RS256 (2048 bits) or EdDSA (Ed25519). */
    static KeyPair accountKeyPair(String alg) throws Exception {
        return switch (alg) {
            case "ES256" -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                yield generator.generateKeyPair();
            }
            case "RS256" -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                yield generator.generateKeyPair();
            }
            case "EdDSA" -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            default -> throw new IllegalArgumentException("no account keys for " + alg);
        };
    }

    /** How a reply reaches Letterlock: SMTP with STARTTLS, or LMTP as an MTA delivering to local services does. */
    enum Via { SMTP, LMTP }

    /**
     * swaks's transcript, whatever the answer: {@code reply} is sent as written from {@code from}, over {@code transport},
     * from 127.0.0.2, which is no trusted relay: what swaks sends stands on its own (an S/MIME signature), as a reply
     * that reaches the receiver past the organisation's MTA must.
     */
    String swaks(Via transport, String from, Path reply) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--local-interface", "127.0.0.2", "--from", from, "--to", CHALLENGE_FROM, "--data", "@" + reply));
        command.addAll(transport == Via.SMTP ? List.of("--server", "127.0.0.1:" + replies.port(), "-tls")
                : List.of("--protocol", "LMTP", "--server", "127.0.0.1:" + replies.lmtpPort()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("swaks did not finish");
        }
        return out;
    }

    /** Runs a tool to its end and returns what it printed; it must succeed. */
    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }

    @Override
    public void close() {
        replies.close();
        fixture.close();
    }
}
