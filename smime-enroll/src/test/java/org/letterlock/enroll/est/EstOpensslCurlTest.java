package org.letterlock.enroll.est;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.BodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.Requester;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.escrow.KeyRecovery;
import org.letterlock.escrow.Pkcs12Format;
import org.letterlock.escrow.RecoveryRequest;
import org.letterlock.platform.identity.Role;

/**
 * The EST flow as a mail client's script runs it with curl and openssl: CSR made by openssl, every response read by
 * openssl (pkcs7, x509, verify, pkey, pkcs12, cms) and the serverkeygen multipart by Jakarta Mail's MIME parser.
 */
class EstOpensslCurlTest {
    private static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));

    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static String est;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        est = fixture.url() + "/.well-known/est";
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void cacertsIsTheIssuingChainUpToTheRootAsOpensslReadsIt() throws Exception {
        Path dir = Files.createTempDirectory(work, "cacerts");
        Path chain = caChain(dir);

        String subjects = Files.readString(chain);
        String root = run(dir, "openssl", "x509", "-in", fixture.rootPem().toString(), "-noout", "-subject");
        assertThat(subjects.lines().filter(l -> l.startsWith("subject=")).toList()).hasSize(fixture.services.mailboxes().caCertificates().size())
                .last().isEqualTo(root.strip());
        // The same body again, from the copy encoded once per issuer change.
        assertThat(curl(dir, "--fail", est + "/cacerts")).isEqualTo(curl(dir, "--fail", est + "/smime/cacerts"));
    }

    /** The first enrollment a client does: signing certificate with the secret, then the encryption key authenticated by that certificate. */
    @Test
    void aSecretBuysASigningCertificateWhichThenFetchesTheEscrowedEncryptionKeyOfItsPair() throws Exception {
        Path dir = Files.createTempDirectory(work, "flow");
        String mailbox = EnrollFixture.newMailbox("flow");
        String secret = fixture.officerSecret(mailbox);
        Path chain = caChain(dir);

        csr(dir, mailbox, "sign", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        run(dir, "openssl", "base64", "-in", "sign.der", "-out", "sign.b64");
        Files.write(dir.resolve("sign.p7.b64"), curlBytes(dir, "--fail", "-u", mailbox + ":" + secret, "-H", "Content-Type: application/pkcs10",
                "--data-binary", "@sign.b64", est + "/simpleenroll"));
        Path signing = certificateFrom(dir, "sign.p7.b64", "sign.pem");

        assertThat(run(dir, "openssl", "verify", "-purpose", "smimesign", "-CAfile", fixture.rootPem().toString(), "-untrusted", chain.toString(), "sign.pem"))
                .contains("sign.pem: OK");
        assertThat(run(dir, "openssl", "x509", "-in", "sign.pem", "-noout", "-ext", "subjectAltName")).contains("email:" + mailbox);
        assertThat(run(dir, "openssl", "x509", "-in", "sign.pem", "-noout", "-pubkey")).isEqualTo(run(dir, "openssl", "pkey", "-in", "sign.key", "-pubout"));
        IssuedCertificate signingRecord = issued(signing);
        assertThat(signingRecord.profile()).isEqualTo(Profiles.MAILBOX_SIGNING.name());
        assertThat(fixture.platform.auditLog().read(0, Integer.MAX_VALUE)).as("the issuance names the proven mailbox holder")
                .anyMatch(r -> r.event().action().equals("ca.issue") && r.event().target().equals("certificate:" + signingRecord.serialHex())
                        && r.event().actor().startsWith(mailbox + " enroll/est-secret/"));
        assertThat(curl(dir, "-o", "/dev/null", "-w", "%{http_code}", "-u", mailbox + ":" + secret, "-H", "Content-Type: application/pkcs10",
                "--data-binary", "@sign.b64", est + "/simpleenroll")).as("the secret works once").isEqualTo("401");

        // serverkeygen, authenticated by the new signing certificate: the CSR's key only says "EC P-256".
        csr(dir, mailbox, "hint", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        run(dir, "openssl", "base64", "-in", "hint.der", "-out", "hint.b64");
        ServerKey key = serverKeyGen(dir, "enc", "--cert", "sign.pem", "--key", "sign.key", "-H", "Content-Type: application/pkcs10", "--data-binary", "@hint.b64");

        assertThat(run(dir, "openssl", "x509", "-in", "enc.pem", "-noout", "-pubkey")).isEqualTo(run(dir, "openssl", "pkey", "-in", "enc.key", "-pubout"))
                .isNotEqualTo(run(dir, "openssl", "pkey", "-in", "hint.key", "-pubout"));
        assertThat(run(dir, "openssl", "x509", "-in", "enc.pem", "-noout", "-ext", "keyUsage")).contains("Key Agreement").doesNotContain("Digital Signature");
        // Not -purpose smimeencrypt: openssl wants keyEncipherment there, which an EC key-agreement certificate rightly lacks.
        assertThat(run(dir, "openssl", "verify", "-CAfile", fixture.rootPem().toString(), "-untrusted", chain.toString(), "enc.pem"))
                .contains("enc.pem: OK");
        IssuedCertificate encryptionRecord = issued(key.certificate());
        assertThat(encryptionRecord.profile()).isEqualTo(Profiles.MAILBOX_ENCRYPTION.name());
        assertThat(encryptionRecord.pairId()).as("the pair of the authenticating certificate").isEqualTo(signingRecord.pairId());
        assertThat(fixture.escrow.keys().archives(mailbox, OFFICER)).anyMatch(a -> a.certificateSerial().equals(encryptionRecord.serial()));
        assertThat(curl(dir, "-o", "/dev/null", "-w", "%{http_code}", "--cert", "sign.pem", "--key", "sign.key", "-H", "Content-Type: application/pkcs10",
                "--data-binary", "@hint.b64", est + "/serverkeygen")).as("one encryption key per pair").isEqualTo("409");

        Files.writeString(dir.resolve("note.txt"), "Subject: lunch\r\n\r\nat noon by the river\r\n");
        run(dir, "openssl", "cms", "-encrypt", "-aes-256-cbc", "-in", "note.txt", "-out", "note.p7m", "enc.pem");
        assertThat(run(dir, "openssl", "cms", "-decrypt", "-in", "note.p7m", "-recip", "enc.pem", "-inkey", "enc.key")).as("ECDH to the EC encryption key")
                .contains("at noon by the river");

        // What a mail client imports: both keys with their certificates as PKCS#12, which openssl reads back.
        run(dir, "openssl", "pkcs12", "-export", "-inkey", "enc.key", "-in", "enc.pem", "-certfile", chain.toString(), "-passout", "pass:import", "-out", "enc.p12");
        assertThat(run(dir, "openssl", "pkcs12", "-in", "enc.p12", "-passin", "pass:import", "-nodes", "-nokeys", "-clcerts")).contains("subject=CN = " + mailbox);

        // Re-enrollment with the current signing certificate: same subject and subjectAltName, a new key.
        Files.copy(dir.resolve("sign.key"), dir.resolve("old.key"));
        csr(dir, mailbox, "renew", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        Files.write(dir.resolve("renew.p7.b64"), curlBytes(dir, "--fail", "--cert", "sign.pem", "--key", "old.key", "-H", "Content-Type: application/pkcs10",
                "--data-binary", "@renew.der", est + "/smime/simplereenroll"));
        IssuedCertificate renewed = issued(certificateFrom(dir, "renew.p7.b64", "renew.pem"));
        assertThat(renewed.mailbox()).contains(mailbox);
        assertThat(renewed.profile()).isEqualTo(Profiles.MAILBOX_SIGNING.name());
        assertThat(renewed.serial()).isNotEqualTo(signingRecord.serial());
        assertThat(run(dir, "openssl", "x509", "-in", "renew.pem", "-noout", "-pubkey")).isEqualTo(run(dir, "openssl", "pkey", "-in", "renew.key", "-pubout"));
    }

    /** The check for escrowed keys: mail encrypted to the serverkeygen certificate opens with the key escrow recovers under two approvals. */
    @Test
    void mailToTheServerGeneratedKeyOpensWithTheKeyEscrowRecovers() throws Exception {
        Path dir = Files.createTempDirectory(work, "recover");
        String mailbox = EnrollFixture.newMailbox("recover");
        String secret = fixture.officerSecret(mailbox);
        csr(dir, mailbox, "hint", "rsa", "-pkeyopt", "rsa_keygen_bits:3072");
        serverKeyGen(dir, "enc", "-u", mailbox + ":" + secret, "-H", "Content-Type: application/pkcs10", "--data-binary", "@hint.der");
        assertThat(run(dir, "openssl", "pkey", "-in", "enc.key", "-noout", "-text")).contains("3072 bit");
        Files.writeString(dir.resolve("message.txt"), "Subject: quarterly figures\r\n\r\nthe figures are in the blue folder\r\n");
        run(dir, "openssl", "cms", "-encrypt", "-aes-256-cbc", "-in", "message.txt", "-out", "message.p7m", "enc.pem");

        recoverKeys(dir, mailbox, "recovered.key");

        assertThat(run(dir, "openssl", "cms", "-decrypt", "-in", "message.p7m", "-recip", "enc.pem", "-inkey", "recovered.key"))
                .contains("the figures are in the blue folder");
        assertThat(run(dir, "openssl", "cms", "-decrypt", "-in", "message.p7m", "-recip", "enc.pem", "-inkey", "enc.key"))
                .as("and with the copy the client got").contains("the figures are in the blue folder");
    }

    /**
     * RFC 7030 4.4.1.2 / 4.4.2: a client holding an encryption certificate asks for the next key encrypted to it. What
     * comes back is EnvelopedData (to the certificate's key, named by its subject key identifier) around SignedData
     * (by the enrollment listener, chaining to the root) around an AsymmetricKeyPackage: openssl opens, verifies and
     * reads each layer, and the key inside is the one escrow archived.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"rsa-key-transport, rsa, rsa_keygen_bits:3072", "ec-key-agreement, ec, ec_paramgen_curve:P-256"})
    void anEncryptedServerKeyOpensWithTheCurrentEncryptionKeyAndIsTheKeyEscrowArchived(String name, String algorithm, String keyOption) throws Exception {
        Path dir = Files.createTempDirectory(work, "encrypted-" + name);
        String mailbox = EnrollFixture.newMailbox("encrypted");
        csr(dir, mailbox, "first", algorithm, "-pkeyopt", keyOption);
        serverKeyGen(dir, "current", "-u", mailbox + ":" + fixture.officerSecret(mailbox), "-H", "Content-Type: application/pkcs10", "--data-binary", "@first.der");
        byte[] keyId = SubjectKeyIdentifier.fromExtensions(issued(dir.resolve("current.pem")).holder().getExtensions())
                .getKeyIdentifier();
        Files.write(dir.resolve("asks-encrypted.der"), EstCsrs.asking(mailbox, algorithm.equals("rsa") ? EstCsrs.rsa(3072) : EstCsrs.ec("secp256r1"),
                KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, keyId));

        Part keyPart = serverKeyGenParts(dir, "next", "-u", mailbox + ":" + fixture.officerSecret(mailbox), "-H", "Content-Type: application/pkcs10",
                "--data-binary", "@asks-encrypted.der");
        assertThat(keyPart.contentType()).isEqualTo("application/pkcs7-mime; smime-type=server-generated-key");
        Files.write(dir.resolve("next.p7m"), keyPart.der());

        assertThat(run(dir, "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "next.p7m")).contains("contentType: pkcs7-envelopedData")
                .contains(name.startsWith("rsa") ? "d.ktri" : "d.kari").contains(HexFormat.ofDelimiter(" ").formatHex(keyId, 0, 4)).contains("aes-256-cbc");
        run(dir, "openssl", "cms", "-decrypt", "-inform", "DER", "-in", "next.p7m", "-recip", "current.pem", "-inkey", "current.key", "-binary", "-out", "signed.der");
        // The enveloped content is the SignedData itself (content type id-signedData): openssl verifies it as a ContentInfo.
        Files.write(dir.resolve("signed.p7"), new ContentInfo(CMSObjectIdentifiers.signedData, SignedData.getInstance(Files.readAllBytes(dir.resolve("signed.der"))))
                .getEncoded());
        assertThat(run(dir, "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "signed.p7")).contains("eContentType: undefined (2.16.840.1.101.2.1.2.78.5)");
        // The signer is the enrollment listener's certificate (EKU serverAuth, as for CMP's key packages), its chain in the
        // SignedData: verified against the root alone, for any purpose.
        run(dir, "openssl", "cms", "-verify", "-inform", "DER", "-in", "signed.p7", "-CAfile", fixture.rootPem().toString(), "-purpose", "any", "-binary",
                "-out", "key-package.der");
        String structure = run(dir, "openssl", "asn1parse", "-inform", "DER", "-in", "key-package.der", "-i");
        String firstKey = structure.lines().skip(1).findFirst().orElseThrow();
        Matcher header = Pattern.compile("^\\s*(\\d+):d=1\\s+hl=(\\d+) l=\\s*(\\d+) cons:\\s+SEQUENCE").matcher(firstKey);
        assertThat(header.find()).as("one OneAsymmetricKey in the package:%n%s", structure).isTrue();
        assertThat(structure.lines().filter(l -> l.contains(":d=1 ")).count()).as("exactly one key").isEqualTo(1);
        run(dir, "openssl", "asn1parse", "-inform", "DER", "-in", "key-package.der", "-offset", header.group(1), "-length",
                Integer.toString(Integer.parseInt(header.group(2)) + Integer.parseInt(header.group(3))), "-noout", "-out", "one-key.der");
        run(dir, "openssl", "pkey", "-inform", "DER", "-in", "one-key.der", "-out", "next.key");

        assertThat(run(dir, "openssl", "pkey", "-in", "next.key", "-pubout")).isEqualTo(run(dir, "openssl", "x509", "-in", "next.pem", "-noout", "-pubkey"))
                .isNotEqualTo(run(dir, "openssl", "x509", "-in", "current.pem", "-noout", "-pubkey"));
        recoverKeys(dir, mailbox, "recovered.key");
        assertThat(Files.readString(dir.resolve("recovered.key"))).as("escrow archived the delivered key (and the first one)")
                .contains(Files.readString(dir.resolve("next.key"))).contains(Files.readString(dir.resolve("current.key")));
    }

    /** Escrow's recovery of every key of {@code mailbox} under two of three approvals, the keys written as PEM to {@code out}. */
    private static void recoverKeys(Path dir, String mailbox, String out) throws Exception {
        List<Requester> agents = List.of(new Requester("ann", Set.of(Role.RECOVERY_AGENT)), new Requester("ben", Set.of(Role.RECOVERY_AGENT)),
                new Requester("cid", Set.of(Role.RECOVERY_AGENT)));
        for (Requester agent : agents) {
            if (fixture.platform.admins().find(agent.name()).isEmpty()) {
                fixture.platform.admins().create(agent.name(), agent.roles(), Optional.empty());
            }
        }
        RecoveryRequest request = fixture.escrow.recovery().request(mailbox, "the mailbox holder left; the mailbox must stay readable", OFFICER);
        fixture.escrow.recovery().approve(request.id(), Optional.empty(), agents.get(0));
        fixture.escrow.recovery().approve(request.id(), Optional.empty(), agents.get(1));
        KeyRecovery.RecoveredKeys recovered = fixture.escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER);
        Files.write(dir.resolve(out + ".p12"), recovered.pkcs12());
        run(dir, "openssl", "pkcs12", "-in", out + ".p12", "-passin", "pass:" + new String(recovered.passphrase()), "-nocerts", "-nodes", "-out", out);
    }

    /** The key and certificate of a serverkeygen response, written to {@code <name>.key} and {@code <name>.pem}. */
    private record ServerKey(Path key, Path certificate) {
    }

    private static ServerKey serverKeyGen(Path dir, String name, String... curlArguments) throws Exception {
        Part key = serverKeyGenParts(dir, name, curlArguments);
        assertThat(key.contentType()).isEqualTo("application/pkcs8");
        Files.write(dir.resolve(name + ".key.der"), key.der());
        run(dir, "openssl", "pkey", "-inform", "DER", "-in", name + ".key.der", "-out", name + ".key");
        return new ServerKey(dir.resolve(name + ".key"), dir.resolve(name + ".pem"));
    }

    /** A MIME part as received: its Content-Type and its decoded body. */
    private record Part(String contentType, byte[] der) {
    }

    /** POSTs to serverkeygen and splits the multipart answer: the certificate goes to {@code <name>.pem}, the key part is returned. */
    private static Part serverKeyGenParts(Path dir, String name, String... curlArguments) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("--fail", "-D", name + ".headers"));
        arguments.addAll(List.of(curlArguments));
        arguments.add(est + "/serverkeygen");
        byte[] body = curlBytes(dir, arguments.toArray(String[]::new));
        String contentType = Files.readAllLines(dir.resolve(name + ".headers")).stream().filter(l -> l.regionMatches(true, 0, "content-type:", 0, 13))
                .findFirst().orElseThrow().substring(13).strip();
        assertThat(contentType).startsWith("multipart/mixed");

        MimeMultipart parts = new MimeMultipart(new ByteArrayDataSource(body, contentType));
        assertThat(parts.getCount()).isEqualTo(2);
        BodyPart keyPart = parts.getBodyPart(0);
        BodyPart certificatePart = parts.getBodyPart(1);
        assertThat(certificatePart.getContentType()).isEqualTo("application/pkcs7-mime; smime-type=certs-only");
        Files.write(dir.resolve(name + ".p7.der"), certificatePart.getInputStream().readAllBytes());
        run(dir, "openssl", "pkcs7", "-inform", "DER", "-in", name + ".p7.der", "-print_certs", "-out", name + ".pem");
        return new Part(keyPart.getContentType(), keyPart.getInputStream().readAllBytes());
    }

    /** openssl's key and CSR {@code <name>.key} / {@code <name>.der} with the mailbox as subject and subjectAltName. */
    private static void csr(Path dir, String mailbox, String name, String algorithm, String... keyOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "req", "-new", "-newkey", algorithm));
        command.addAll(List.of(keyOptions));
        command.addAll(List.of("-nodes", "-keyout", name + ".key", "-subj", "/CN=" + mailbox, "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER",
                "-out", name + ".der"));
        run(dir, command.toArray(String[]::new));
    }

    /** The certificate in a base64 certs-only response, as PEM, via openssl base64 and pkcs7. */
    private static Path certificateFrom(Path dir, String base64, String pem) throws Exception {
        run(dir, "openssl", "base64", "-d", "-in", base64, "-out", base64 + ".der");
        run(dir, "openssl", "pkcs7", "-inform", "DER", "-in", base64 + ".der", "-print_certs", "-out", pem);
        return dir.resolve(pem);
    }

    private static Path caChain(Path dir) throws Exception {
        Files.write(dir.resolve("cacerts.b64"), curlBytes(dir, "--fail", est + "/cacerts"));
        return certificateFrom(dir, "cacerts.b64", "cacerts.pem");
    }

    private static IssuedCertificate issued(Path pem) throws Exception {
        String serial = run(pem.getParent(), "openssl", "x509", "-in", pem.toString(), "-noout", "-serial").strip().substring("serial=".length());
        return fixture.ca.find(new BigInteger(serial, 16)).orElseThrow();
    }

    private static String curl(Path dir, String... arguments) throws Exception {
        return new String(curlBytes(dir, arguments), StandardCharsets.UTF_8);
    }

    private static byte[] curlBytes(Path dir, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--cacert", fixture.rootPem().toString()));
        command.addAll(List.of(arguments));
        return execute(dir, command.toArray(String[]::new));
    }

    private static String run(Path dir, String... command) throws Exception {
        return new String(execute(dir, command), StandardCharsets.UTF_8);
    }

    private static byte[] execute(Path dir, String... command) throws Exception {
        Path errors = Files.createTempFile(dir, "stderr", ".txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(errors.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + Files.readString(errors) + new String(out, StandardCharsets.UTF_8)).isZero();
        return out;
    }
}
