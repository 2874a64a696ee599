package org.letterlock.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenSSL's {@code openssl ocsp} responder, the OCSP benchmark's peer (one process and {@code -multi 2}), stopped by its
 * pid with its children. (The other peer, nginx, is {@link Nginx}.)
 *
 * <p>OpenSSL 3.0's responder takes only a port and binds every interface, so it runs in a network namespace of its own
 * that holds nothing but loopback: {@code unshare -n} starts a holder process that brings {@code lo} up and sleeps, and
 * the responder, its readiness probe and its load generator join that namespace with {@code nsenter --net=/proc/<holder
 * pid>/ns/net}. A connection closed without a request leaves the 3.0 responder spinning (openssl/openssl#31129), so
 * the responder is started afresh for every run of the load generator (see {@link Wrk#SCRIPT} for the other half).
 */
final class OcspPeers {
    /** The port the responder listens on inside its namespace (nothing else is there). */
    static final int RESPONDER_PORT = 8888;
    static final Duration READY_LIMIT = Duration.ofSeconds(20);
    static final Duration GRACE = Duration.ofSeconds(5);
    private static final DateTimeFormatter INDEX_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'", Locale.ROOT);

    private OcspPeers() {
    }

    /**
     * One line of an {@code openssl ca} index file ({@code -index} of the responder): status V or R, expiry, revocation
     * time and reason (R only), serial in hex, file name ("unknown"), subject; tab-separated.
     */
    static String indexLine(BigInteger serial, boolean revoked, ZonedDateTime expiry, ZonedDateTime revokedAt, String subject) {
        String serialHex = serial.toString(16).toUpperCase(Locale.ROOT);
        if (serialHex.length() % 2 == 1) {
            serialHex = "0" + serialHex;
        }
        return String.join("\t", revoked ? "R" : "V", INDEX_TIME.format(expiry.withZoneSameInstant(ZoneOffset.UTC)),
                revoked ? INDEX_TIME.format(revokedAt.withZoneSameInstant(ZoneOffset.UTC)) + ",keyCompromise" : "", serialHex, "unknown", subject);
    }

    /** {@code openssl ocsp} as a responder on {@link #RESPONDER_PORT}, signing every response with the CA's own key. */
    static List<String> responderCommand(Path dir, int processes) {
        List<String> command = new ArrayList<>(List.of("openssl", "ocsp", "-index", dir.resolve("index.txt").toString(), "-CA", dir.resolve("ca.pem").toString(),
                "-rsigner", dir.resolve("ca.pem").toString(), "-rkey", dir.resolve("ca.key").toString(), "-port", Integer.toString(RESPONDER_PORT),
                "-ndays", "1"));
        if (processes > 1) {
            command.addAll(List.of("-multi", Integer.toString(processes)));
        }
        return command;
    }

    /** A network namespace with only loopback, up: its holder process sleeps until stopped. */
    static final class Namespace implements AutoCloseable {
        private final Processes processes;
        private final Process holder;

        Namespace(Processes processes, Path dir) throws IOException, InterruptedException {
            this.processes = processes;
            ProcessBuilder builder = new ProcessBuilder("unshare", "-n", "sh", "-c", "ip link set lo up && echo up && exec sleep 86400")
                    .directory(dir.toFile()).redirectErrorStream(true);
            holder = builder.start();
            processes.remember(holder.toHandle());
            BufferedReader output = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line = output.readLine();
            if (!"up".equals(line)) {
                String rest = line == null ? "" : line;
                holder.waitFor(2, TimeUnit.SECONDS);
                close();
                throw new IllegalStateException("cannot make a network namespace with `unshare -n` (root is needed; this runs as uid "
                        + Shell.runOr(List.of("id", "-u"), "?") + "): " + rest);
            }
        }

        /** A command run inside the namespace. */
        List<String> enter(List<String> command) {
            List<String> full = new ArrayList<>(List.of("nsenter", "--net=/proc/" + holder.pid() + "/ns/net", "--"));
            full.addAll(command);
            return full;
        }

        @Override
        public void close() throws InterruptedException {
            processes.stop(holder.toHandle(), GRACE);
        }
    }

    /**
     * Starts the responder in the namespace and waits until it has answered a real request (the openssl client posting
     * {@code probe}, a DER request; a bare connect would set off the bug above). Returns its process; stop it with
     * {@link Processes#stopWithChildren}.
     */
    static Process startResponder(Processes processes, Namespace namespace, Path dir, int processesWanted, Path probe, Path log)
            throws IOException, InterruptedException {
        Process responder = processes.start(namespace.enter(responderCommand(dir, processesWanted)), dir, Map.copyOf(System.getenv()), log);
        long deadline = System.nanoTime() + READY_LIMIT.toNanos();
        List<String> client = namespace.enter(List.of("openssl", "ocsp", "-reqin", probe.toString(), "-url", "http://127.0.0.1:" + RESPONDER_PORT + "/",
                "-noverify", "-respout", dir.resolve("probe-response.der").toString()));
        while (true) {
            if (!responder.isAlive()) {
                throw new IllegalStateException("openssl ocsp stopped with " + responder.exitValue() + ":\n" + LetterlockServer.tail(log, 10));
            }
            Process probing = new ProcessBuilder(client).redirectErrorStream(true).start();
            processes.remember(probing.toHandle());
            byte[] said = probing.getInputStream().readAllBytes();
            boolean done = probing.waitFor(10, TimeUnit.SECONDS);
            processes.stop(probing.toHandle(), GRACE);
            if (done && probing.exitValue() == 0) {
                // -multi forks its children before they accept; wait until they are all there, so stopping finds them.
                while (processesWanted > 1 && responder.toHandle().children().count() < processesWanted && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                processes.watchChildren(responder.toHandle());
                return responder;
            }
            if (System.nanoTime() > deadline) {
                processes.stopWithChildren(responder.toHandle(), GRACE);
                throw new IllegalStateException("openssl ocsp did not answer within " + READY_LIMIT.toSeconds() + " s; the probe said: "
                        + new String(said, StandardCharsets.UTF_8).strip() + "\n" + LetterlockServer.tail(log, 10));
            }
            Thread.sleep(50);
        }
    }
}
