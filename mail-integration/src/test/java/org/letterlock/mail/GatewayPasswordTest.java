package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.letterlock.mail.queue.Envelope;

/**
 * Mail to another provider's recipient who has no key, under the policy's rules: encrypted under the passphrase the
 * sender set (CMS password recipients opened by openssl cms; OpenPGP SKESK opened by gpg and rnp), with a clear
 * notice; held (and the sender told) while no passphrase exists, then sent once one is set; rejected when the policy
 * says so.
 */
class GatewayPasswordTest extends GatewayBeforePostfixTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PASSPHRASE = "correct horse battery staple";

    private String run(Path input, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (input != null) {
            builder.redirectInput(input.toFile());
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    private void send(String to, String subject) throws Exception {
        run(null, "swaks", "--from", "alice@example.org", "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--header", "Subject: " + subject,
                "--body", "the contract is attached");
    }

    /** The second part of the delivered multipart/mixed copy (the encrypted entity), as a file of its own. */
    private Path encryptedPart(String copy) throws Exception {
        String boundary = copy.substring(copy.indexOf("boundary=\"") + "boundary=\"".length());
        boundary = boundary.substring(0, boundary.indexOf('"'));
        String[] parts = copy.split("\r?\n--" + java.util.regex.Pattern.quote(boundary));
        assertThat(parts).hasSize(4);
        assertThat(parts[1]).contains("Content-Type: text/plain", "encrypted with a passphrase", "alice@example.org").doesNotContain(PASSPHRASE);
        return Files.writeString(work.resolve("part-" + UUID.randomUUID() + ".eml"), parts[2].replaceFirst("^\r?\n", ""));
    }

    @Test
    void cmsPasswordRecipientsOpenWithOpensslAndOnlyWithThePassphrase() throws Exception {
        gateway.policies.set("partner.test", "any", "password", "cms", false, null, "admin");
        gateway.passphrases.set("alice@example.org", "partner.test", PASSPHRASE.toCharArray(), "alice");
        long recordsBefore = org.letterlock.platform.audit.AuditPositions.newest(gateway.platform.auditLog());

        send("paul@partner.test", "contract draft");

        String copy = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(copy).contains("Subject: [...]", "X-Letterlock-Policy: password (cms); route=next-hop; policy=domain; no key for the recipient; passphrase")
                .doesNotContain("contract draft", "the contract is attached");
        Path part = encryptedPart(copy);
        String opened = run(null, "openssl", "cms", "-decrypt", "-pwri_password", PASSPHRASE, "-in", part.toString());
        assertThat(opened).contains("Subject: contract draft", "the contract is attached");
        Process wrong = new ProcessBuilder("openssl", "cms", "-decrypt", "-pwri_password", "not the passphrase", "-in", part.toString()).redirectErrorStream(true).start();
        wrong.getInputStream().readAllBytes();
        assertThat(wrong.waitFor()).isNotZero();

        // The delivery's records, its opening of the sealed passphrase among them, name the message.
        String deliveredBy = deliveryActor("mailbox:paul@partner.test", recordsBefore);
        assertThat(deliveredBy).startsWith("gateway message:");
        assertThat(gateway.platform.auditLog().read(recordsBefore, 1_000_000)).anyMatch(r -> r.event().action().equals("vault.decrypt") && r.event().actor().equals(deliveredBy));
    }

    /** Who the gateway.deliver record for {@code target} after record {@code after} names, once it is written (in the background). */
    private String deliveryActor(String target, long after) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            java.util.Optional<String> actor = gateway.platform.auditLog().read(after, 1_000_000).stream().map(org.letterlock.platform.audit.AuditRecord::event)
                    .filter(e -> e.action().equals("gateway.deliver") && e.target().equals(target)).map(org.letterlock.platform.audit.AuditEvent::actor).findFirst();
            if (actor.isPresent()) {
                return actor.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no gateway.deliver record for " + target);
    }

    @Test
    void openPgpPassphraseMailOpensWithGpgAndRnp() throws Exception {
        gateway.policies.set("paula@partner.test", "password", null, "openpgp", false, null, "admin");
        gateway.passphrases.set("*", "paula@partner.test", PASSPHRASE.toCharArray(), "admin");

        send("paula@partner.test", "pgp contract");

        Path part = encryptedPart(Files.readString(hop.awaitDelivered(1, WAIT).get(0)));
        String entity = Files.readString(part);
        Path armored = Files.writeString(work.resolve("encrypted.asc"), entity.substring(entity.indexOf("-----BEGIN PGP MESSAGE-----"),
                entity.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length()) + "\n");
        Path gnupg = Files.createDirectories(work.resolve("gnupg"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertThat(run(null, "gpg", "--homedir", gnupg.toString(), "--batch", "--pinentry-mode", "loopback", "--passphrase", PASSPHRASE, "--decrypt",
                armored.toString())).contains("Subject: pgp contract", "the contract is attached");
        run(null, "gpgconf", "--homedir", gnupg.toString(), "--kill", "all");
        assertThat(run(null, "rnp", "--homedir", Files.createDirectories(work.resolve("rnp")).toString(), "--password", PASSPHRASE, "--decrypt", armored.toString(), "--output", "-"))
                .contains("Subject: pgp contract");
    }

    @Test
    void withoutAPassphraseTheMailIsHeldTheSenderToldAndItLeavesOnceOneIsSet() throws Exception {
        gateway.policies.set("*", "any", "password", "cms", false, null, "admin");

        send("pete@partner.test", "held contract");

        String notice = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(notice).contains("X-Letterlock-Policy: clear; route=next-hop; policy=organisation; no key for the recipient; no passphrase set for the recipient; not held,",
                "Delivered-To: alice@example.org", "Subject: Delivery held: action needed", "Action: delayed", "Status: 4.7.0",
                "Final-Recipient: rfc822; pete@partner.test", "no passphrase set for the recipient");
        List<Envelope> queued = gateway.spool.list();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).recipients().get(0).lastReply()).startsWith("450 4.7.0 held:");

        gateway.passphrases.set("alice@example.org", "pete@partner.test", PASSPHRASE.toCharArray(), "alice");
        gateway.delivery.retryAll();

        List<Path> copies = hop.awaitDelivered(2, WAIT);
        String sent = null;
        for (Path copy : copies) {
            String text = Files.readString(copy);
            if (text.contains("Delivered-To: pete@partner.test")) {
                sent = text;
            }
        }
        assertThat(sent).contains("Delivered-To: pete@partner.test", "X-Letterlock-Policy: password (cms)");
        assertThat(run(null, "openssl", "cms", "-decrypt", "-pwri_password", PASSPHRASE, "-in", encryptedPart(sent).toString())).contains("Subject: held contract");
    }

    @Test
    void aPolicyThatRejectsMailWithoutEncryptionReturnsIt() throws Exception {
        gateway.policies.set("partner.test", "smime", "reject", "cms", false, null, "admin");

        send("quinn@partner.test", "must be encrypted");

        String bounce = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; quinn@partner.test", "Status: 5.7.1",
                "no smime key for the recipient; policy rejects mail without encryption");
    }
}
