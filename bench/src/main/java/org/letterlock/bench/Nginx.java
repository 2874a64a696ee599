package org.letterlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * nginx as a peer: a private instance in a folder of the benchmark's own ({@code nginx -p <folder>}, in the foreground
 * so that its master is our child and is stopped by its pid with its workers), 2 workers, no access log, listening on
 * 127.0.0.1 only, with one {@code location /} the benchmark chooses. The Debian package's own server need not run.
 */
final class Nginx {
    static final Duration READY_LIMIT = Duration.ofSeconds(20);

    private Nginx() {
    }

    /** The configuration; {@code location} holds the directives of {@code location /}, e.g. {@code return 201 '{}';}. */
    static String config(Path dir, int port, List<String> location) {
        return """
                # Written by the bench harness (org.letterlock.bench.Nginx).
                daemon off;
                worker_processes 2;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events {
                    worker_connections 1024;
                }
                http {
                    access_log off;
                    # Keep connections open as long as the load runs (the default closes one every 1,000 requests).
                    keepalive_requests 1000000;
                    client_body_temp_path %1$s/tmp/body;
                    proxy_temp_path %1$s/tmp/proxy;
                    fastcgi_temp_path %1$s/tmp/fastcgi;
                    uwsgi_temp_path %1$s/tmp/uwsgi;
                    scgi_temp_path %1$s/tmp/scgi;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %1$s;
                        location / {
                %3$s
                        }
                    }
                }
                """.formatted(dir, port, String.join("\n", location.stream().map(line -> "            " + line).toList()));
    }

    /**
     * Writes the configuration to {@code dir/nginx.conf}, starts nginx and waits until a GET of {@code probePath} answers
     * {@code expected}. Stop it with {@link Processes#stopWithChildren}.
     */
    static Process start(Processes processes, Path dir, int port, List<String> location, String probePath, int expected) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("tmp"));
        Path config = dir.resolve("nginx.conf");
        Files.writeString(config, config(dir, port, location));
        Path log = dir.resolve("console.log");
        Process nginx = processes.start(List.of("nginx", "-p", dir.toString(), "-c", config.toString()), dir, Map.copyOf(System.getenv()), log);
        long deadline = System.nanoTime() + READY_LIMIT.toNanos();
        while (LetterlockServer.status(port, probePath, null) != expected) {
            if (!nginx.isAlive()) {
                throw new IllegalStateException("nginx stopped with " + nginx.exitValue() + ":\n" + LetterlockServer.tail(log, 10) + "\n"
                        + LetterlockServer.tail(dir.resolve("error.log"), 10));
            }
            if (System.nanoTime() > deadline) {
                processes.stopWithChildren(nginx.toHandle(), OcspPeers.GRACE);
                throw new IllegalStateException("nginx did not answer " + expected + " to GET " + probePath + " within " + READY_LIMIT.toSeconds()
                        + " s; see " + dir.resolve("error.log"));
            }
            Thread.sleep(50);
        }
        processes.watchChildren(nginx.toHandle());
        return nginx;
    }

    static String version() {
        return Shell.runOr(List.of("nginx", "-v"), "nginx ?").replace("nginx version: ", "");
    }
}
