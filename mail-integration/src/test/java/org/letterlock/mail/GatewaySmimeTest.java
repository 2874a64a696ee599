package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.letterlock.ca.TestRequests;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Mail to recipients with certificates from Letterlock's CA leaves S/MIME-encrypted with its header fields protected
 * (RFC 9788), once for all recipients on the same route, and opens with each recipient's key in openssl cms; a
 * recipient without a certificate in the same message gets its own clear copy.
 */
class GatewaySmimeTest extends GatewayBeforePostfixTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A verified mailbox with an encryption certificate for {@code keys}; returns the certificate and key files openssl reads. */
    private Path[] recipient(String mailbox, KeyPair keys) throws Exception {
        return gateway.mailbox(mailbox, "mailbox-encryption", keys);
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    }

    private void swaks(String to, String subject, String body) throws Exception {
        Process process = new ProcessBuilder("swaks", "--from", "alice@example.org", "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls",
                "--header", "Subject: " + subject, "--body", body).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    private String decrypt(Path copy, Path[] recipient) throws Exception {
        Process process = new ProcessBuilder("openssl", "cms", "-decrypt", "-in", copy.toString(), "-recip", recipient[0].toString(), "-inkey", recipient[1].toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void oneMessageToTwoRecipientsIsEncryptedOnceToBothKeysWithItsSubjectProtected() throws Exception {
        String carol = unique("carol");
        String dave = unique("dave");
        Path[] carolKey = recipient(carol, TestRequests.ec("secp256r1"));
        Path[] daveKey = recipient(dave, TestRequests.rsa(2048));

        swaks(carol + "," + dave, "board minutes", "the numbers are in");

        List<Path> copies = hop.awaitDelivered(2, WAIT);
        String first = Files.readString(copies.get(0));
        String second = Files.readString(copies.get(1));
        assertThat(first.substring(first.indexOf("Content-Type: application/pkcs7-mime")))
                .as("one encryption for both recipients: the copies differ only in Postfix's own lines")
                .isEqualTo(second.substring(second.indexOf("Content-Type: application/pkcs7-mime")));
        for (String copy : List.of(first, second)) {
            assertThat(copy).contains("Subject: [...]", "smime-type=enveloped-data", "X-Letterlock-Policy: smime; route=next-hop; policy=organisation; key=letterlock-ca")
                    .doesNotContain("board minutes", "the numbers are in");
        }
        for (Path[] key : List.of(carolKey, daveKey)) {
            String opened = decrypt(copies.get(0), key);
            assertThat(opened).contains("hp=\"cipher\"", "Subject: board minutes", "HP-Outer: Subject: [...]", "the numbers are in");
        }
    }

    @Test
    void aRecipientWithoutACertificateGetsAClearCopyOfItsOwn() throws Exception {
        String carol = unique("carol");
        Path[] carolKey = recipient(carol, TestRequests.ec("secp384r1"));
        String bob = unique("bob");

        swaks(carol + "," + bob, "lunch", "at noon");

        List<Path> copies = hop.awaitDelivered(2, WAIT);
        String forCarol = null;
        String forBob = null;
        for (Path copy : copies) {
            String text = Files.readString(copy);
            if (text.contains("Delivered-To: " + carol)) {
                forCarol = text;
            } else if (text.contains("Delivered-To: " + bob)) {
                forBob = text;
            }
        }
        assertThat(forBob).contains("Subject: lunch", "at noon", "X-Letterlock-Policy: clear; route=next-hop; policy=organisation; no key for the recipient");
        assertThat(forCarol).contains("Subject: [...]").doesNotContain("at noon");
        Path carolCopy = Files.writeString(work.resolve("carol.eml"), forCarol);
        assertThat(decrypt(carolCopy, carolKey)).contains("Subject: lunch", "at noon");
    }

    @Test
    void aRuleWithSigningSignsAsTheOrganisationInsideTheEncryption() throws Exception {
        gateway.stopGateway();
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000, Optional.of("postmaster@example.org")));
        String carol = unique("carol");
        Path[] carolKey = recipient(carol, TestRequests.ec("secp256r1"));
        gateway.policies.set("example.org", "smime", "clear", "cms", true, null, "admin");

        swaks(carol, "signed minutes", "signed and sealed");

        Path copy = hop.awaitDelivered(1, WAIT).get(0);
        assertThat(Files.readString(copy)).contains("X-Letterlock-Policy: smime, signed; route=next-hop; policy=domain; key=letterlock-ca");
        Path opened = Files.writeString(work.resolve("opened.eml"), decrypt(copy, carolKey));
        assertThat(Files.readString(opened)).contains("multipart/signed", "Subject: signed minutes", "signed and sealed");
        Path signer = work.resolve("signer.pem");
        Process verify = new ProcessBuilder("openssl", "cms", "-verify", "-in", opened.toString(), "-CAfile", gateway.rootPem().toString(), "-purpose", "smimesign",
                "-signer", signer.toString()).redirectErrorStream(true).start();
        String verified = new String(verify.getInputStream().readAllBytes());
        assertThat(verify.waitFor()).as(verified).isZero();
        assertThat(verified).contains("Subject: signed minutes", "signed and sealed");
        Process email = new ProcessBuilder("openssl", "x509", "-in", signer.toString(), "-noout", "-email").redirectErrorStream(true).start();
        assertThat(new String(email.getInputStream().readAllBytes()).strip()).isEqualTo("postmaster@example.org");
    }

    @Test
    void aRuleWithSigningWithoutAnOrganisationAddressEncryptsAndSaysWhyItDidNotSign() throws Exception {
        String carol = unique("carol");
        recipient(carol, TestRequests.ec("secp256r1"));
        gateway.policies.set(carol, "any", "clear", "cms", true, null, "admin");

        swaks(carol, "unsigned", "body");

        assertThat(Files.readString(hop.awaitDelivered(1, WAIT).get(0)))
                .contains("X-Letterlock-Policy: smime; route=next-hop; policy=mailbox; key=letterlock-ca; not signed: letterlock.gateway.signing.address is not set");
    }

    @Test
    void mailItsSenderAlreadyEncryptedPassesAsItIs() throws Exception {
        String carol = unique("carol");
        recipient(carol, TestRequests.ec("secp256r1"));
        Path already = Files.writeString(work.resolve("already.eml"), "From: alice@example.org\r\nTo: " + carol + "\r\nSubject: sealed by its sender\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n");
        Process process = new ProcessBuilder("swaks", "--from", "alice@example.org", "--to", carol, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls",
                "--data", already.toString()).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        String copy = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(copy).contains("Subject: sealed by its sender", "MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=",
                "X-Letterlock-Policy: clear; route=next-hop; policy=organisation; already encrypted by its sender");
        assertThat(new ArrayList<>(List.of(copy.split("application/pkcs7-mime", -1)))).hasSize(2);
    }
}
