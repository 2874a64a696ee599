package org.letterlock.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and returns its output (stdout and stderr together). */
public final class Shell {
    private Shell() {
    }

    public static String run(List<String> command) {
        return run(command, Map.of());
    }

    public static String run(List<String> command, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroy();
                throw new IllegalStateException(String.join(" ", command) + " did not finish");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    /** Fails, naming what is missing and how to install it, when one of {@code commands} is not on the PATH. */
    public static void require(String benchmark, List<String> commands, String install) {
        List<String> missing = commands.stream().filter(c -> runOr(List.of("sh", "-c", "command -v " + c), "").isEmpty()).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(benchmark + " needs " + String.join(", ", missing) + " on the PATH: " + install);
        }
    }

    /** The output of a command, or {@code fallback} when it cannot be run: for facts that are nice to have. */
    public static String runOr(List<String> command, String fallback) {
        try {
            return run(command).strip();
        } catch (IllegalStateException e) {
            return fallback;
        }
    }
}
