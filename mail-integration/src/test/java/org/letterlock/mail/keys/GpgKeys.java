package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.letterlock.ca.Tools;

/** OpenPGP keys made by gpg in a scratch home, as the recipients' own software would make them. */
final class GpgKeys implements AutoCloseable {
    private final Path home;
    private final Tools tools;

    GpgKeys(Path home) throws Exception {
        this.home = Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        this.tools = new Tools(home);
    }

    private Tools.Run gpg(String... arguments) throws Exception {
        String[] command = Stream.concat(Stream.of("gpg", "--homedir", home.toString(), "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""),
                Stream.of(arguments)).toArray(String[]::new);
        Tools.Run run = tools.run(command);
        assertThat(run.exit()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return run;
    }

    /** An ed25519 key with a cv25519 encryption subkey, both expiring as gpg's {@code expiry} says ("0": never); its fingerprint. */
    String generate(String userId, String expiry) throws Exception {
        gpg("--quick-gen-key", userId, "ed25519", "sign", expiry);
        String fingerprint = fingerprint(userId);
        gpg("--quick-add-key", fingerprint, "cv25519", "encr", expiry);
        return fingerprint;
    }

    void addUserId(String fingerprint, String userId) throws Exception {
        gpg("--quick-add-uid", fingerprint, userId);
    }

    /** Imports the revocation certificate gpg stored when it made the key (kept with a ':' so it is not imported by accident). */
    void revoke(String fingerprint) throws Exception {
        Path stored = home.resolve("openpgp-revocs.d").resolve(fingerprint + ".rev");
        Path importable = Files.writeString(home.resolve("revoke.asc"),
                Files.readString(stored).replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        gpg("--import", importable.toString());
    }

    /** The key as WKD serves it: binary. */
    byte[] binary(String fingerprint) throws Exception {
        Path out = home.resolve(fingerprint + ".gpg");
        gpg("--output", out.toString(), "--export", fingerprint);
        return Files.readAllBytes(out);
    }

    byte[] armored(String fingerprint) throws Exception {
        Path out = home.resolve(fingerprint + ".asc");
        gpg("--armor", "--output", out.toString(), "--export", fingerprint);
        return Files.readAllBytes(out);
    }

    private String fingerprint(String userId) throws Exception {
        return gpg("--with-colons", "--list-keys", "=" + userId).output().lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
    }

    @Override
    public void close() throws Exception {
        tools.run("gpgconf", "--homedir", home.toString(), "--kill", "all");
    }
}
