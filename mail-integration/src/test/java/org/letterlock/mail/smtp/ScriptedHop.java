package org.letterlock.mail.smtp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An SMTP hop for one connection that offers {@code extensions}, takes every command, answers the final dot after
 * {@code dotDelay}, and records the commands as it read them (UTF-8); made {@code silentAfterOneMessage}, it answers
 * nothing after its first message. For what no real MTA here can be made to do on cue: answer late, fall silent, or
 * lack an extension.
 */
final class ScriptedHop implements AutoCloseable {
    private final ServerSocket listener;
    private final Thread thread;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final boolean silentAfterOneMessage;
    private boolean silent;

    ScriptedHop(List<String> extensions, Duration dotDelay) throws IOException {
        this(extensions, dotDelay, false);
    }

    ScriptedHop(List<String> extensions, Duration dotDelay, boolean silentAfterOneMessage) throws IOException {
        this.silentAfterOneMessage = silentAfterOneMessage;
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        thread = new Thread(() -> {
            try (Socket connection = listener.accept()) {
                serve(connection, extensions, dotDelay);
            } catch (IOException | InterruptedException e) {
                failure.set(e);
            }
        }, "scripted-hop");
        thread.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** The gateway's SMTP client connected to this hop in clear, giving up on a command after {@code timeout}. */
    SmtpClient connect(Duration timeout) throws IOException {
        return SmtpClient.connect(new org.letterlock.platform.config.GatewaySettings.HostPort("127.0.0.1", port()), SmtpClient.Protocol.SMTP,
                org.letterlock.platform.config.GatewaySettings.NextHopTls.NONE, null, null, "gateway.example.org", timeout);
    }

    /** The commands read, in order; MAIL and RCPT as the client wrote them. */
    List<String> commands() {
        return commands;
    }

    private void serve(Socket connection, List<String> extensions, Duration dotDelay) throws IOException, InterruptedException {
        BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = connection.getOutputStream();
        say(out, "220 hop.test ESMTP");
        for (String line; (line = in.readLine()) != null; ) {
            commands.add(line);
            String command = line.toUpperCase(Locale.ROOT);
            if (silent) {
                continue;
            }
            if (command.startsWith("EHLO")) {
                StringBuilder reply = new StringBuilder("250-hop.test");
                extensions.forEach(extension -> reply.append("\r\n250-").append(extension));
                say(out, reply.append("\r\n250 ENHANCEDSTATUSCODES").toString());
            } else if (command.equals("DATA")) {
                say(out, "354 OK");
                for (String data; (data = in.readLine()) != null && !data.equals("."); ) {
                    // the message
                }
                Thread.sleep(dotDelay.toMillis());
                say(out, "250 2.0.0 queued");
                silent = silentAfterOneMessage;
            } else if (command.equals("QUIT")) {
                say(out, "221 2.0.0 bye");
                return;
            } else {
                say(out, "250 2.0.0 OK");
            }
        }
    }

    private static void say(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Waits for the connection to end; the hop's own failure, if any, is thrown. */
    @Override
    public void close() throws Exception {
        thread.join(30_000);
        listener.close();
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
