package org.letterlock.mail.robustness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A next hop that takes a transaction up to DATA, reads the first lines of the message and hangs up. It stands in for
 * a peer that fails mid-transfer (a crash, a dropped link) because Postfix cannot be made to do that on demand.
 */
final class HangingUpHop implements AutoCloseable {
    /** Lines of the message read before hanging up. */
    private static final int LINES_READ = 5;

    private final ServerSocket listener;
    private final Thread thread;
    /** Transactions it hung up in the middle of the data. */
    final AtomicInteger hungUp = new AtomicInteger();

    HangingUpHop() throws IOException {
        listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "hanging-up-hop");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void serve() {
        while (!listener.isClosed()) {
            try (Socket connection = listener.accept()) {
                converse(connection);
            } catch (IOException closedOrReset) {
                // The listener closed, or the gateway went away first: either way, the next connection.
            }
        }
    }

    private void converse(Socket connection) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = connection.getOutputStream();
        reply(out, "220 hanging-up.test ESMTP");
        for (String line; (line = in.readLine()) != null; ) {
            String verb = line.length() < 4 ? line : line.substring(0, 4).toUpperCase(java.util.Locale.ROOT);
            switch (verb) {
                case "EHLO" -> reply(out, "250-hanging-up.test\r\n250 8BITMIME");
                case "DATA" -> {
                    reply(out, "354 go ahead");
                    for (int i = 0; i < LINES_READ; i++) {
                        in.readLine();
                    }
                    hungUp.incrementAndGet();
                    return;
                }
                case "QUIT" -> {
                    reply(out, "221 bye");
                    return;
                }
                default -> reply(out, "250 ok");
            }
        }
    }

    private static void reply(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws Exception {
        listener.close();
        thread.join();
    }
}
