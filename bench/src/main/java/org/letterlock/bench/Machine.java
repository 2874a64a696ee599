package org.letterlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Facts about the machine and software a result was measured on, for the record. */
public record Machine(String processors, String cpu, String java, String openssl, String commit) {

    public static Machine describe(Path root) {
        String javaCommand = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String java = String.join("; ", Shell.runOr(List.of(javaCommand, "-version"), System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version")).lines().map(String::strip).toList());
        String processors = Shell.runOr(List.of("nproc"), Integer.toString(Runtime.getRuntime().availableProcessors()));
        String openssl = Shell.runOr(List.of("openssl", "version"), "openssl not found");
        String head = Shell.runOr(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"), "unknown");
        String changes = Shell.runOr(List.of("git", "-C", root.toString(), "status", "--porcelain"), "");
        return new Machine(processors, cpuModel().orElse("unknown CPU"), java, openssl, head + (changes.isEmpty() ? "" : " with uncommitted changes"));
    }

    /** The 1, 5 and 15 minute load averages, to show how busy the shared machine was. */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
