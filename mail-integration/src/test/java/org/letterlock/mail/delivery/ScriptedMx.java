package org.letterlock.mail.delivery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An MX host on one loopback address that offers STARTTLS with a given certificate and, if asked, REQUIRETLS in its
 * EHLO reply once under TLS (RFC 8689 4.1): Postfix 3.7 never offers REQUIRETLS, so it cannot be the MX that does.
 * It records the MAIL commands it took and answers every message with 250.
 */
final class ScriptedMx implements AutoCloseable {
    private final ServerSocket listener;
    private final SSLContext tls;
    /** Whether REQUIRETLS is in its EHLO reply under TLS; a test may change it. */
    volatile boolean requireTls;
    private final Thread thread;
    /** The MAIL FROM commands, as sent. */
    final List<String> mailCommands = new CopyOnWriteArrayList<>();

    ScriptedMx(InetAddress address, int port, SSLContext tls, boolean requireTls) throws IOException {
        this.tls = tls;
        this.requireTls = requireTls;
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(address, port), 5);
        thread = new Thread(this::serve, "scripted-mx-" + address.getHostAddress());
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void serve() {
        while (!listener.isClosed()) {
            try (Socket connection = listener.accept()) {
                // A client that keeps a connection open and says nothing must not keep the next one (or close()) waiting.
                connection.setSoTimeout(5_000);
                converse(connection);
            } catch (IOException closed) {
                // The listener closed, or the client went away: the next connection.
            }
        }
    }

    private void converse(Socket connection) throws IOException {
        Socket socket = connection;
        boolean secured = false;
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.ISO_8859_1);
        reply(out, "220 scripted.test ESMTP");
        for (String line; (line = in.readLine()) != null; ) {
            String verb = line.length() < 4 ? line : line.substring(0, 4).toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> reply(out, secured ? (requireTls ? "250-scripted.test\r\n250 REQUIRETLS" : "250 scripted.test") : "250-scripted.test\r\n250 STARTTLS");
                case "STAR" -> {
                    reply(out, "220 go ahead");
                    SSLSocket upgraded = (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
                    upgraded.setUseClientMode(false);
                    upgraded.startHandshake();
                    socket = upgraded;
                    secured = true;
                    in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                    out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.ISO_8859_1);
                }
                case "MAIL" -> {
                    mailCommands.add(line);
                    reply(out, "250 ok");
                }
                case "DATA" -> {
                    reply(out, "354 go ahead");
                    for (String data; (data = in.readLine()) != null && !data.equals("."); ) {
                        // the content is not kept
                    }
                    reply(out, "250 2.0.0 ok");
                }
                case "QUIT" -> {
                    reply(out, "221 bye");
                    return;
                }
                default -> reply(out, "250 ok");
            }
        }
    }

    private static void reply(Writer out, String reply) throws IOException {
        out.write(reply + "\r\n");
        out.flush();
    }

    @Override
    public void close() throws Exception {
        listener.close();
        thread.join();
    }
}
