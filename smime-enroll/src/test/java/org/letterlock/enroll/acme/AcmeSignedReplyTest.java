package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.enroll.EnrollmentProof;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;

/**
 * Replies authenticated by an S/MIME signature instead of the MTA's DKIM verdict (RFC 8823 allows either): signed by
 * `openssl cms -sign` as a mail client would, with no Authentication-Results header, handed over raw by swaks so that
 * nothing on the way re-encodes the signed part.
 */
class AcmeSignedReplyTest extends AcmeServerTests {

    /** How the case's signer comes to be, and what happens to the signed reply before it is sent. */
    enum Signer { CURRENT, OTHER_MAILBOX, REVOKED, SELF_SIGNED }

    static Stream<Arguments> cases() {
        return Stream.of(AcmeTestServer.Via.values()).flatMap(transport -> Stream.of(
                Arguments.of(transport + "/accepts/signed-by-the-mailbox-current-certificate", transport, Signer.CURRENT, false, "250 2.6.0 reply for order"),
                Arguments.of(transport + "/rejects/signed-by-another-mailbox-certificate", transport, Signer.OTHER_MAILBOX, false, "550 5.7.1"),
                Arguments.of(transport + "/rejects/signed-by-a-revoked-certificate", transport, Signer.REVOKED, false, "550 5.7.1"),
                Arguments.of(transport + "/rejects/signed-by-a-self-signed-certificate", transport, Signer.SELF_SIGNED, false, "550 5.7.1"),
                Arguments.of(transport + "/rejects/signed-content-altered-after-signing", transport, Signer.CURRENT, true, "550 5.7.1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aSignedReplyCountsOnlyWithACurrentCertificateOfTheMailbox(String name, AcmeTestServer.Via transport, Signer signer, boolean altered, String answer) throws Exception {
        String mailbox = EnrollFixture.newMailbox("signed");
        server.fixture.verifiedMailbox(mailbox, "sid");
        Path dir = Files.createDirectories(work.resolve(mailbox));
        Path key = dir.resolve("signing.key");
        Path certificate = dir.resolve("signing.pem");
        certify(signer, mailbox, key, certificate);

        AcmeTestServer.ChallengedOrder ordered = server.challengedOrder(mailbox);
        Challenge challenge = ordered.challenge();
        AcmeTestServer.ChallengeMail mail = ordered.mail();
        // Lines that start with a dot, one of them alone: the client stuffs them, the receiver must take them back out.
        Path body = Files.writeString(dir.resolve("body.txt"), "-----BEGIN ACME RESPONSE-----\r\n"
                + ordered.response("") + "\r\n-----END ACME RESPONSE-----\r\n"
                + ".\r\n..\r\n.signed by me\r\n");
        String signed = AcmeTestServer.run("openssl", "cms", "-sign", "-signer", certificate.toString(), "-inkey", key.toString(), "-text", "-crlfeol",
                "-in", body.toString());
        if (altered) {
            signed = signed.replace("-----BEGIN ACME RESPONSE-----", "-----BEGIN ACME RESPONSE-----\r\n");
        }
        Path reply = Files.writeString(dir.resolve("reply.eml"), "From: " + mailbox + "\r\nTo: " + AcmeTestServer.CHALLENGE_FROM + "\r\nSubject: Re: ACME: "
                + mail.tokenPart1() + "\r\nIn-Reply-To: " + mail.messageId() + "\r\n" + signed, StandardCharsets.ISO_8859_1);

        String swaks = server.swaks(transport, mailbox, reply);

        boolean accepted = answer.startsWith("250 ");
        // swaks marks an answer received over TLS with ~, a refusal with *.
        assertThat(swaks).contains("<" + (transport == AcmeTestServer.Via.SMTP ? "~" : accepted ? "-" : "*") + (accepted ? "  " : "* ") + answer);
        if (accepted) {
            assertThat(challenge.waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);
            assertThat(server.swaks(transport, mailbox, reply)).as("the same reply again, as an MTA retrying after a lost answer")
                    .contains("250 2.6.0 reply for order").contains("already verified");
            assertThat(server.fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.acme.reply")
                    && r.event().target().equals("mailbox:" + mailbox) && r.event().detail().contains("authenticated by its S/MIME signature"));
        } else {
            assertThat(swaks).contains("not authenticated");
            challenge.update();
            assertThat(challenge.getStatus()).isEqualTo(Status.PROCESSING);
        }
    }

    /** Makes the key and a certificate for it as the case wants it. */
    private static void certify(Signer signer, String mailbox, Path key, Path certificate) throws Exception {
        if (signer == Signer.SELF_SIGNED) {
            AcmeTestServer.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                    "-subj", "/CN=" + mailbox, "-addext", "subjectAltName=email:" + mailbox, "-addext", "keyUsage=critical,digitalSignature",
                    "-days", "30", "-out", certificate.toString());
            return;
        }
        String named = signer == Signer.OTHER_MAILBOX ? EnrollFixture.newMailbox("someone-else") : mailbox;
        if (signer == Signer.OTHER_MAILBOX) {
            server.fixture.verifiedMailbox(named, "someone");
        }
        Path csr = key.resolveSibling("signing.csr");
        AcmeTestServer.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                "-subj", "/CN=Sid", "-addext", "subjectAltName=email:" + named, "-outform", "DER", "-out", csr.toString());
        EnrollmentProof proof = new EnrollmentProof(named, "test", "signed-reply");
        IssuedCertificate issued = server.fixture.services.mailboxes().signingCertificate(Files.readAllBytes(csr), proof);
        if (signer == Signer.REVOKED) {
            server.fixture.services.mailboxes().revoke(issued.serial(), RevocationReason.KEY_COMPROMISE, proof);
        }
        Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(issued.der())
                + "\n-----END CERTIFICATE-----\n");
    }
}
