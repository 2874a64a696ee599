package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.escrow.KeyRecovery;
import org.letterlock.escrow.Pkcs12Format;
import org.letterlock.escrow.RecoveryRequest;
import org.letterlock.escrow.store.JdbcEscrowStore;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.store.Outbox;

/**
 * Mail for the organisation's own mailboxes goes over LMTP (STARTTLS, certificate checked) to a real Dovecot and is
 * stored encrypted to its owner with its header fields protected (RFC 9788); read back over IMAP as a client reads it,
 * the copy opens with the owner's S/MIME key in openssl cms, with the owner's OpenPGP key in gpg, and, for a key made
 * by escrow, with the key recovered under two agents' approval. Mail its sender encrypted is stored as it came. What
 * the store refuses for one recipient, at RCPT or after the data, is bounced for that recipient alone.
 */
class GatewayAtRestTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Every recipient here is in example.org, so nothing leaves for a next hop; none listens on the discard port. */
    private static final int NO_NEXT_HOP = 9;
    private static final Requester ANN = new Requester("ann", Set.of(Role.RECOVERY_AGENT));
    private static final Requester BEN = new Requester("ben", Set.of(Role.RECOVERY_AGENT));
    private static final Requester CID = new Requester("cid", Set.of(Role.RECOVERY_AGENT));
    /** The sender: her mailbox is here too, where her bounces are stored. */
    private static final String ALICE = "alice@example.org";

    @TempDir
    Path work;

    private GatewayFixture gateway;
    private DovecotStore store;
    private Escrow escrow;
    private Path gnupgHome;

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayFixture(work);
        // Dovecot's socket paths must stay short: not JUnit's temporary folder.
        store = DovecotStore.start(Path.of("/tmp/ll-dovecot-" + UUID.randomUUID().toString().substring(0, 8)), gateway.hopCertificate("store"), gateway.rootPem());
        store.addMailbox(ALICE);
        gateway.startGateway(gateway.storingLocalMail(NO_NEXT_HOP, store.lmtpPort()));
    }

    @AfterEach
    void stop() throws Exception {
        if (gnupgHome != null) {
            run("gpgconf", "--homedir", gnupgHome.toString(), "--kill", "all");
        }
        if (escrow != null) {
            escrow.close();
        }
        if (store != null) {
            store.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    private void swaks(String to, String subject, String body) throws Exception {
        run("swaks", "--from", ALICE, "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--header", "Subject: " + subject, "--body", body);
    }

    /** A verified mailbox in Letterlock's directory. */
    private void verified(String mailbox) throws Exception {
        gateway.platform.identities().register(mailbox, mailbox.substring(0, mailbox.indexOf('@')));
        gateway.platform.identities().verify(Outbox.verificationToken(GatewayFixture.TOKEN_DATA, mailbox));
    }

    /** An encryption certificate from the CA for {@code keys}, the mailbox verified first; returns the certificate and key files openssl reads. */
    private Path[] encryptionCertificate(String mailbox, KeyPair keys) throws Exception {
        verified(mailbox);
        IssuedCertificate issued = gateway.ca.issue(IssueRequest.mailbox("mailbox-encryption", TestRequests.csr(keys, "CN=x", List.of(mailbox)).getEncoded(), mailbox),
                GatewayFixture.OFFICER);
        String name = mailbox.substring(0, mailbox.indexOf('@'));
        return new Path[] {Files.writeString(work.resolve(name + ".pem"), Certificates.pem(issued.holder())),
                Files.writeString(work.resolve(name + ".key"), Certificates.pem("PRIVATE KEY", keys.getPrivate().getEncoded()))};
    }

    private String decrypt(String copy, Path certificate, Path key) throws Exception {
        Path file = Files.writeString(work.resolve("copy-" + UUID.randomUUID() + ".eml"), copy);
        return run("openssl", "cms", "-decrypt", "-in", file.toString(), "-recip", certificate.toString(), "-inkey", key.toString());
    }

    /** The private key of a PKCS#12 as openssl writes it out. */
    private Path keyOf(byte[] pkcs12, char[] passphrase) throws Exception {
        Path p12 = Files.write(work.resolve("key-" + UUID.randomUUID() + ".p12"), pkcs12);
        Path key = work.resolve(p12.getFileName() + ".pem");
        run("openssl", "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(passphrase), "-nocerts", "-nodes", "-out", key.toString());
        return key;
    }

    private String gpg(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", gnupgHome.toString(), "--batch", "--pinentry-mode", "loopback"));
        command.addAll(List.of(arguments));
        return run(command.toArray(String[]::new));
    }

    /** A gpg key for {@code address}, uploaded to the keyserver with its address confirmed, so the keyserver publishes it. */
    private void openPgpKey(String address) throws Exception {
        if (gnupgHome == null) {
            gnupgHome = Files.createDirectories(work.resolve("gnupg"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        gpg("--passphrase", "", "--quick-gen-key", "Owner <" + address + ">", "future-default", "default", "0");
        // The gateway's clock stands still from the fixture's start: move it past the key's creation.
        gateway.clock.advance(Duration.ofMinutes(1));
        Path exported = work.resolve(address + ".asc");
        gpg("--armor", "--output", exported.toString(), "--export", address);
        gateway.keyserver.upload(Files.readAllBytes(exported), "test");
        String fingerprint = gpg("--with-colons", "--list-keys", address).lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        gateway.keyserver.requestVerification(gateway.keyserver.byId(fingerprint).get(0).fingerprint(), address);
        gateway.keyserver.verify(Outbox.verificationToken(GatewayFixture.TOKEN_DATA, address));
    }

    /** gpg's status and output for the PGP/MIME copy's encrypted part. */
    private String gpgDecrypt(String copy) throws Exception {
        String armored = copy.substring(copy.indexOf("-----BEGIN PGP MESSAGE-----"), copy.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length());
        Path part = Files.writeString(work.resolve("part2-" + UUID.randomUUID() + ".asc"), armored);
        return gpg("--status-fd", "1", "--decrypt", part.toString());
    }

    @Test
    void anOwnersCopyIsStoredEncryptedToTheirCertificateWithItsSubjectProtected() throws Exception {
        String carol = unique("carol");
        store.addMailbox(carol);
        Path[] carolKey = encryptionCertificate(carol, TestRequests.ec("secp256r1"));

        swaks(carol, "salary review", "the new figures are attached");

        String stored = store.awaitStored(carol, 1, WAIT).get(0);
        assertThat(stored).as("Dovecot's trace field tells the gateway came over LMTP with TLS")
                .contains("with LMTPS", "Subject: [...]", "smime-type=enveloped-data", "X-Letterlock-Policy: smime; route=mailbox-store; policy=organisation; key=letterlock-ca")
                .doesNotContain("salary review", "the new figures");
        assertThat(decrypt(stored, carolKey[0], carolKey[1])).contains("hp=\"cipher\"", "Subject: salary review", "HP-Outer: Subject: [...]", "the new figures are attached");
    }

    @Test
    void eachOwnersCopyIsEncryptedToThemAloneSoNoMailboxShowsTheOtherRecipients() throws Exception {
        String carol = unique("carol");
        String dave = unique("dave");
        store.addMailbox(carol);
        store.addMailbox(dave);
        Path[] carolKey = encryptionCertificate(carol, TestRequests.ec("secp256r1"));
        Path[] daveKey = encryptionCertificate(dave, TestRequests.rsa(2048));

        swaks(carol + "," + dave, "bcc test", "one message, two mailboxes");

        String carolsCopy = store.awaitStored(carol, 1, WAIT).get(0);
        String davesCopy = store.awaitStored(dave, 1, WAIT).get(0);
        assertThat(decrypt(carolsCopy, carolKey[0], carolKey[1])).contains("one message, two mailboxes");
        assertThat(decrypt(davesCopy, daveKey[0], daveKey[1])).contains("one message, two mailboxes");
        Path carolsFile = Files.writeString(work.resolve("carols-copy.eml"), carolsCopy);
        Process other = new ProcessBuilder("openssl", "cms", "-decrypt", "-in", carolsFile.toString(), "-recip", daveKey[0].toString(), "-inkey",
                daveKey[1].toString()).redirectErrorStream(true).start();
        other.getInputStream().readAllBytes();
        assertThat(other.waitFor()).as("carol's stored copy has no recipient entry for dave").isNotZero();
    }

    @Test
    void anOwnerWithAnOpenPgpKeyGetsAPgpMimeCopyThatGpgOpens() throws Exception {
        String erin = unique("erin");
        store.addMailbox(erin);
        openPgpKey(erin);

        swaks(erin, "travel plans", "meet at the station");

        String stored = store.awaitStored(erin, 1, WAIT).get(0);
        assertThat(stored).contains("Subject: [...]", "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"",
                "X-Letterlock-Policy: pgp; route=mailbox-store; policy=organisation; key=letterlock-keyserver")
                .doesNotContain("travel plans", "meet at the station");
        assertThat(gpgDecrypt(stored)).contains("DECRYPTION_OKAY", "Subject: travel plans", "HP-Outer: Subject: [...]", "meet at the station");
    }

    /** An owner with both a certificate and an OpenPGP key gets S/MIME, unless their mailbox's rule names the format they chose. */
    @Test
    void anOwnerWithBothKindsOfKeyGetsTheFormatTheirMailboxRuleNames() throws Exception {
        String grace = unique("grace");
        store.addMailbox(grace);
        Path[] graceCertificate = encryptionCertificate(grace, TestRequests.ec("secp256r1"));
        openPgpKey(grace);

        swaks(grace, "before the choice", "first");
        String first = store.awaitStored(grace, 1, WAIT).get(0);
        gateway.policies.set(grace, "pgp", null, null, false, null, "admin");
        swaks(grace, "after the choice", "second");
        String second = store.awaitStored(grace, 2, WAIT).get(1);

        assertThat(first).contains("X-Letterlock-Policy: smime; route=mailbox-store; policy=organisation; key=letterlock-ca");
        assertThat(decrypt(first, graceCertificate[0], graceCertificate[1])).contains("Subject: before the choice");
        assertThat(second).contains("X-Letterlock-Policy: pgp; route=mailbox-store; policy=mailbox; key=letterlock-keyserver").doesNotContain("after the choice");
        assertThat(gpgDecrypt(second)).contains("DECRYPTION_OKAY", "Subject: after the choice");
    }

    @Test
    void mailItsSenderEncryptedToTheOwnerIsStoredAsItCame() throws Exception {
        String carol = unique("carol");
        store.addMailbox(carol);
        Path[] carolKey = encryptionCertificate(carol, TestRequests.rsa(2048));
        Path content = Files.writeString(work.resolve("content.txt"), "Content-Type: text/plain\r\n\r\nsealed at the sender's desk\r\n");
        Path sealed = work.resolve("sealed.eml");
        run("openssl", "cms", "-encrypt", "-aes256", "-in", content.toString(), "-out", sealed.toString(), "-from", ALICE, "-to", carol, "-subject", "sealed by its sender",
                carolKey[0].toString());

        run("swaks", "--from", ALICE, "--to", carol, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--data", sealed.toString());

        String stored = store.awaitStored(carol, 1, WAIT).get(0);
        assertThat(stored).contains("X-Letterlock-Policy: clear; route=mailbox-store; policy=organisation; already encrypted by its sender");
        // Line ends as IMAP hands them out, and the trailing blank lines aside: swaks ends the data with a line break of its own.
        assertThat(stored.replace("\r\n", "\n").stripTrailing()).as("the sender's message, byte for byte, below the trace fields")
                .endsWith(Files.readString(sealed).replace("\r\n", "\n").stripTrailing());
        assertThat(decrypt(stored, carolKey[0], carolKey[1])).contains("sealed at the sender's desk");
    }

    /** The issue's check for escrowed keys: the stored copy opens with the owner's key, and with the key recovered when the owner is gone. */
    @Test
    void aCopyEncryptedToAnEscrowedKeyOpensWithTheKeyRecoveredUnderTwoApprovals() throws Exception {
        escrow = Escrow.start(gateway.platform, gateway.ca, new JdbcEscrowStore(gateway.platform.database().dataSource()));
        for (Requester agent : List.of(ANN, BEN, CID)) {
            gateway.platform.admins().create(agent.name(), agent.roles(), Optional.empty());
        }
        String dave = unique("dave");
        verified(dave);
        store.addMailbox(dave);
        KeyEscrow.GeneratedKey generated = escrow.keys().generate(dave, Optional.empty(), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), GatewayFixture.OFFICER);
        Path certificate = Files.writeString(work.resolve("dave.pem"), Certificates.pem(generated.certificate().holder()));

        swaks(dave, "handover notes", "the archive password is in the safe");

        String stored = store.awaitStored(dave, 1, WAIT).get(0);
        assertThat(stored).contains("Subject: [...]", "X-Letterlock-Policy: smime; route=mailbox-store;").doesNotContain("handover notes", "the archive password");
        Path ownersKey = keyOf(generated.pkcs12(), generated.generatedPassphrase().orElseThrow());
        assertThat(decrypt(stored, certificate, ownersKey)).contains("Subject: handover notes", "the archive password is in the safe");

        RecoveryRequest request = escrow.recovery().request(dave, "dave left; his mailbox must stay readable", GatewayFixture.OFFICER);
        escrow.recovery().approve(request.id(), Optional.empty(), ANN);
        escrow.recovery().approve(request.id(), Optional.empty(), BEN);
        KeyRecovery.RecoveredKeys recovered = escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), GatewayFixture.OFFICER);

        assertThat(decrypt(stored, certificate, keyOf(recovered.pkcs12(), recovered.passphrase()))).contains("Subject: handover notes", "the archive password is in the safe");
    }

    @Test
    void aRecipientTheStoreDoesNotKnowIsRefusedAtRcptAndBouncedToTheSender() throws Exception {
        String nobody = unique("nobody");

        swaks(nobody, "are you there", "hello?");

        String bounce = store.awaitStored(ALICE, 1, WAIT).get(0);
        assertThat(bounce).contains("Content-Type: multipart/report; report-type=delivery-status", "Final-Recipient: rfc822; " + nobody, "Action: failed",
                "Status: 5.1.1", "User doesn't exist", "Subject: are you there", "X-Letterlock-Policy: clear; route=mailbox-store;");
    }

    /** LMTP answers the data once per recipient: one copy refused there is bounced alone, the other stays stored, once. */
    @Test
    void aCopyTheStoreRefusesAfterTheDataIsBouncedWhileTheOtherRecipientsCopyIsStored() throws Exception {
        String carol = unique("carol");
        String frank = unique("frank");
        store.addMailbox(carol);
        store.addFullMailbox(frank);
        Path[] carolKey = encryptionCertificate(carol, TestRequests.ec("secp256r1"));
        encryptionCertificate(frank, TestRequests.ec("secp256r1"));

        swaks(carol + "," + frank, "quarterly report", "figures ".repeat(500));

        String bounce = store.awaitStored(ALICE, 1, WAIT).get(0);
        assertThat(bounce).contains("Final-Recipient: rfc822; " + frank, "Status: 5.2.2", "Quota exceeded").doesNotContain("Final-Recipient: rfc822; " + carol);
        List<String> carols = store.read(carol);
        assertThat(carols).hasSize(1);
        assertThat(decrypt(carols.get(0), carolKey[0], carolKey[1])).contains("Subject: quarterly report");
        assertThat(store.read(frank)).isEmpty();
    }
}
