package org.letterlock.mail.pgp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.ca.Tools;
import org.letterlock.keyserver.KeyLimits;
import org.letterlock.keyserver.OpenPgpKeys;

/**
 * gpg 2.2, sq 0.27 and rnp 0.16 at work in a test's folder: they make keys and decrypt what Letterlock wrote. Every
 * decryption gets a fresh GnuPG or rnp home holding only the one secret key it is given, so a message decrypts only
 * for the key it was meant for. {@link #close()} stops the gpg-agents the homes started.
 */
final class PgpTools implements AutoCloseable {
    enum Tool {
        GPG, SQ, RNP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A key one tool made: the certificate as Letterlock reads it, and the unprotected secret key (armored) any tool imports. */
    record MadeKey(String name, PGPPublicKeyRing certificate, Path secretKey) {
        String fingerprint() {
            return OpenPgpKeys.fingerprint(certificate.getPublicKey());
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** What a tool did with a message: its exit status, what it printed (stderr and stdout), the cleartext it wrote. */
    record Decryption(int exit, String output, byte[] cleartext) {
    }

    private final Path dir;
    private final Tools tools;
    private final List<Path> gpgHomes = new ArrayList<>();
    private int files;

    PgpTools(Path dir) {
        this.dir = dir;
        this.tools = new Tools(dir);
    }

    /** A new, empty GnuPG home that takes passphrases from the command line. */
    Path gpgHome() throws Exception {
        Path home = Files.createDirectory(next("gpg"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");
        gpgHomes.add(home);
        return home;
    }

    Tools.Run gpg(Path home, String... arguments) throws Exception {
        return tools.run(Stream.concat(Stream.of("gpg", "--homedir", home.toString(), "--batch", "--yes", "--pinentry-mode", "loopback"), Stream.of(arguments))
                .toArray(String[]::new));
    }

    /** {@code gpg} with the empty passphrase its keys here are made with; fails the test unless gpg succeeds. */
    Tools.Run gpgOk(Path home, String... arguments) throws Exception {
        Tools.Run run = gpg(home, Stream.concat(Stream.of("--passphrase", ""), Stream.of(arguments)).toArray(String[]::new));
        assertThat(run.exit()).as("gpg " + String.join(" ", arguments) + "\n" + run.output()).isZero();
        return run;
    }

    Tools.Run run(String... command) throws Exception {
        return tools.run(command);
    }

    Tools.Run run(Map<String, String> environment, String... command) throws Exception {
        return tools.run(environment, command);
    }

    Tools.Run ok(String... command) throws Exception {
        Tools.Run run = tools.run(command);
        assertThat(run.exit()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return run;
    }

    /** {@code sq} with {@code arguments}, for its commands that have no output option: what it writes to stdout goes to {@code output}. */
    void sqToFile(Path output, String... arguments) throws Exception {
        String[] command = Stream.concat(Stream.of("sh", "-c", "sq \"$@\" > \"$OUTPUT\"", "sq"), Stream.of(arguments)).toArray(String[]::new);
        Tools.Run run = tools.run(Map.of("OUTPUT", output.toString()), command);
        assertThat(run.exit()).as("sq " + String.join(" ", arguments) + "\n" + run.output()).isZero();
    }

    /** The fingerprint of the key in {@code home} that {@code userId} names. */
    String gpgFingerprint(Path home, String userId) throws Exception {
        return gpgOk(home, "--with-colons", "--list-keys", userId).output().lines().filter(line -> line.startsWith("fpr:")).findFirst().orElseThrow()
                .split(":")[9];
    }

    /** {@code gpg --quick-gen-key} in a new home: one key of {@code algorithm} ({@code future-default} adds a cv25519 encryption subkey). */
    MadeKey gpgKey(String name, String userId, String algorithm, String usage, String expiry) throws Exception {
        Path home = gpgHome();
        gpgOk(home, "--quick-gen-key", userId, algorithm, usage, expiry);
        return gpgExport(home, name, userId);
    }

    /** An RSA 3072 signing key with an RSA 3072 encryption subkey, as gpg users make them. */
    MadeKey gpgRsaKey(String name, String userId) throws Exception {
        Path home = gpgHome();
        gpgOk(home, "--quick-gen-key", userId, "rsa3072", "sign", "0");
        gpgOk(home, "--quick-add-key", gpgFingerprint(home, userId), "rsa3072", "encr", "0");
        return gpgExport(home, name, userId);
    }

    /** The key named {@code userId} in {@code home}, exported as it is now. */
    MadeKey gpgExport(Path home, String name, String userId) throws Exception {
        Path certificate = next(name + "-cert.asc");
        Path secret = next(name + "-secret.asc");
        gpgOk(home, "--armor", "--output", certificate.toString(), "--export", userId);
        gpgOk(home, "--armor", "--output", secret.toString(), "--export-secret-keys", userId);
        return new MadeKey(name, read(certificate), secret);
    }

    /** {@code sq key generate} with {@code options} (the default makes a cv25519 key with certification, signing, authentication and encryption keys). */
    MadeKey sqKey(String name, String userId, String... options) throws Exception {
        Path secret = next(name + "-secret.pgp");
        Path certificate = next(name + "-cert.pgp");
        ok(Stream.concat(Stream.of("sq", "key", "generate", "--userid", userId, "--export", secret.toString()), Stream.of(options)).toArray(String[]::new));
        ok("sq", "key", "extract-cert", "--output", certificate.toString(), secret.toString());
        return new MadeKey(name, read(certificate), secret);
    }

    /** {@code rnpkeys --generate-key}: rnp 0.16's default, an RSA 2048 key with an RSA 2048 encryption subkey and no Features subpacket. */
    MadeKey rnpKey(String name, String userId) throws Exception {
        String home = Files.createDirectory(next("rnp")).toString();
        ok("rnpkeys", "--homedir", home, "--generate-key", "--userid", userId, "--password", "");
        Path certificate = next(name + "-cert.asc");
        Path secret = next(name + "-secret.asc");
        ok("rnpkeys", "--homedir", home, "--export-key", "--output", certificate.toString(), userId);
        ok("rnpkeys", "--homedir", home, "--export-key", "--secret", "--output", secret.toString(), userId);
        return new MadeKey(name, read(certificate), secret);
    }

    static PGPPublicKeyRing read(Path certificate) throws Exception {
        return OpenPgpKeys.read(Files.readAllBytes(certificate), KeyLimits.DEFAULT).get(0);
    }

    /** {@code tool} decrypts {@code message} (armored) holding only {@code key}'s secret key. */
    Decryption decrypt(Tool tool, MadeKey key, Path message) throws Exception {
        Path cleartext = next("cleartext");
        String secret = key.secretKey().toString();
        Tools.Run run = switch (tool) {
            case GPG -> {
                Path home = gpgHome();
                gpgOk(home, "--import", secret);
                yield gpg(home, "--passphrase", "", "--status-fd", "1", "--output", cleartext.toString(), "--decrypt", message.toString());
            }
            case SQ -> run("sq", "decrypt", "--recipient-key", secret, "--output", cleartext.toString(), message.toString());
            case RNP -> {
                String home = Files.createDirectory(next("rnp")).toString();
                ok("rnpkeys", "--homedir", home, "--import", secret);
                yield run("rnp", "--homedir", home, "--decrypt", "--password", "", "--output", cleartext.toString(), message.toString());
            }
        };
        return new Decryption(run.exit(), run.output(), Files.exists(cleartext) ? Files.readAllBytes(cleartext) : new byte[0]);
    }

    /** {@code tool} decrypts {@code message} (armored) with {@code passphrase}, with no key at all. */
    Decryption decrypt(Tool tool, String passphrase, Path message) throws Exception {
        Path cleartext = next("cleartext");
        Tools.Run run = switch (tool) {
            case GPG -> gpg(gpgHome(), "--passphrase", passphrase, "--status-fd", "1", "--output", cleartext.toString(), "--decrypt", message.toString());
            // sq 0.27 has no password option or file: it asks on the terminal, so script(1) gives it one and types the passphrase.
            case SQ -> tools.run(Map.of("PASSPHRASE", passphrase, "CLEARTEXT", cleartext.toString(), "MESSAGE", message.toString()), "sh", "-c",
                    "printf '%s\\n' \"$PASSPHRASE\" | script -qec 'sq decrypt --output \"$CLEARTEXT\" \"$MESSAGE\"' /dev/null");
            case RNP -> run("rnp", "--homedir", Files.createDirectory(next("rnp")).toString(), "--decrypt", "--password", passphrase, "--output",
                    cleartext.toString(), message.toString());
        };
        return new Decryption(run.exit(), run.output(), Files.exists(cleartext) ? Files.readAllBytes(cleartext) : new byte[0]);
    }

    /** A path in the folder that no earlier call used. */
    Path next(String name) {
        return dir.resolve(name + "-" + ++files);
    }

    @Override
    public void close() throws Exception {
        for (Path home : gpgHomes) {
            new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "all").start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
