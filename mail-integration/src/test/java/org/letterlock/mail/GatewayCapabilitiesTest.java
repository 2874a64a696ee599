package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.TestRequests;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smime.GpgsmHome;
import org.letterlock.mail.smime.SignedMessages;

/**
 * S/MIME capabilities learned from signed mail through the gateway choose what the next mail to the signer uses:
 * gpgsm 2.2's signature makes it PKCS#1 v1.5 and AES-256-CBC, which gpgsm then decrypts; a client announcing GCM and
 * OAEP gets AuthEnvelopedData; forged, untrusted, mismatched and older announcements change nothing; several
 * recipients get what all read, each RSA recipient its own key transport.
 */
class GatewayCapabilitiesTest extends GatewayBeforePostfixTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path gnupgHome;

    private final Set<Path> seen = new HashSet<>();

    @Test
    void afterAGpgsmUserSignedAMailTheNextOneToThemIsWhatGpgsm22Decrypts() throws Exception {
        String bob = unique("bob");
        Path[] bobFiles = gateway.mailbox(bob, "mailbox-multipurpose", TestRequests.rsa(2048));
        try (GpgsmHome gpgsm = new GpgsmHome(gnupgHome, work)) {
            gpgsm.trust(certificate(gateway.ca.issuer("root").orElseThrow().requireCertificate()), issuing(bobFiles[0]));
            gpgsm.importRsa(bobFiles[0], bobFiles[1]);

            String before = send(bob, "before");
            assertThat(before).contains("content=aes256-cbc; rsa=oaep; capabilities=unknown");
            assertThat(gpgsm.decrypt(der(before), work.resolve("before.out")).output()).contains("error getting encrypted session key");

            Path part = Files.writeString(work.resolve("part.txt"), SignedMessages.PART);
            send(SignedMessages.multipartSigned(bob, gpgsm.detachSign(bob, part)));
            assertThat(gateway.capabilities.find(bob, certificate(bobFiles[0]).getIssuerX500Principal().getName())).isPresent();

            String after = send(bob, "after");
            assertThat(after).contains("X-Letterlock-Policy: smime; route=next-hop; policy=organisation; key=letterlock-ca; content=aes256-cbc; rsa=pkcs1v15; capabilities=signed-mail",
                    "smime-type=enveloped-data");
            Path opened = work.resolve("after.out");
            GpgsmHome.succeeds(gpgsm.decrypt(der(after), opened));
            assertThat(Files.readString(opened)).contains("the body of after");
        }
    }

    @Test
    void modernAnnouncementsGetGcmForgedOlderAndForeignOnesChangeNothingAndSeveralRecipientsGetWhatAllRead() throws Exception {
        String carol = unique("carol");
        KeyPair carolKeys = TestRequests.rsa(2048);
        Path[] carolFiles = gateway.mailbox(carol, "mailbox-multipurpose", carolKeys);
        String dave = unique("dave");
        KeyPair daveKeys = TestRequests.rsa(2048);
        Path[] daveFiles = gateway.mailbox(dave, "mailbox-multipurpose", daveKeys);
        Path part = Files.writeString(work.resolve("part.txt"), SignedMessages.PART);

        // OpenSSL 3.0 announces AES-CBC and older ciphers, no GCM and no key transport.
        Path opensslSignature = work.resolve("openssl.p7s");
        run("openssl", "cms", "-sign", "-binary", "-in", part.toString(), "-signer", daveFiles[0].toString(), "-inkey", daveFiles[1].toString(),
                "-outform", "DER", "-out", opensslSignature.toString());
        send(SignedMessages.multipartSigned(dave, Files.readAllBytes(opensslSignature)));
        String toDave = send(dave, "to dave");
        assertThat(toDave).contains("content=aes256-cbc; rsa=pkcs1v15; capabilities=signed-mail");
        assertThat(decrypt(toDave, daveFiles)).contains("the body of to dave");

        // Signing times ahead of the clock, within its skew: the certificates were issued a moment ago.
        Instant signed = gateway.clock.instant().plusSeconds(120);
        X509Certificate carolCertificate = certificate(carolFiles[0]);
        send(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(carolCertificate, carolKeys.getPrivate(), Optional.of(signed),
                NISTObjectIdentifiers.id_aes256_GCM, NISTObjectIdentifiers.id_aes256_CBC, PKCSObjectIdentifiers.id_RSAES_OAEP)));
        String toCarol = send(carol, "to carol");
        assertThat(toCarol).contains("content=aes256-gcm; rsa=oaep; capabilities=signed-mail", "smime-type=authEnveloped-data");
        assertThat(decrypt(toCarol, carolFiles)).contains("the body of to carol");

        // Downgrade attempts, each announcing only AES-128-CBC for carol: older, tampered, self-signed, signed by dave.
        ASN1ObjectIdentifier weak = NISTObjectIdentifiers.id_aes128_CBC;
        send(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(carolCertificate, carolKeys.getPrivate(), Optional.of(signed.minusSeconds(60)), weak)));
        send(new String(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(carolCertificate, carolKeys.getPrivate(), Optional.of(signed.plusSeconds(60)), weak)), StandardCharsets.US_ASCII)
                .replace("what I read, signed", "what I read, changed").getBytes(StandardCharsets.US_ASCII));
        KeyPair forgerKeys = TestRequests.rsa(2048);
        X509Certificate forged = selfSigned(forgerKeys, carol);
        send(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(forged, forgerKeys.getPrivate(), Optional.of(signed.plusSeconds(60)), weak)));
        send(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(certificate(daveFiles[0]), daveKeys.getPrivate(), Optional.of(signed.plusSeconds(60)), weak)));
        assertThat(gateway.capabilities.find(carol, carolCertificate.getIssuerX500Principal().getName()).orElseThrow().capabilities().readsAes256Gcm()).isTrue();
        assertThat(refusals(4)).anyMatch(r -> r.contains("not newer than what is stored")).anyMatch(r -> r.contains("message-digest attribute value does not match"))
                .anyMatch(r -> r.contains("does not chain to a trusted CA")).anyMatch(r -> r.contains("does not name the From address"));
        assertThat(send(carol, "still gcm")).contains("content=aes256-gcm; rsa=oaep; capabilities=signed-mail");

        String both = send(carol + "," + dave, "to both");
        assertThat(both).contains("content=aes256-cbc; rsa=oaep,pkcs1v15; capabilities=signed-mail", "smime-type=enveloped-data");
        assertThat(decrypt(both, carolFiles)).contains("the body of to both");
        assertThat(decrypt(both, daveFiles)).contains("the body of to both");
        String cms = run("openssl", "cms", "-cmsout", "-print", "-in", Files.writeString(work.resolve("both.eml"), both).toString());
        assertThat(cms).contains("rsaesOaep", "rsaEncryption");
    }

    /**
     * While the capability store cannot be read or written: a signed message still goes out (once), and of a message to
     * a clear and an S/MIME recipient the clear copy goes at once and only the S/MIME copy waits, counted as an attempt,
     * until the store is back. No copy is sent twice.
     */
    @Test
    void aCapabilityStoreThatFailsDefersOnlyTheSmimeCopyAndNoCopyGoesTwice() throws Exception {
        String carol = unique("carol");
        KeyPair carolKeys = TestRequests.rsa(2048);
        Path[] carolFiles = gateway.mailbox(carol, "mailbox-multipurpose", carolKeys);
        capabilityTable("gateway_smime_capabilities", "gateway_smime_capabilities_away");

        send(SignedMessages.multipartSigned(carol, SignedMessages.detachedSignature(certificate(carolFiles[0]), carolKeys.getPrivate(),
                Optional.of(gateway.clock.instant().plusSeconds(60)), NISTObjectIdentifiers.id_aes256_GCM)));
        assertThat(audited(org.letterlock.platform.audit.Outcome.FAILED)).anyMatch(r -> r.startsWith("not learned: the database is not available"));

        Path message = Files.writeString(work.resolve("both.eml"), "From: alice@example.org\r\nTo: erin@partner.test, " + carol
                + "\r\nSubject: to both\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nthe body\r\n");
        run("swaks", "--from", "alice@example.org", "--to", "erin@partner.test," + carol, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls",
                "--data", message.toString());
        Envelope.Recipient waiting = awaitAttempted(carol);
        assertThat(waiting.status()).isEqualTo(Envelope.Status.PENDING);
        assertThat(waiting.attempts()).isEqualTo(1);
        assertThat(waiting.lastReply()).startsWith("451 4.3.0 the recipients' S/MIME capabilities could not be read: the database is not available");
        assertThat(copiesOf("to both", carol)).hasSize(1).allMatch(c -> c.contains("Delivered-To: erin@partner.test"));

        capabilityTable("gateway_smime_capabilities_away", "gateway_smime_capabilities");
        gateway.delivery.retryAll();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (copiesOf("to both", carol).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(2_000); // time for a copy that should not come
        List<String> copies = copiesOf("to both", carol);
        assertThat(copies).hasSize(2);
        assertThat(copies).filteredOn(c -> c.contains("Delivered-To: erin@partner.test")).hasSize(1);
        assertThat(copies).filteredOn(c -> c.contains("Delivered-To: " + carol)).singleElement().asString().contains("smime-type=");
    }

    private void capabilityTable(String from, String to) throws Exception {
        try (var connection = gateway.platform.database().dataSource().getConnection(); var statement = connection.createStatement()) {
            statement.execute("ALTER TABLE " + from + " RENAME TO " + to);
        }
    }

    /** {@code recipient} of the one queued message, once it has been attempted. */
    private Envelope.Recipient awaitAttempted(String recipient) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Envelope.Recipient> attempted = gateway.spool.list().stream().flatMap(e -> e.recipients().stream())
                    .filter(r -> r.address().equals(recipient) && r.attempts() > 0).findFirst();
            if (attempted.isPresent()) {
                return attempted.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no attempt to deliver to " + recipient + " within " + WAIT.toSeconds() + " s");
    }

    /** What the hop got of the message with {@code subject} in clear, and (its Subject protected) what went to {@code encryptedTo}. */
    private List<String> copiesOf(String subject, String encryptedTo) throws Exception {
        List<String> copies = new ArrayList<>();
        for (Path copy : hop.delivered()) {
            String text = Files.readString(copy);
            if (text.contains("Subject: " + subject) || text.contains("Delivered-To: " + encryptedTo)) {
                copies.add(text);
            }
        }
        return copies;
    }

    /** The audited details of capability learning with {@code outcome}, once there is one (the audit is written in the background). */
    private List<String> audited(org.letterlock.platform.audit.Outcome outcome) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> found;
        do {
            Thread.sleep(100);
            found = gateway.platform.auditLog().read(0, 100_000).stream().map(org.letterlock.platform.audit.AuditRecord::event)
                    .filter(e -> e.action().equals("gateway.smime-capabilities") && e.outcome() == outcome)
                    .map(org.letterlock.platform.audit.AuditEvent::detail).toList();
        } while (found.isEmpty() && System.nanoTime() < deadline);
        return found;
    }

    /** The audited reasons why announcements changed nothing, once there are {@code count} (the audit is written in the background). */
    private List<String> refusals(int count) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> refused;
        do {
            Thread.sleep(100);
            refused = gateway.platform.auditLog().read(0, 100_000).stream().map(org.letterlock.platform.audit.AuditRecord::event)
                    .filter(e -> e.action().equals("gateway.smime-capabilities") && e.outcome() == org.letterlock.platform.audit.Outcome.DENIED)
                    .map(org.letterlock.platform.audit.AuditEvent::detail).toList();
        } while (refused.size() < count && System.nanoTime() < deadline);
        return refused;
    }

    /** Sends a plain message to {@code to} (comma-separated) and returns the copy of it the hop got. */
    private String send(String to, String subject) throws Exception {
        Path message = Files.writeString(work.resolve(UUID.randomUUID() + ".eml"), "From: alice@example.org\r\nTo: " + to + "\r\nSubject: " + subject
                + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nthe body of " + subject + "\r\n");
        return swaks(to, message);
    }

    /** Sends an S/MIME-signed message (from its signer, to a mailbox without a key) through the gateway and waits for it. */
    private void send(byte[] message) throws Exception {
        swaks("erin@partner.test", Files.write(work.resolve(UUID.randomUUID() + ".eml"), message));
    }

    private String swaks(String to, Path message) throws Exception {
        String sender = Files.readString(message).lines().filter(l -> l.startsWith("From: ")).findFirst().orElseThrow().substring(6);
        run("swaks", "--from", sender, "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--data", message.toString());
        int copies = to.split(",").length;
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Path> fresh = new ArrayList<>();
        while (fresh.size() < copies && System.nanoTime() < deadline) {
            fresh = hop.awaitDelivered(seen.size() + copies, WAIT).stream().filter(p -> !seen.contains(p)).toList();
        }
        seen.addAll(fresh);
        return Files.readString(fresh.get(0));
    }

    private static X509Certificate selfSigned(KeyPair keys, String mailbox) throws Exception {
        Instant now = Instant.now();
        org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=" + mailbox);
        org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name,
                java.math.BigInteger.valueOf(now.toEpochMilli()), java.util.Date.from(now.minusSeconds(3600)), java.util.Date.from(now.plus(Duration.ofDays(30))), name,
                keys.getPublic());
        builder.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
                new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.rfc822Name, mailbox)));
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(TestRequests.BC).build(keys.getPrivate())));
    }

    /** The issuing CA's certificate for a mailbox certificate of this gateway's CA. */
    private X509Certificate issuing(Path mailboxCertificate) throws Exception {
        String issuer = certificate(mailboxCertificate).getIssuerX500Principal().getName();
        return gateway.ca.issuers().stream().filter(i -> i.certificate().isPresent())
                .map(i -> certificate(i.certificate().get()))
                .filter(c -> c.getSubjectX500Principal().getName().equals(issuer)).findFirst().orElseThrow();
    }

    private static X509Certificate certificate(org.bouncycastle.cert.X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The CMS of an S/MIME copy, in DER, as gpgsm reads it. */
    private Path der(String copy) throws Exception {
        Path eml = Files.writeString(work.resolve(UUID.randomUUID() + ".eml"), copy);
        Path der = work.resolve(UUID.randomUUID() + ".p7m");
        run("openssl", "cms", "-cmsout", "-in", eml.toString(), "-outform", "DER", "-out", der.toString());
        return der;
    }

    private String decrypt(String copy, Path[] recipient) throws Exception {
        Path eml = Files.writeString(work.resolve(UUID.randomUUID() + ".eml"), copy);
        return run("openssl", "cms", "-decrypt", "-in", eml.toString(), "-recip", recipient[0].toString(), "-inkey", recipient[1].toString());
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    }
}
