package org.letterlock.mail.keys;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * nginx of the test's own: its configuration, prefix, logs and temporary folders in one folder, listening on a free
 * loopback port, in the foreground ({@code daemon off}) so that stopping the process stops it. Served folders are made
 * world-readable: nginx started as root serves as {@code nobody}.
 */
final class PrivateNginx implements AutoCloseable {

    /** A TLS virtual host: its names, its certificate and key (PEM files), and the folder it serves. */
    record Site(List<String> names, Path certificate, Path key, Path root) {
    }

    private final Process process;
    private final Path dir;
    final int port;

    private PrivateNginx(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts with {@code sites}, the first also the default for names no site has; returns once it accepts connections. */
    static PrivateNginx start(Path dir, List<Site> sites) throws Exception {
        int port = LoopbackNames.freePort();
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < sites.size(); i++) {
            Site site = sites.get(i);
            servers.append("  server {\n    listen 127.0.0.1:").append(port).append(" ssl").append(i == 0 ? " default_server" : "").append(";\n")
                    .append("    server_name ").append(String.join(" ", site.names())).append(";\n")
                    .append("    ssl_certificate ").append(site.certificate()).append(";\n")
                    .append("    ssl_certificate_key ").append(site.key()).append(";\n")
                    .append("    root ").append(site.root()).append(";\n  }\n");
            readableByAll(site.root());
        }
        readableByAll(dir);
        String conf = "daemon off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("error.log") + ";\n"
                + "events { worker_connections 64; }\nhttp {\n  access_log " + dir.resolve("access.log") + ";\n"
                + Stream.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi").map(t -> "  " + t + "_temp_path " + dir.resolve("tmp-" + t) + ";\n")
                        .reduce("", String::concat)
                + "  default_type application/octet-stream;\n" + servers + "}\n";
        Path confFile = Files.writeString(dir.resolve("nginx.conf"), conf);
        // -e: the error log before the configuration is read (by default /var/log/nginx, not ours)
        Process process = new ProcessBuilder("nginx", "-e", dir.resolve("error.log").toString(), "-p", dir.toString(), "-c", confFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        PrivateNginx nginx = new PrivateNginx(process, dir, port);
        nginx.awaitListening();
        return nginx;
    }

    private static void readableByAll(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.toList()) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(Files.isDirectory(file) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private void awaitListening() throws Exception {
        Instant giveUp = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(giveUp)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nginx stopped: " + Files.readString(dir.resolve("nginx.out")) + Files.readString(dir.resolve("error.log")));
            }
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("nginx did not listen on " + port + " within 30 s");
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
