package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.enroll.EnrollFixture;

/**
 * letterlock-enroll against a real enrollment server (CA, escrow and the EST listener on SoftHSM2): what it leaves is
 * checked by OpenSSL and NSS, the two certificates form one pair on the server, and the escrowed key opens mail.
 */
class EnrollCommandTest {
    private static final org.letterlock.ca.Requester OFFICER = new org.letterlock.ca.Requester("rita", java.util.Set.of(org.letterlock.platform.identity.Role.RA_OFFICER));
    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        root = fixture.rootPem();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    record Outcome(int exit, String out, String err) {
    }

    static Outcome enroll(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = EnrollCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    /** A mailbox enrolled once with an officer's secret, and the serials of its first pair. */
    private record Enrolled(String mailbox, Path folder, Path secret, BigInteger signing, BigInteger encryption) {
    }

    private Enrolled enrolledOnce(String name) throws Exception {
        String mailbox = EnrollFixture.newMailbox(name);
        Path folder = work.resolve(mailbox);
        Path secret = Files.writeString(work.resolve("secret-" + mailbox), fixture.officerSecret(mailbox) + "\n");
        assertThat(enroll(common(mailbox, folder, secret).toArray(String[]::new)).exit()).isZero();
        return new Enrolled(mailbox, folder, secret, serial(folder.resolve(mailbox + "-signing.pem")), serial(folder.resolve(mailbox + "-encryption.pem")));
    }

    private static List<String> common(String mailbox, Path folder, Path secret) throws Exception {
        Path passphrase = Files.writeString(work.resolve("passphrase-" + mailbox), "correct horse battery\n");
        return new ArrayList<>(List.of(mailbox, "--server", fixture.url().toString(), "--trust", root.toString(), "--secret-file", secret.toString(),
                "--passphrase-file", passphrase.toString(), "--out", folder.toString()));
    }

    @Test
    void enrollsAPairWhoseFilesOpensslAndThunderbirdRead() throws Exception {
        String mailbox = EnrollFixture.newMailbox("carol");
        Path folder = work.resolve(mailbox);
        Path secret = Files.writeString(work.resolve("secret-" + mailbox), fixture.officerSecret(mailbox) + "\n");
        Path profile = Files.createDirectories(work.resolve("profile-" + mailbox));
        Pkcs12WriterTest.run(List.of("certutil", "-N", "-d", "sql:" + profile, "--empty-password"), Map.of());
        List<String> args = common(mailbox, folder, secret);
        args.addAll(List.of("--import-nss", profile.toString()));

        Outcome outcome = enroll(args.toArray(String[]::new));

        assertThat(outcome.exit()).as(outcome.out() + outcome.err()).isZero();
        assertPairWritten(fixture, folder, mailbox);
        Path encryption = folder.resolve(mailbox + "-encryption.pem");
        IssuedCertificate encryptionIssued = fixture.ca.find(serial(encryption)).orElseThrow();
        assertThat(fixture.escrow.keys().archives(mailbox, new org.letterlock.ca.Requester("rita", java.util.Set.of(org.letterlock.platform.identity.Role.RA_OFFICER))).stream().map(a -> a.certificateSerial()))
                .as("the encryption key is archived").contains(encryptionIssued.serial());
        assertThat(Pkcs12WriterTest.run(List.of("certutil", "-K", "-d", "sql:" + profile), Map.of())).contains(mailbox + " signing", mailbox + " encryption");

        // Mail encrypted to the new certificate by OpenSSL opens with the key in the modern PKCS#12.
        Path message = Files.writeString(work.resolve("message-" + mailbox), "Subject: hello\r\n\r\nfor carol\r\n");
        Path encrypted = work.resolve("encrypted-" + mailbox);
        Pkcs12WriterTest.run(List.of("openssl", "cms", "-encrypt", "-aes-256-cbc", "-in", message.toString(), "-out", encrypted.toString(), encryption.toString()), Map.of());
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new ByteArrayInputStream(Files.readAllBytes(folder.resolve(mailbox + ".p12"))), "correct horse battery".toCharArray());
        String alias = Collections.list(store.aliases()).stream().filter(a -> a.startsWith(mailbox + " encryption")).findFirst().orElseThrow();
        Path key = Files.writeString(work.resolve("key-" + mailbox + ".pem"), "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(store.getKey(alias, "correct horse battery".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        assertThat(Pkcs12WriterTest.run(List.of("openssl", "cms", "-decrypt", "-in", encrypted.toString(), "-recip", encryption.toString(), "-inkey", key.toString()),
                Map.of())).contains("for carol");
    }

    @Test
    void renewsFromATimerOnlyWhenDueAndKeepsTheEarlierEncryptionKey() throws Exception {
        Enrolled first = enrolledOnce("dave");
        String mailbox = first.mailbox();
        Path folder = first.folder();
        Path secret = first.secret();
        BigInteger firstSigning = first.signing();
        BigInteger firstEncryption = first.encryption();

        List<String> notDue = common(mailbox, folder, secret);
        notDue.addAll(List.of("--renew-within", "30"));
        Outcome nothing = enroll(notDue.toArray(String[]::new));
        assertThat(nothing.exit()).isZero();
        assertThat(nothing.out()).contains("nothing to do");

        List<String> due = common(mailbox, folder, secret);
        due.addAll(List.of("--renew-within", "10000"));
        Outcome renewed = enroll(due.toArray(String[]::new));
        assertThat(renewed.exit()).as(renewed.out() + renewed.err()).isZero();
        assertThat(renewed.out()).as("the new key came encrypted to the current encryption certificate (RFC 7030 4.4.2) and opened with its key")
                .contains("its key encrypted to encryption certificate " + firstEncryption.toString(16));
        BigInteger secondSigning = serial(folder.resolve(mailbox + "-signing.pem"));
        assertThat(secondSigning).isNotEqualTo(firstSigning);
        // Re-enrollment renews the pair: the new signing and encryption certificates form the next one.
        BigInteger secondEncryption = serial(folder.resolve(mailbox + "-encryption.pem"));
        assertThat(fixture.ca.find(secondEncryption).orElseThrow().pairId()).isPresent().isEqualTo(fixture.ca.find(secondSigning).orElseThrow().pairId());
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new ByteArrayInputStream(Files.readAllBytes(folder.resolve(mailbox + ".p12"))), "correct horse battery".toCharArray());
        assertThat(Collections.list(store.aliases()).stream().filter(alias -> alias.startsWith(mailbox + " encryption"))).hasSize(2);
    }

    /** The encryption certificate the renewal would encrypt the new key to was revoked: the server refuses it, the client asks again without. */
    @Test
    void aRenewalPassesOverAnEncryptionCertificateTheServerNoLongerTakes() throws Exception {
        Enrolled first = enrolledOnce("gus");
        String mailbox = first.mailbox();
        Path folder = first.folder();
        Path secret = first.secret();
        BigInteger firstSigning = first.signing();
        BigInteger firstEncryption = first.encryption();
        fixture.ca.revoke(firstEncryption, org.letterlock.ca.RevocationReason.SUPERSEDED, false, OFFICER);

        List<String> due = common(mailbox, folder, secret);
        due.addAll(List.of("--renew-within", "10000"));
        Outcome renewed = enroll(due.toArray(String[]::new));

        assertThat(renewed.exit()).as(renewed.out() + renewed.err()).isZero();
        assertThat(renewed.out()).contains("does not take encryption certificate " + firstEncryption.toString(16), "its key over TLS only");
        BigInteger secondSigning = serial(folder.resolve(mailbox + "-signing.pem"));
        BigInteger secondEncryption = serial(folder.resolve(mailbox + "-encryption.pem"));
        assertThat(secondSigning).isNotEqualTo(firstSigning);
        assertThat(fixture.ca.find(secondEncryption).orElseThrow().pairId()).isPresent().isEqualTo(fixture.ca.find(secondSigning).orElseThrow().pairId());
        assertSigningKeyMatches(folder, mailbox, secondSigning);
    }

    /** The renewed signing key exists only here: a serverkeygen that fails after simplereenroll must not lose it. */
    @Test
    void aRefusedServerkeygenStillLeavesTheRenewedSigningKeyWritten() throws Exception {
        Enrolled first = enrolledOnce("hal");
        String mailbox = first.mailbox();
        Path folder = first.folder();
        Path secret = first.secret();
        BigInteger firstSigning = first.signing();
        BigInteger firstEncryption = first.encryption();

        // Escrow here makes rsa-3072 and ec-p256 keys only (letterlock.escrow.key-specs): serverkeygen refuses the request after simplereenroll.
        List<String> due = common(mailbox, folder, secret);
        due.addAll(List.of("--renew-within", "10000", "--encryption-key-type", "ec-p384"));
        Outcome refused = enroll(due.toArray(String[]::new));

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("serverkeygen refused (HTTP 400)", "the renewed signing key and certificate are written");
        BigInteger secondSigning = serial(folder.resolve(mailbox + "-signing.pem"));
        assertThat(secondSigning).as("the renewed signing certificate is the one written").isNotEqualTo(firstSigning)
                .isEqualTo(fixture.ca.search(mailbox, "mailbox-signing", false, 10, OFFICER).stream().map(IssuedCertificate::serial).filter(s -> !s.equals(firstSigning))
                        .reduce((a, b) -> { throw new AssertionError("more than one renewed signing certificate"); }).orElseThrow());
        assertSigningKeyMatches(folder, mailbox, secondSigning);
        assertThat(serial(folder.resolve(mailbox + "-encryption.pem"))).as("the encryption key held is kept").isEqualTo(firstEncryption);
    }

    /**
     * The signing and encryption certificates written to {@code folder} pass openssl verify for their purposes and are
     * one pair on the server, of the mailbox profiles; returns the signing certificate's record.
     */
    static IssuedCertificate assertPairWritten(EnrollFixture server, Path folder, String mailbox) throws Exception {
        Path signing = folder.resolve(mailbox + "-signing.pem");
        Path encryption = folder.resolve(mailbox + "-encryption.pem");
        Path chain = folder.resolve("ca-chain.pem");
        assertThat(Pkcs12WriterTest.run(List.of("openssl", "verify", "-purpose", "smimesign", "-CAfile", chain.toString(), signing.toString()), Map.of())).contains(": OK");
        assertThat(Pkcs12WriterTest.run(List.of("openssl", "verify", "-purpose", "smimeencrypt", "-CAfile", chain.toString(), encryption.toString()), Map.of())).contains(": OK");
        IssuedCertificate signingIssued = server.ca.find(serial(signing)).orElseThrow();
        IssuedCertificate encryptionIssued = server.ca.find(serial(encryption)).orElseThrow();
        assertThat(signingIssued.profile()).isEqualTo("mailbox-signing");
        assertThat(encryptionIssued.profile()).isEqualTo("mailbox-encryption");
        assertThat(encryptionIssued.pairId()).as("serverkeygen put the encryption key in the signing certificate's pair").isPresent().isEqualTo(signingIssued.pairId());
        return signingIssued;
    }

    /** The modern PKCS#12 holds the signing certificate {@code serial} with the private key of its public key. */
    static void assertSigningKeyMatches(Path folder, String mailbox, BigInteger serial) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new ByteArrayInputStream(Files.readAllBytes(folder.resolve(mailbox + ".p12"))), "correct horse battery".toCharArray());
        X509Certificate certificate = (X509Certificate) store.getCertificate(mailbox + " signing");
        assertThat(certificate.getSerialNumber()).isEqualTo(serial);
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign((java.security.PrivateKey) store.getKey(mailbox + " signing", "correct horse battery".toCharArray()));
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signature)).as("the signing key is the renewed certificate's").isTrue();
    }

    @Test
    void aWrongSecretIsRefusedWithTheServersReasonAndLeavesNoFiles() throws Exception {
        String mailbox = EnrollFixture.newMailbox("erin");
        fixture.officerSecret(mailbox);
        Path folder = work.resolve(mailbox);
        Path secret = Files.writeString(work.resolve("secret-" + mailbox), "AAAA-BBBB-CCCC-DDDD-EEEE\n");

        Outcome outcome = enroll(common(mailbox, folder, secret).toArray(String[]::new));

        assertThat(outcome.exit()).isEqualTo(1);
        assertThat(outcome.err()).contains("simpleenroll refused (HTTP 401)");
        assertThat(folder).doesNotExist();
    }

    @Test
    void theRootCanBeTrustedByItsPublishedFingerprintAndAWrongOneStopsEverything() throws Exception {
        String mailbox = EnrollFixture.newMailbox("fay");
        Path folder = work.resolve(mailbox);
        Path secret = Files.writeString(work.resolve("secret-" + mailbox), fixture.officerSecret(mailbox) + "\n");
        X509Certificate rootCertificate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(root));
        String fingerprint = HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(rootCertificate.getEncoded()));

        List<String> wrong = common(mailbox, folder, secret);
        wrong.set(wrong.indexOf("--trust"), "--ca-fingerprint");
        wrong.set(wrong.indexOf(root.toString()), "00" + fingerprint.substring(2));
        Outcome refused = enroll(wrong.toArray(String[]::new));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("does not contain the certificate with fingerprint");

        List<String> right = common(mailbox, folder, secret);
        right.set(right.indexOf("--trust"), "--ca-fingerprint");
        right.set(right.indexOf(root.toString()), fingerprint);
        Outcome enrolled = enroll(right.toArray(String[]::new));
        assertThat(enrolled.exit()).as(enrolled.out() + enrolled.err()).isZero();
    }

    private static BigInteger serial(Path pem) throws Exception {
        return ((X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(pem))).getSerialNumber();
    }
}
