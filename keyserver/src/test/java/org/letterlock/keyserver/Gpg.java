package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** GnuPG in a scratch home: makes, signs, exports and imports keys the way users do. */
final class Gpg {
    record Run(int exit, String output, byte[] stdout) {
    }

    private final Path home;
    private final Map<String, String> environment;

    Gpg(Path home) throws Exception {
        this(home, Map.of());
    }

    /** With {@code environment} for gpg and the dirmngr it starts (such as OpenLDAP's LDAPTLS_CACERT). */
    Gpg(Path home, Map<String, String> environment) throws Exception {
        this.environment = Map.copyOf(environment);
        this.home = Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");
    }

    Run run(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(home.resolve("stderr.txt").toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] stdout = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Run(process.exitValue(), Files.readString(home.resolve("stderr.txt")) + new String(stdout, StandardCharsets.UTF_8), stdout);
    }

    Run ok(String... arguments) throws Exception {
        Run run = run(arguments);
        assertThat(run.exit()).as(String.join(" ", arguments) + "\n" + run.output()).isZero();
        return run;
    }

    /** A new ed25519 key with a cv25519 encryption subkey; returns its fingerprint. */
    String generate(String userId) throws Exception {
        return generate(userId, "ed25519", "cv25519");
    }

    /** A new key of gpg's algorithm {@code primary} (e.g. rsa3072) with an encryption subkey of {@code encryption}; returns its fingerprint. */
    String generate(String userId, String primary, String encryption) throws Exception {
        ok("--quick-gen-key", userId, primary, "sign", "0");
        String fingerprint = fingerprint(userId);
        ok("--quick-add-key", fingerprint, encryption, "encr", "0");
        return fingerprint;
    }

    /** Revokes the key with the revocation certificate gpg stored when it made the key (it is kept with a ':' so it cannot be imported by accident). */
    void revoke(String fingerprint) throws Exception {
        Path certificate = home.resolve("openpgp-revocs.d").resolve(fingerprint + ".rev");
        Path importable = home.resolve("revoke.asc");
        Files.writeString(importable, Files.readString(certificate).replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        ok("--import", importable.toString());
    }

    String fingerprint(String userId) throws Exception {
        String listing = ok("--with-colons", "--list-keys", userId).output();
        return listing.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
    }

    byte[] export(String who) throws Exception {
        return ok("--export", who).stdout();
    }

    void stop() throws Exception {
        new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "all").start().waitFor(30, TimeUnit.SECONDS);
    }
}
