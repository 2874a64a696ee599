package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A scratch gpg home for a test (owner-only, as gpg wants), gpg run in it in batch mode, and its agent stopped at the end. */
final class GnupgHome implements AutoCloseable {
    private final Path home;

    GnupgHome(Path home) throws Exception {
        this.home = Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** gpg with {@code arguments}; it must succeed. Returns what it printed. */
    String gpg(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--pinentry-mode", "loopback"));
        command.addAll(List.of(arguments));
        return run(command.toArray(String[]::new));
    }

    /** Runs a tool to its end; it must succeed. Returns what it printed (standard output and error). */
    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    @Override
    public void close() throws Exception {
        run("gpgconf", "--homedir", home.toString(), "--kill", "all");
    }
}
