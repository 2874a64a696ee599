package org.letterlock.mail.robustness;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A next hop that takes every message and keeps the MAIL command and the data exactly as they came, with or without
 * 8BITMIME in its EHLO reply: a hop such as RFC 6152 describes, where Postfix offers 8BITMIME always (and takes 8-bit
 * data without it), so it cannot show what the gateway sends a hop that does not.
 */
final class RecordingHop implements AutoCloseable {
    /** One message as the hop received it: the MAIL command line and the data, dot-stuffing and all, without the final dot line. */
    record Received(String mailCommand, byte[] data) {
    }

    private final ServerSocket listener;
    private final Thread thread;
    private final boolean eightBitMime;
    final List<Received> received = new CopyOnWriteArrayList<>();

    /** DATA transfers answered 451 (and not recorded) before the hop takes any. */
    private final java.util.concurrent.atomic.AtomicInteger refusals;

    RecordingHop(boolean eightBitMime) throws IOException {
        this(eightBitMime, 0);
    }

    /** Data transfers the hop takes in whole and then hangs up on without answering the final dot. */
    private final java.util.concurrent.atomic.AtomicInteger silentHangUps;

    RecordingHop(boolean eightBitMime, int refuseFirst) throws IOException {
        this(eightBitMime, refuseFirst, 0);
    }

    /**
     * With {@code hangUpAfterDotOf} &gt; 0, the data transfer of that number (counting from 1) is recorded and then
     * the connection closed with no answer to the final dot: the hop has the message, the sender cannot know.
     */
    RecordingHop(boolean eightBitMime, int refuseFirst, int hangUpAfterDotOf) throws IOException {
        this.eightBitMime = eightBitMime;
        this.refusals = new java.util.concurrent.atomic.AtomicInteger(refuseFirst);
        this.silentHangUps = new java.util.concurrent.atomic.AtomicInteger(hangUpAfterDotOf);
        listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "recording-hop");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** A thread per connection, as an MTA serves them: attempts made at once by several workers overlap here, and each is recorded. */
    private void serve() {
        while (!listener.isClosed()) {
            Socket connection;
            try {
                connection = listener.accept();
            } catch (IOException closed) {
                return;
            }
            Thread session = new Thread(() -> {
                try (connection) {
                    converse(new BufferedInputStream(connection.getInputStream()), connection.getOutputStream());
                } catch (IOException gone) {
                    // The gateway went away.
                }
            }, "recording-hop-session");
            session.setDaemon(true);
            session.start();
        }
    }

    private void converse(InputStream in, OutputStream out) throws IOException {
        reply(out, "220 recording.test ESMTP");
        String mail = "";
        for (byte[] line; (line = line(in)) != null; ) {
            String command = new String(line, StandardCharsets.ISO_8859_1).strip();
            String verb = command.length() < 4 ? command : command.substring(0, 4).toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> reply(out, eightBitMime ? "250-recording.test\r\n250 8BITMIME" : "250 recording.test");
                case "MAIL" -> {
                    mail = command;
                    reply(out, "250 ok");
                }
                case "DATA" -> {
                    reply(out, "354 go ahead");
                    ByteArrayOutputStream data = new ByteArrayOutputStream();
                    for (byte[] dataLine; (dataLine = line(in)) != null && !new String(dataLine, StandardCharsets.ISO_8859_1).equals(".\r\n"); ) {
                        data.writeBytes(dataLine);
                    }
                    if (refusals.getAndDecrement() > 0) {
                        reply(out, "451 4.3.0 try again later");
                    } else {
                        received.add(new Received(mail, data.toByteArray()));
                        if (silentHangUps.decrementAndGet() == 0) {
                            return;
                        }
                        reply(out, "250 2.0.0 ok");
                    }
                }
                case "QUIT" -> {
                    reply(out, "221 bye");
                    return;
                }
                default -> reply(out, "250 ok");
            }
        }
    }

    /** One line with its line end, or null at the end of the stream. */
    private static byte[] line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            line.write(b);
            if (b == '\n') {
                return line.toByteArray();
            }
        }
        return null;
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
