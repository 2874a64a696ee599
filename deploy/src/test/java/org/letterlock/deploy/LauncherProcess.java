package org.letterlock.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code ./letterlock} from the repository root the way an operator does, on a data folder of the test's own. */
final class LauncherProcess {
    static final Path ROOT = Path.of(System.getProperty("letterlock.it.root", "..")).toAbsolutePath().normalize();
    static final Path WORK = Path.of(System.getProperty("letterlock.it.work", "target/it")).toAbsolutePath();

    record Result(int exitCode, String output) {
    }

    final Path dataDir;
    final int port;
    final int hkpPort;
    final int ldapPort;
    final int ldapsPort;
    final int smtpPort;
    final int enrollPort;
    final Map<String, String> environment = new HashMap<>();

    LauncherProcess(String name) throws IOException {
        this.dataDir = WORK.resolve(name);
        deleteRecursively(dataDir);
        Files.createDirectories(dataDir);
        this.port = freePort();
        environment.put("LETTERLOCK_DATA_DIR", dataDir.toString());
        environment.put("LETTERLOCK_HTTP_PORT", Integer.toString(port));
        environment.put("LETTERLOCK_PUBLIC_URL", "http://127.0.0.1:" + port);
        // Servers of different tests may overlap while one stops and the next starts: none takes the fixed 11371.
        this.hkpPort = freePort();
        environment.put("LETTERLOCK_KEYSERVER_HKP_PORT", Integer.toString(hkpPort));
        this.ldapPort = freePort();
        environment.put("LETTERLOCK_KEYSERVER_LDAP_PORT", Integer.toString(ldapPort));
        this.ldapsPort = freePort();
        environment.put("LETTERLOCK_KEYSERVER_LDAPS_PORT", Integer.toString(ldapsPort));
        this.smtpPort = freePort();
        environment.put("LETTERLOCK_GATEWAY_SMTP_PORT", Integer.toString(smtpPort));
        this.enrollPort = freePort();
        environment.put("LETTERLOCK_ENROLL_PORT", Integer.toString(enrollPort));
        environment.put("LETTERLOCK_ENROLL_ACME_REPLY_PORT", Integer.toString(freePort()));
        // The build that runs this test has just made the artefacts.
        environment.put("LETTERLOCK_NO_BUILD", "1");
    }

    /**
     * A port free now and never handed out before in this JVM: a probed port is let go at once, and the next probe
     * may get the same one, so two listeners of one server (or of two) were once given one port.
     */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    Result run(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(ROOT.resolve("letterlock").toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("LETTERLOCK_") && !k.startsWith("LETTERLOCK_TEST_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("./letterlock " + String.join(" ", arguments) + " did not finish");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    void stopQuietly() {
        try {
            if (Files.exists(dataDir.resolve("letterlock.pid"))) {
                run("stop");
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
