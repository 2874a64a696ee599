package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.letterlock.ca.Tools;

/** A scratch GNUPGHOME for gpgsm 2.2 (no dirmngr, no CRL checks), and what the tests do with it. */
public final class GpgsmHome implements AutoCloseable {
    private final Path home;
    private final Path dir;
    private final Tools tools;
    private final Map<String, String> gnupg;

    /** @param home an empty folder for GNUPGHOME; @param dir where files are written */
    public GpgsmHome(Path home, Path dir) throws Exception {
        this.home = home;
        this.dir = dir;
        this.tools = new Tools(dir);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");
        gnupg = Map.of("GNUPGHOME", home.toString());
    }

    /** Imports the CA chain and trusts its root for signing ({@code relax}: the test CA's certificates have no gpgsm-known policy). */
    public void trust(X509Certificate root, X509Certificate... intermediates) throws Exception {
        List<Object> chain = new ArrayList<>(List.of(intermediates));
        chain.add(root);
        succeeds(gpgsm("--import", TestCertificates.pem(dir, "gpgsm-chain", chain.toArray()).toString()));
        String fingerprint = HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(root.getEncoded()));
        Files.writeString(home.resolve("trustlist.txt"), fingerprint + " S relax\n");
    }

    /**
     * Imports an RSA certificate and its key through a legacy PKCS#12, the only kind gpgsm 2.2 imports (an empty
     * password keeps gpg-agent from asking). gpgsm 2.2.40 now and then fails to decrypt a key bag OpenSSL reads
     * ("decryption failed; trying charset ..."), depending on the file's random salt: a fresh file gets up to two more tries.
     */
    public void importRsa(Path certificatePem, Path keyPem) throws Exception {
        Path pkcs12 = dir.resolve("gpgsm-import.p12");
        Tools.Run imported = null;
        for (int attempt = 0; attempt < 3 && (imported == null || imported.exit() != 0); attempt++) {
            succeeds(tools.openssl("pkcs12", "-export", "-legacy", "-in", certificatePem.toString(), "-inkey", keyPem.toString(),
                    "-passout", "pass:", "-out", pkcs12.toString()));
            imported = gpgsm("--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", pkcs12.toString());
        }
        succeeds(imported);
    }

    /** gpgsm's detached signature (DER) over the file {@code content}, as {@code signer}. */
    public byte[] detachSign(String signer, Path content) throws Exception {
        Path signature = dir.resolve("gpgsm-" + System.nanoTime() + ".p7s");
        succeeds(gpgsm("--disable-crl-checks", "--disable-policy-checks", "-u", signer, "--output", signature.toString(), "--detach-sign", content.toString()));
        return Files.readAllBytes(signature);
    }

    public Tools.Run decrypt(Path message, Path clear) throws Exception {
        return gpgsm("--pinentry-mode", "loopback", "--disable-crl-checks", "--output", clear.toString(), "--decrypt", message.toString());
    }

    public Tools.Run gpgsm(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpgsm", "--batch", "--disable-dirmngr"));
        command.addAll(List.of(arguments));
        return tools.run(gnupg, command.toArray(String[]::new));
    }

    public Path home() {
        return home;
    }

    public static void succeeds(Tools.Run run) {
        assertThat(run.exit()).as(run.output()).isZero();
    }

    @Override
    public void close() throws Exception {
        tools.run(gnupg, "gpgconf", "--kill", "all");
    }
}
