package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.jce.interfaces.ECPrivateKey;
import org.bouncycastle.jce.interfaces.ECPublicKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.mail.smime.TestCertificates.Holder;
import org.letterlock.mail.smime.TestCertificates.Organisation;
import org.letterlock.vault.KeySpec;

/**
 * What gpgsm 2.2 (GnuPG's S/MIME tool, as in Debian 12) makes of the gateway's messages. It verifies the signatures.
 * It reads neither AES-GCM nor password recipients, and, pinned here, neither RSAES-OAEP nor ECDH: each refusal is
 * shown beside a message OpenSSL makes for the same key, so the limit is gpgsm's and not the set-up's.
 */
class GpgsmInteropTest {
    @TempDir
    Path dir;
    @TempDir
    Path home;

    private TestCertificates certificates;
    private Tools tools;
    private GpgsmHome gpgsm;

    @BeforeEach
    void start() throws Exception {
        certificates = new TestCertificates();
        tools = new Tools(dir);
        gpgsm = new GpgsmHome(home, dir);
        gpgsm.trust(certificates.root(), certificates.issuing());
    }

    @AfterEach
    void stop() throws Exception {
        certificates.close();
        gpgsm.close();
    }

    @Test
    void rsaKeyTransportWithOaepIsNotReadButPkcs1Version15FromOpensslIs() throws Exception {
        Holder bob = certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, TestRequests.rsa(2048), "bob@example.org");
        Path certificate = TestCertificates.pem(dir, "bob-cert", bob.certificate());
        Path key = TestCertificates.pem(dir, "bob-key", bob.key());
        gpgsm.importRsa(certificate, key);
        Path ours = Files.write(dir.resolve("ours.eml"),
                SmimeEncryptionTest.encrypt(SmimeEncryption.toCertificates(List.of(bob.certificate()), ContentCipher.AES256_CBC), SmimeEncryptionTest.ENTITY));

        Tools.Run refused = gpgsmDecrypt(ours, dir.resolve("ours.out"));
        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("error getting encrypted session key");

        Path control = opensslEncrypt(certificate, "pkcs1v15");
        Tools.Run read = gpgsmDecrypt(control, dir.resolve("control.out"));
        assertSucceeds(read);
        assertThat(dir.resolve("control.out")).hasBinaryContent(SmimeEncryptionTest.ENTITY);
    }

    @Test
    void ecdhIsNotReadWhetherTheGatewayOrOpensslMadeIt() throws Exception {
        KeyPair keys = TestRequests.ec("secp256r1");
        Holder carol = certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, keys, "carol@example.org");
        Path certificate = TestCertificates.pem(dir, "carol-cert", carol.certificate());
        assertSucceeds(gpgsm("--import", certificate.toString()));
        giveTheAgent(keys, "carol@example.org");
        Path ours = Files.write(dir.resolve("ours.eml"),
                SmimeEncryptionTest.encrypt(SmimeEncryption.toCertificates(List.of(carol.certificate()), ContentCipher.AES256_CBC), SmimeEncryptionTest.ENTITY));

        Tools.Run refused = gpgsmDecrypt(ours, dir.resolve("ours.out"));
        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("encrypted to nistp256 key", "decrypting session key failed: Invalid session key");

        Tools.Run alsoRefused = gpgsmDecrypt(opensslEncrypt(certificate, "ecdh"), dir.resolve("control.out"));
        assertThat(alsoRefused.exit()).as(alsoRefused.output()).isNotZero();
        assertThat(alsoRefused.output()).contains("decrypting session key failed: Invalid session key");
    }

    @Test
    void theDetachedSignatureVerifiesToTheTrustedRoot() throws Exception {
        Organisation organisation = certificates.organisation(KeySpec.EC_P256, "postmaster@example.org");
        byte[] signed = SmimeSignatureTest.sign(SmimeSignature.by(organisation.signers(), List.of(organisation.certificate(), certificates.issuing())),
                SmimeEncryptionTest.ENTITY);
        Path signature = Files.write(dir.resolve("smime.p7s"), SmimeSignatureTest.signatureDer(signed));
        Path content = Files.write(dir.resolve("entity.txt"), SmimeEncryptionTest.ENTITY);

        Tools.Run run = gpgsm("--disable-crl-checks", "--status-fd", "1", "--verify", signature.toString(), content.toString());
        assertSucceeds(run);
        assertThat(run.output()).contains("[GNUPG:] GOODSIG", "[GNUPG:] TRUST_FULLY", "Good signature from \"/CN=postmaster@example.org\"");

        Path changed = Files.write(dir.resolve("changed.txt"), new String(SmimeEncryptionTest.ENTITY, StandardCharsets.UTF_8)
                .replace("Köln", "Bonn").getBytes(StandardCharsets.UTF_8));
        Tools.Run bad = gpgsm("--disable-crl-checks", "--status-fd", "1", "--verify", signature.toString(), changed.toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.output()).contains("[GNUPG:] BADSIG");
    }

    /**
     * gpgsm 2.2.40 crashes importing an EC key from PKCS#12, so the key goes straight into gpg-agent's store as the
     * unprotected S-expression the agent itself writes, named by the keygrip gpgsm computes for the certificate.
     */
    private void giveTheAgent(KeyPair keys, String mailbox) throws Exception {
        Tools.Run listing = gpgsm("--with-colons", "--with-keygrip", "--list-keys", mailbox);
        String keygrip = listing.output().lines().filter(l -> l.startsWith("grp:")).findFirst().orElseThrow().split(":")[9];
        HexFormat hex = HexFormat.of().withUpperCase();
        String q = hex.formatHex(((ECPublicKey) keys.getPublic()).getQ().getEncoded(false));
        String d = hex.formatHex(((ECPrivateKey) keys.getPrivate()).getD().toByteArray());
        Path store = Files.createDirectories(home.resolve("private-keys-v1.d"));
        Files.writeString(store.resolve(keygrip + ".key"), "Key: (private-key (ecc (curve \"NIST P-256\") (q #" + q + "#) (d #" + d + "#)))\n");
    }

    /** OpenSSL's own message for {@code certificate}: RSA with PKCS#1 v1.5, or EC with ECDH and its SHA-256 KDF. */
    private Path opensslEncrypt(Path certificate, String kind) throws Exception {
        Path entity = Files.write(dir.resolve("entity.txt"), SmimeEncryptionTest.ENTITY);
        Path message = dir.resolve("openssl-" + kind + ".p7m");
        List<String> command = new ArrayList<>(List.of("cms", "-encrypt", "-binary", "-aes256", "-in", entity.toString(),
                "-outform", "DER", "-out", message.toString(), "-recip", certificate.toString()));
        if (kind.equals("ecdh")) {
            command.addAll(List.of("-keyopt", "ecdh_kdf_md:sha256"));
        }
        assertSucceeds(tools.openssl(command.toArray(String[]::new)));
        return message;
    }

    private Tools.Run gpgsmDecrypt(Path message, Path clear) throws Exception {
        return gpgsm.decrypt(message, clear);
    }

    private Tools.Run gpgsm(String... arguments) throws Exception {
        return gpgsm.gpgsm(arguments);
    }

    private static void assertSucceeds(Tools.Run run) {
        assertThat(run.exit()).as(run.output()).isZero();
    }
}
