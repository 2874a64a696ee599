package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PKCS#12 files as the tools mail clients use read them: OpenSSL, NSS's pk12util (Thunderbird) and gpgsm. */
class Pkcs12WriterTest {
    private static final char[] PASSPHRASE = "correct horse battery".toCharArray();

    @TempDir
    Path work;

    @Test
    void theModernFileIsAesUnderPbkdf2WithASha256MacAndOpensslReadsBothKeys() throws Exception {
        Path p12 = write(Pkcs12Writer.Format.MODERN);

        String info = run(List.of("openssl", "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(PASSPHRASE), "-info", "-nodes"), Map.of());
        assertThat(info).contains("PBES2, PBKDF2, AES-256-CBC", "MAC: sha256").contains("bob@example.org signing", "bob@example.org encryption");
        assertThat(info.split("BEGIN PRIVATE KEY", -1)).hasSize(3);
    }

    @Test
    void theLegacyFileIsTripleDesWithASha1Mac() throws Exception {
        Path p12 = write(Pkcs12Writer.Format.LEGACY);

        String info = run(List.of("openssl", "pkcs12", "-legacy", "-in", p12.toString(), "-passin", "pass:" + new String(PASSPHRASE), "-info", "-nokeys"), Map.of());
        assertThat(info).contains("pbeWithSHA1And3-KeyTripleDES-CBC", "MAC: sha1");
    }

    @Test
    void thunderbirdsPk12utilImportsTheModernFile() throws Exception {
        Path p12 = write(Pkcs12Writer.Format.MODERN);
        Path profile = Files.createDirectories(work.resolve("profile"));
        run(List.of("certutil", "-N", "-d", "sql:" + profile, "--empty-password"), Map.of());
        Path passphrase = Files.writeString(work.resolve("pw"), new String(PASSPHRASE) + "\n");

        run(List.of("pk12util", "-i", p12.toString(), "-d", "sql:" + profile, "-w", passphrase.toString()), Map.of());

        assertThat(run(List.of("certutil", "-K", "-d", "sql:" + profile), Map.of())).contains("bob@example.org signing", "bob@example.org encryption");
    }

    @Test
    void gpgsmImportsALegacyFileOfOneKey() throws Exception {
        // gpgsm 2.2 takes one key per PKCS#12 ("a key has already been received"): the client imports each key on its own.
        // It takes RSA keys only: an EC key in a PKCS#12 crashes gpgsm 2.2.40 (the client refuses to hand it one).
        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");

        // gpgsm exits 2 here because this test's root (made here, not a CA gpgsm can check) cannot be validated; the key is what counts.
        // gpgsm 2.2.40 rarely fails to decrypt a key bag OpenSSL reads (see escrow's EscrowConformance): a fresh file gets up to two more tries.
        String output = "";
        for (int attempt = 0; attempt < 3 && !output.contains("secret keys imported: 1"); attempt++) {
            Path p12 = write(Pkcs12Writer.Format.LEGACY, 1, 2);
            output = runAllowing(2, List.of("sh", "-c", "echo '" + new String(PASSPHRASE) + "' | gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --import " + p12),
                    Map.of("GNUPGHOME", home.toString()));
        }

        assertThat(output).contains("secret keys imported: 1");
        run(List.of("gpgconf", "--kill", "all"), Map.of("GNUPGHOME", home.toString()));
    }

    private Path write(Pkcs12Writer.Format format) throws Exception {
        return write(format, 0, 2);
    }

    private Path write(Pkcs12Writer.Format format, int from, int to) throws Exception {
        KeyPair ca = KeyType.EC_P256.generate();
        X509Certificate root = certificate("CN=Test Root", ca, ca);
        KeyPair signing = KeyType.EC_P256.generate();
        KeyPair encryption = KeyType.RSA_3072.generate();
        List<Pkcs12Writer.KeyEntry> entries = new ArrayList<>();
        entries.add(new Pkcs12Writer.KeyEntry("bob@example.org signing", signing.getPrivate(), certificate("CN=bob@example.org", signing, ca)));
        entries.add(new Pkcs12Writer.KeyEntry("bob@example.org encryption", encryption.getPrivate(), certificate("CN=bob@example.org", encryption, ca)));
        return Files.write(work.resolve(format + ".p12"), Pkcs12Writer.write(entries.subList(from, to), List.of(root), PASSPHRASE, format));
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKeys, KeyPair issuerKeys) throws Exception {
        Date now = new Date();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=Test Root"), BigInteger.valueOf(System.nanoTime()),
                now, new Date(now.getTime() + 86_400_000L), new X500Name(subject), subjectKeys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    static String run(List<String> command, Map<String, String> environment) throws Exception {
        return runAllowing(0, command, environment);
    }

    private static String runAllowing(int exit, List<String> command, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isIn(0, exit);
        return output;
    }
}
