package org.letterlock.platform.mail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An SMTP relay on Python's smtpd (resources/smtp-relay.py), a receiver nobody here wrote, on 127.0.0.1. It prints a
 * line per connection, mail taken or refused, and QUIT, which {@link #linesUntil} reads, and the header fields of each
 * mail taken, which {@link #headers} keeps.
 */
final class PythonSmtpRelay implements AutoCloseable {
    private static final String HEADER = "header ";

    private final int port;
    private final Process process;
    private final BufferedReader output;
    private final List<String> headers = new ArrayList<>();

    private PythonSmtpRelay(int port, Process process) {
        this.port = port;
        this.process = process;
        this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** A relay on a free port. */
    static PythonSmtpRelay start() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        return start(port);
    }

    /** A relay on {@code port}, once it listens. */
    static PythonSmtpRelay start(int port) throws Exception {
        Path script = Path.of(PythonSmtpRelay.class.getResource("/smtp-relay.py").toURI());
        Process process = new ProcessBuilder("python3", "-W", "ignore", "-u", script.toString(), Integer.toString(port)).redirectErrorStream(true).start();
        PythonSmtpRelay relay = new PythonSmtpRelay(port, process);
        try {
            relay.linesUntil("listening");
        } catch (AssertionError | Exception e) {
            process.destroyForcibly();
            throw e;
        }
        return relay;
    }

    int port() {
        return port;
    }

    /** The lines printed (header fields aside) up to and including {@code last}, which must come within 10 s. */
    List<String> linesUntil(String last) throws Exception {
        List<String> lines = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
            if (!output.ready()) {
                Thread.sleep(10);
                continue;
            }
            String line = output.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith(HEADER)) {
                headers.add(line.substring(HEADER.length()));
            } else if (!line.equals("listening") || last.equals("listening")) {
                lines.add(line);
            }
            if (line.equals(last)) {
                return lines;
            }
        }
        throw new AssertionError("the relay did not print '" + last + "'; it printed " + lines);
    }

    /** The header fields of the mails taken, as far as {@link #linesUntil} has read. */
    List<String> headers() {
        return headers;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
