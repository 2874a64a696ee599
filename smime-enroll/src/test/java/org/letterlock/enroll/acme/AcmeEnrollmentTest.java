package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.letterlock.enroll.EnrollFixture;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.RevocationReason;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeServerException;

/**
 * The whole ACME flow as acme4j-client runs it, with the test answering the RFC 8823 challenge mail as a mail client
 * would (acme4j has no email-reply-00 support), swaks handing the reply to the receiver, openssl making the CSR and
 * verifying the certificate for S/MIME signing.
 */
class AcmeEnrollmentTest extends AcmeServerTests {

    static Session session() throws Exception {
        return server.acmeSession();
    }

    static KeyPair accountKey(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.equals("ES256") ? "EC" : "RSA");
        if (algorithm.equals("ES256")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    @ParameterizedTest(name = "issues/{0}-account")
    @ValueSource(strings = {"ES256", "RS256"})
    void aMailClientEnrollsASigningCertificate(String algorithm) throws Exception {
        String mailbox = EnrollFixture.newMailbox("acme-" + algorithm.toLowerCase());
        server.fixture.verifiedMailbox(mailbox, "ada");
        KeyPair key = accountKey(algorithm);
        Account account = new AccountBuilder().agreeToTermsOfService().addEmail(mailbox).useKeyPair(key).create(session());

        Order order = account.newOrder().identifier(new Identifier("email", mailbox)).create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        assertThat(challenge.getType()).isEqualTo("email-reply-00");
        assertThat(challenge.getJSON().get("from").asString()).isEqualTo(AcmeTestServer.CHALLENGE_FROM);
        challenge.trigger();

        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        assertThat(mail.header("Auto-Submitted")).isEqualTo("auto-generated; type=acme");
        assertThat(mail.mail().getFrom()[0].toString()).isEqualTo(AcmeTestServer.CHALLENGE_FROM);
        assertThat(mail.messageId()).matches("<[A-Za-z0-9_.-]+@ca\\.example\\.org>");
        assertThat(mail.tokenPart1()).matches("[A-Za-z0-9_-]{22,}").isNotEqualTo(challenge.getJSON().get("token").asString());
        byte[] reply = mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox)));
        Path replyFile = Files.write(work.resolve("reply-" + algorithm + ".eml"), reply);
        String swaks = AcmeTestServer.run("swaks", "--server", "127.0.0.1:" + server.replies.port(), "-tls", "--from", mailbox, "--to", AcmeTestServer.CHALLENGE_FROM,
                "--data", "@" + replyFile);
        assertThat(swaks).contains("<~  250 2.6.0 reply for order ");

        assertThat(challenge.waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);
        assertThat(order.waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
        Path keyFile = work.resolve("signing-" + algorithm + ".key");
        Path csr = work.resolve("signing-" + algorithm + ".csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile.toString(), "-subj", "/CN=Ada",
                "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER", "-out", csr.toString());
        order.execute(Files.readAllBytes(csr));
        assertThat(order.waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);

        org.shredzone.acme4j.Certificate certificate = order.getCertificate();
        certificate.download();
        StringWriter chain = new StringWriter();
        certificate.writeCertificate(chain);
        Path chainFile = Files.writeString(work.resolve("chain-" + algorithm + ".pem"), chain.toString());
        Path leaf = Files.writeString(work.resolve("leaf-" + algorithm + ".pem"), chain.toString().substring(0, chain.toString().indexOf("-----END CERTIFICATE-----") + 25) + "\n");
        assertThat(AcmeTestServer.run("openssl", "verify", "-purpose", "smimesign", "-CAfile", server.fixture.rootPem().toString(), "-untrusted", chainFile.toString(),
                leaf.toString())).contains(": OK");
        assertThat(AcmeTestServer.run("openssl", "x509", "-in", leaf.toString(), "-noout", "-ext", "subjectAltName")).contains("email:" + mailbox);
        assertThat(certificate.getCertificate().getPublicKey().getEncoded()).isEqualTo(publicKeyDer(keyFile));
        assertThat(server.issued(mailbox)).isEqualTo(1);
        // The first download is served from what finalize kept, any later one from the store: the same chain.
        org.shredzone.acme4j.Certificate again = session().login(account.getLocation(), key).bindCertificate(certificate.getLocation());
        again.download();
        assertThat(again.getCertificateChain()).isEqualTo(certificate.getCertificateChain());

        // A subscriber does not give the CA's own reasons (privilegeWithdrawn, cACompromise): badRevocationReason, nothing revoked.
        assertThatThrownBy(() -> certificate.revoke(RevocationReason.PRIVILEGE_WITHDRAWN))
                .isInstanceOfSatisfying(org.shredzone.acme4j.exception.AcmeServerException.class,
                        e -> assertThat(e.getType().toString()).isEqualTo("urn:ietf:params:acme:error:badRevocationReason"));
        assertThat(server.fixture.ca.find(certificate.getCertificate().getSerialNumber()).orElseThrow().revoked()).isFalse();

        // Revoked by the account that ordered it (kid), or by the holder of the certificate's key (jwk).
        if (algorithm.equals("ES256")) {
            certificate.revoke();
        } else {
            org.shredzone.acme4j.Certificate.revoke(session(), new KeyPair(certificate.getCertificate().getPublicKey(), privateKey(keyFile)),
                    certificate.getCertificate(), RevocationReason.KEY_COMPROMISE);
        }
        assertThat(server.fixture.ca.find(certificate.getCertificate().getSerialNumber()).orElseThrow().revoked()).isTrue();

        // Each record names who acted: the account that signed the order, the mailbox the reply proved, who revoked.
        String orderId = order.getLocation().getPath().substring(order.getLocation().getPath().lastIndexOf('/') + 1);
        String accountId = account.getLocation().getPath().substring(account.getLocation().getPath().lastIndexOf('/') + 1);
        assertThat(actors(mailbox)).contains(
                "enroll.acme.order by acme-account/" + accountId + " enroll-client 127.0.0.1",
                "enroll.acme.reply by " + mailbox + " enroll/acme-email-reply/" + orderId,
                "ca.issue by " + mailbox + " enroll/acme-email-reply/" + orderId,
                "ca.revoke by " + (algorithm.equals("ES256") ? "acme-account/" + accountId
                        : "acme-certificate-key/" + server.fixture.ca.find(certificate.getCertificate().getSerialNumber()).orElseThrow().serialHex())
                        + " enroll-client 127.0.0.1");
    }

    /** "action by actor" of the audit records that mention {@code mailbox}, or whose target is one of its certificates. */
    private static java.util.List<String> actors(String mailbox) {
        java.util.Set<String> serials = new java.util.HashSet<>();
        server.fixture.ca.search(mailbox, null, null, 100, new org.letterlock.ca.Requester("rita", java.util.Set.of(org.letterlock.platform.identity.Role.RA_OFFICER)))
                .forEach(c -> serials.add("certificate:" + c.serialHex()));
        return server.fixture.platform.auditLog().read(0, 1_000_000).stream()
                .filter(r -> r.event().detail().contains(mailbox) || r.event().target().contains(mailbox) || serials.contains(r.event().target()))
                .map(r -> r.event().action() + " by " + r.event().actor()).toList();
    }

    @Test
    void theReplyMayArriveBeforeTheClientRespondsToTheChallenge() throws Exception {
        String mailbox = EnrollFixture.newMailbox("early");
        server.fixture.verifiedMailbox(mailbox, "eve");
        KeyPair key = accountKey("ES256");
        Order order = new AccountBuilder().agreeToTermsOfService().useKeyPair(key).create(session()).newOrder().identifier(new Identifier("email", mailbox))
                .create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        server.sendReply(mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));
        challenge.update();
        assertThat(challenge.getStatus()).as("valid only once the client responds").isEqualTo(Status.PENDING);

        challenge.trigger();

        assertThat(challenge.getStatus()).isEqualTo(Status.VALID);
    }

    /** What mail clients send by default: multipart/alternative, the text part UTF-8 in quoted-printable, an HTML part beside it. */
    @Test
    void aMultipartReplyInQuotedPrintableUtf8CompletesTheChallenge() throws Exception {
        String mailbox = EnrollFixture.newMailbox("multipart");
        server.fixture.verifiedMailbox(mailbox, "zoë");
        AcmeTestServer.ChallengedOrder ordered = server.challengedOrder(mailbox);
        String block = "-----BEGIN ACME RESPONSE-----\r\n" + ordered.response("") + "\r\n-----END ACME RESPONSE-----\r\n";
        jakarta.mail.internet.MimeMessage reply = new jakarta.mail.internet.MimeMessage(jakarta.mail.Session.getInstance(new java.util.Properties()));
        reply.setFrom(new jakarta.mail.internet.InternetAddress(mailbox));
        reply.setRecipients(jakarta.mail.Message.RecipientType.TO, AcmeTestServer.CHALLENGE_FROM);
        reply.setSubject("Re: ACME: " + ordered.mail().tokenPart1());
        jakarta.mail.internet.MimeBodyPart text = new jakarta.mail.internet.MimeBodyPart();
        text.setText("Grüße, hier ist die Antwort — ünïcödé:\r\n" + block, "UTF-8");
        text.setHeader("Content-Transfer-Encoding", "quoted-printable");
        jakarta.mail.internet.MimeBodyPart html = new jakarta.mail.internet.MimeBodyPart();
        html.setContent("<p>Grüße</p>", "text/html; charset=UTF-8");
        reply.setContent(new jakarta.mail.internet.MimeMultipart("alternative", text, html));
        reply.saveChanges();
        reply.addHeaderLine("Authentication-Results: " + AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox)));
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        reply.writeTo(raw);
        assertThat(raw.toString(java.nio.charset.StandardCharsets.US_ASCII)).contains("quoted-printable", "multipart/alternative", "Gr=C3=BC=C3=9Fe");

        server.sendReply(raw.toByteArray());

        assertThat(ordered.challenge().waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);
    }

    @Test
    void rejectsCsrForAnotherMailboxAndIssuesNothing() throws Exception {
        String mailbox = EnrollFixture.newMailbox("own");
        String other = EnrollFixture.newMailbox("other");
        server.fixture.verifiedMailbox(mailbox, "olga");
        server.fixture.verifiedMailbox(other, "otto");
        KeyPair key = accountKey("ES256");
        Order order = readyOrder(key, mailbox);
        Path csr = work.resolve("other.csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", work.resolve("other.key").toString(),
                "-subj", "/CN=Otto", "-addext", "subjectAltName=email:" + other, "-outform", "DER", "-out", csr.toString());
        long issuedBefore = server.issued(other) + server.issued(mailbox);

        assertThatThrownBy(() -> order.execute(Files.readAllBytes(csr))).isInstanceOf(AcmeServerException.class)
                .hasMessageContaining("must name exactly " + mailbox)
                .satisfies(e -> assertThat(((AcmeServerException) e).getProblem().getType().toString()).isEqualTo("urn:ietf:params:acme:error:badCSR"));
        assertThat(server.issued(other) + server.issued(mailbox)).isEqualTo(issuedBefore);
        order.update();
        assertThat(order.getStatus()).as("ready for a better CSR").isEqualTo(Status.READY);
        assertThat(server.fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.acme.finalize")
                && r.event().detail().contains("badCSR"));
    }

    @Test
    void rejectsAnRsaCsrKeyTooShortForTheProfile() throws Exception {
        String mailbox = EnrollFixture.newMailbox("weak");
        server.fixture.verifiedMailbox(mailbox, "wim");
        Order order = readyOrder(accountKey("ES256"), mailbox);
        Path csr = work.resolve("weak.csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", work.resolve("weak.key").toString(), "-subj", "/CN=Wim",
                "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER", "-out", csr.toString());

        assertThatThrownBy(() -> order.execute(Files.readAllBytes(csr))).isInstanceOf(AcmeServerException.class)
                .satisfies(e -> assertThat(((AcmeServerException) e).getProblem().getType().toString()).isEqualTo("urn:ietf:params:acme:error:badCSR"));
        assertThat(server.issued(mailbox)).isZero();
    }

    @Test
    void anAccountRollsItsKeyOverAndOrdersWithTheNewOne() throws Exception {
        String mailbox = EnrollFixture.newMailbox("rollover");
        server.fixture.verifiedMailbox(mailbox, "rita");
        KeyPair oldKey = accountKey("ES256");
        KeyPair newKey = accountKey("RS256");
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(oldKey).create(session());

        account.changeKey(newKey);

        assertThat(new AccountBuilder().onlyExisting().useKeyPair(newKey).create(session()).getLocation()).isEqualTo(account.getLocation());
        assertThatThrownBy(() -> new AccountBuilder().onlyExisting().useKeyPair(oldKey).create(session())).isInstanceOf(AcmeServerException.class)
                .satisfies(e -> assertThat(((AcmeServerException) e).getProblem().getType().toString()).isEqualTo("urn:ietf:params:acme:error:accountDoesNotExist"));
        assertThatThrownBy(() -> session().login(account.getLocation(), oldKey).getAccount().newOrder().identifier(new Identifier("email", mailbox)).create())
                .as("the old key signs for the account no more").isInstanceOf(AcmeServerException.class);
        Order order = readyOrder(session().login(account.getLocation(), newKey).getAccount(), newKey, mailbox);
        assertThat(order.getStatus()).isEqualTo(Status.READY);
        assertThat(server.fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.acme.key-change")
                && r.event().target().equals("acme-account:" + account.getLocation().getPath().substring(account.getLocation().getPath().lastIndexOf('/') + 1)));
    }

    /** A reply a mail client (or someone else) sends, given the challenge, the mailbox and the account key. */
    interface ReplyMaker {
        byte[] make(AcmeTestServer.ChallengeMail mail, String mailbox, String response) throws Exception;
    }

    static Stream<Arguments> badReplies() {
        return Stream.of(
                badReply("rejects/reply-with-wrong-token", "does not match the challenge", Status.INVALID,
                        (mail, mailbox, response) -> mail.reply(mailbox, response.substring(1) + "A", AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox)))),
                badReply("rejects/reply-from-wrong-sender", "the reply is from", Status.PENDING,
                        (mail, mailbox, response) -> mail.reply("mallory@example.org", response, AcmeTestServer.dkimPass("example.org"))),
                badReply("rejects/reply-unauthenticated", "not authenticated", Status.PENDING,
                        (mail, mailbox, response) -> mail.reply(mailbox, response, null)),
                badReply("rejects/reply-authenticated-by-an-untrusted-mta", "not authenticated", Status.PENDING,
                        (mail, mailbox, response) -> mail.reply(mailbox, response, "mx.evil.example; dkim=pass header.d=" + AcmeTestServer.domain(mailbox))),
                badReply("rejects/reply-with-dkim-for-another-domain", "not authenticated", Status.PENDING,
                        (mail, mailbox, response) -> mail.reply(mailbox, response, AcmeTestServer.dkimPass("evil.example"))),
                badReply("rejects/reply-with-dkim-fail", "not authenticated", Status.PENDING,
                        (mail, mailbox, response) -> mail.reply(mailbox, response, AcmeTestServer.MTA + "; dkim=fail header.d=" + AcmeTestServer.domain(mailbox))),
                badReply("rejects/reply-to-an-unknown-challenge", "no ACME challenge has the token", Status.PENDING,
                        (mail, mailbox, response) -> new String(mail.reply(mailbox, response, AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))),
                                StandardCharsets.US_ASCII).replace("ACME: " + mail.tokenPart1(), "ACME: " + mail.tokenPart1().substring(1) + "x")
                                .getBytes(StandardCharsets.US_ASCII)),
                badReply("rejects/reply-without-response", "no -----BEGIN ACME RESPONSE-----", Status.PENDING,
                        (mail, mailbox, response) -> new String(mail.reply(mailbox, response, AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))),
                                StandardCharsets.US_ASCII).replace("BEGIN ACME RESPONSE", "BEGIN RESPONSE").getBytes(StandardCharsets.US_ASCII)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badReplies")
    void badRepliesAreRefusedAuditedAndValidateNothing(String name, String message, Status challengeAfter, ReplyMaker maker) throws Exception {
        String mailbox = EnrollFixture.newMailbox("reply");
        server.fixture.verifiedMailbox(mailbox, "rob");
        AcmeTestServer.ChallengedOrder ordered = server.challengedOrder(mailbox);
        Order order = ordered.order();
        Challenge challenge = ordered.challenge();
        byte[] reply = maker.make(ordered.mail(), mailbox, ordered.response(""));

        long recordsBefore = org.letterlock.platform.audit.AuditPositions.newest(server.fixture.platform.auditLog());
        assertThatThrownBy(() -> server.sendReply(reply)).isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(smtpRefusal((MessagingException) e)).startsWith("550 5.").contains(message));
        challenge.update();
        assertThat(challenge.getStatus()).isEqualTo(challengeAfter == Status.INVALID ? Status.INVALID : Status.PROCESSING);
        // Refused in the name of the MTA that handed the reply over; a reply that proved its mailbox and answered wrongly, in the mailbox's.
        String refusedBy = challengeAfter == Status.INVALID ? mailbox + " enroll/acme-email-reply/" + order.getLocation().getPath().replaceAll(".*/", "")
                : "acme-reply smtp 127.0.0.1";
        assertThat(server.fixture.platform.auditLog().read(recordsBefore, 1_000_000))
                .anyMatch(r -> r.event().action().equals("enroll.acme.reply") && r.event().detail().contains(message) && r.event().actor().equals(refusedBy));
        assertThatThrownBy(() -> order.execute(Files.readAllBytes(csrFor(mailbox)))).isInstanceOf(AcmeServerException.class);
        assertThat(server.issued(mailbox)).isZero();
    }

    /** A client that reaches the receiver past the organisation's MTA could write the MTA's Authentication-Results itself. */
    @Test
    void authenticationResultsCountOnlyInAReplyATrustedRelayHandedOver() throws Exception {
        String mailbox = EnrollFixture.newMailbox("relayed");
        server.fixture.verifiedMailbox(mailbox, "rob");
        AcmeTestServer.ChallengedOrder ordered = server.challengedOrder(mailbox);
        Order order = ordered.order();
        Challenge challenge = ordered.challenge();
        byte[] reply = ordered.mail().reply(mailbox, ordered.response(""), AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox)));

        assertThatThrownBy(() -> server.sendReply(reply, "127.0.0.2")).isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(smtpRefusal((MessagingException) e)).startsWith("550 5.7.1").contains("did not come through a trusted relay"));
        challenge.update();
        assertThat(challenge.getStatus()).isEqualTo(Status.PROCESSING);

        server.sendReply(reply, AcmeTestServer.TRUSTED_RELAY);
        assertThat(order.waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
    }

    private static Arguments badReply(String name, String message, Status challengeAfter, ReplyMaker maker) {
        return Arguments.of(name, message, challengeAfter, maker);
    }

    /** The SMTP answer inside Jakarta Mail's exception chain. */
    private static String smtpRefusal(MessagingException e) {
        for (Exception next = e; next != null; next = next instanceof MessagingException m ? m.getNextException() : null) {
            if (next instanceof org.eclipse.angus.mail.smtp.SMTPSendFailedException failed) {
                return failed.getMessage().trim();
            }
            if (next instanceof org.eclipse.angus.mail.smtp.SMTPAddressFailedException failed) {
                return failed.getMessage().trim();
            }
        }
        return e.toString();
    }

    private static Path csrFor(String mailbox) throws Exception {
        Path csr = work.resolve(mailbox + ".csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                work.resolve(mailbox + ".key").toString(), "-subj", "/CN=Rob", "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER", "-out", csr.toString());
        return csr;
    }

    private Order readyOrder(KeyPair key, String mailbox) throws Exception {
        return readyOrder(new AccountBuilder().agreeToTermsOfService().useKeyPair(key).create(session()), key, mailbox);
    }

    /** An order of {@code account}, whose key is {@code key}, with its challenge answered. */
    private Order readyOrder(Account account, KeyPair key, String mailbox) throws Exception {
        Order order = account.newOrder().identifier(new Identifier("email", mailbox)).create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        challenge.trigger();
        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        server.sendReply(mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));
        assertThat(order.waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
        return order;
    }

    private static java.security.PrivateKey privateKey(Path keyFile) throws Exception {
        try (PEMParser pem = new PEMParser(Files.newBufferedReader(keyFile))) {
            return new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(pem.readObject()));
        }
    }

    private static byte[] publicKeyDer(Path keyFile) throws Exception {
        Path der = keyFile.resolveSibling(keyFile.getFileName() + ".pub.der");
        AcmeTestServer.run("openssl", "pkey", "-in", keyFile.toString(), "-pubout", "-outform", "DER", "-out", der.toString());
        return Files.readAllBytes(der);
    }

}
