package org.letterlock.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * An SMTP sink in the benchmark's JVM, on 127.0.0.1: takes every message (no STARTTLS, no limits), answers 250, and
 * records each arrival: the envelope sender, the Message-ID and Content-Type of its outer header, its size and when
 * its final dot came. Unlike Postfix's smtp-sink it tells the messages apart, so lost and duplicated messages can be
 * counted by Message-ID; messages whose id matches a predicate are kept in a folder whole (for the S/MIME check).
 * Each connection has a thread of its own.
 */
final class SmtpSink implements AutoCloseable {

    /**
     * One message as it arrived.
     *
     * @param messageId    the outer Message-ID without angle brackets (null when the header has none)
     * @param envelopeFrom the MAIL FROM address
     * @param contentType  the outer Content-Type (null when none)
     * @param bytes        the message's size as received (after un-stuffing dots, CRLF line ends)
     * @param started      {@link System#nanoTime()} when the DATA command came
     * @param nanos        {@link System#nanoTime()} when the final dot was read
     * @param saved        where the message was kept, or null
     * @param fields       the outer header's fields, names in lower case (first occurrence of each)
     */
    record Arrival(String messageId, String envelopeFrom, String contentType, long bytes, long started, long nanos, Path saved, Map<String, String> fields) {

        /**
         * The id the benchmark counts by: the outer Message-ID when it is one of the benchmark's, else the envelope
         * sender when that is (the load client makes both the same), else whichever there is.
         */
        String id() {
            if (Smtp.parseMessageId(messageId) != null) {
                return messageId;
            }
            if (Smtp.parseMessageId(envelopeFrom) != null) {
                return envelopeFrom;
            }
            return messageId != null ? messageId : envelopeFrom;
        }

        /** An S/MIME enveloped (encrypted) message: application/pkcs7-mime (or the x- form) that is not a signed-data. */
        boolean encrypted() {
            return encrypted(contentType);
        }

        static boolean encrypted(String contentType) {
            if (contentType == null) {
                return false;
            }
            String lower = contentType.toLowerCase(java.util.Locale.ROOT);
            return (lower.startsWith("application/pkcs7-mime") || lower.startsWith("application/x-pkcs7-mime"))
                    && !lower.contains("signed-data") && !lower.contains("certs-only");
        }
    }

    /** What the sink does with a message: whether to keep it whole, and how fast to read it (bytes/s, 0: as fast as it comes). */
    record Settings(Path keepDir, Predicate<String> keep, long readBytesPerSecond) {
        static Settings countOnly() {
            return new Settings(null, id -> false, 0);
        }
    }

    private final ServerSocket server;
    private final Settings settings;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "smtp-sink");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<Arrival> arrivals = new ArrayList<>();
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong queued = new AtomicLong();
    private volatile boolean closed;
    private volatile java.util.function.Consumer<Arrival> listener = arrival -> { };

    private SmtpSink(ServerSocket server, Settings settings) {
        this.server = server;
        this.settings = settings;
    }

    /** Listens on 127.0.0.1:{@code port} and accepts connections until closed. */
    static SmtpSink start(int port, Settings settings) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        if (settings.keepDir() != null) {
            Files.createDirectories(settings.keepDir());
        }
        SmtpSink sink = new SmtpSink(server, settings);
        Thread acceptor = new Thread(sink::accept, "smtp-sink-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return sink;
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                open.add(socket);
                sessions.incrementAndGet();
                threads.execute(() -> {
                    try (socket) {
                        InputStream in = socket.getInputStream();
                        if (settings.readBytesPerSecond() > 0) {
                            in = new Throttled.Input(in, settings.readBytesPerSecond());
                        }
                        session(in, socket.getOutputStream(), this::arrived, settings, queued);
                    } catch (IOException e) {
                        // the client went away: nothing to record
                    } finally {
                        open.remove(socket);
                    }
                });
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    /** Also hands each arrival to {@code listener}, on the connection's thread, before the message's 250. */
    void onArrival(java.util.function.Consumer<Arrival> listener) {
        this.listener = listener;
    }

    private void arrived(Arrival arrival) {
        listener.accept(arrival);
        synchronized (arrivals) {
            arrivals.add(arrival);
            arrivals.notifyAll();
        }
    }

    /** Every arrival so far, in order. */
    List<Arrival> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    int count() {
        synchronized (arrivals) {
            return arrivals.size();
        }
    }

    long sessions() {
        return sessions.get();
    }

    /**
     * Waits until {@code done} holds for the arrivals, or no message has arrived for {@code stall}, or {@code limit}
     * has passed; returns whether {@code done} holds.
     */
    boolean await(Predicate<List<Arrival>> done, java.time.Duration stall, java.time.Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (arrivals) {
            long lastChange = System.nanoTime();
            int lastCount = arrivals.size();
            while (!done.test(arrivals)) {
                long now = System.nanoTime();
                if (arrivals.size() != lastCount) {
                    lastCount = arrivals.size();
                    lastChange = now;
                }
                if (now - lastChange > stall.toNanos() || now > deadline) {
                    return false;
                }
                arrivals.wait(100);
            }
            return true;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }

    /**
     * One SMTP session on the given streams, until QUIT or the end of the input: ESMTP with PIPELINING and 8BITMIME, no
     * STARTTLS, every sender and recipient accepted, each message recorded through {@code arrived} before its 250.
     */
    static void session(InputStream input, OutputStream output, java.util.function.Consumer<Arrival> arrived, Settings settings, AtomicLong queued)
            throws IOException {
        Smtp.Lines in = new Smtp.Lines(input);
        OutputStream out = new BufferedOutputStream(output, 8192);
        reply(out, in, "220 sink.test ESMTP letterlock bench sink");
        String from = null;
        int recipients = 0;
        while (true) {
            String line = in.readLine();
            if (line == null) {
                return;
            }
            String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(java.util.Locale.ROOT);
            switch (verb) {
                case "EHLO" -> {
                    from = null;
                    recipients = 0;
                    reply(out, in, "250-sink.test\r\n250-PIPELINING\r\n250-SIZE 0\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES");
                }
                case "HELO" -> {
                    from = null;
                    recipients = 0;
                    reply(out, in, "250 sink.test");
                }
                case "MAIL" -> {
                    from = Smtp.pathArgument(line);
                    recipients = 0;
                    reply(out, in, "250 2.1.0 Ok");
                }
                case "RCPT" -> {
                    if (from == null) {
                        reply(out, in, "503 5.5.1 Error: need MAIL command");
                    } else {
                        recipients++;
                        reply(out, in, "250 2.1.5 Ok");
                    }
                }
                case "DATA" -> {
                    if (recipients == 0) {
                        reply(out, in, "503 5.5.1 Error: need RCPT command");
                        continue;
                    }
                    long started = System.nanoTime();
                    reply(out, in, "354 End data with <CR><LF>.<CR><LF>");
                    out.flush();
                    Arrival arrival = readData(in, from, settings, started);
                    if (arrival == null) {
                        return; // the connection closed before the final dot
                    }
                    arrived.accept(arrival);
                    reply(out, in, "250 2.0.0 Ok: queued as " + queued.incrementAndGet());
                    from = null;
                    recipients = 0;
                }
                case "RSET" -> {
                    from = null;
                    recipients = 0;
                    reply(out, in, "250 2.0.0 Ok");
                }
                case "NOOP" -> reply(out, in, "250 2.0.0 Ok");
                case "QUIT" -> {
                    reply(out, in, "221 2.0.0 Bye");
                    out.flush();
                    return;
                }
                default -> reply(out, in, line.toUpperCase(java.util.Locale.ROOT).startsWith("STARTTLS") ? "454 4.7.0 TLS not available"
                        : "502 5.5.2 Error: command not recognized");
            }
        }
    }

    /** Reads a message up to its final dot, un-stuffing dots; null when the connection ends first. */
    private static Arrival readData(Smtp.Lines in, String from, Settings settings, long started) throws IOException {
        List<String> header = new ArrayList<>();
        boolean inHeader = true;
        long bytes = 0;
        OutputStream kept = null;
        Path keptPath = null;
        List<String> pendingHeader = null;
        try {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    return null;
                }
                if (line.equals(".")) {
                    break;
                }
                if (line.startsWith(".")) {
                    line = line.substring(1);
                }
                bytes += line.length() + 2;
                if (inHeader) {
                    if (line.isEmpty()) {
                        inHeader = false;
                        Map<String, String> fields = Smtp.headerFields(header);
                        String messageId = bare(fields.get("message-id"));
                        if (settings.keepDir() != null && settings.keep().test(messageId != null ? messageId : from)) {
                            keptPath = Files.createTempFile(settings.keepDir(), "message-", ".eml");
                            kept = new BufferedOutputStream(Files.newOutputStream(keptPath), 64 * 1024);
                            for (String h : header) {
                                kept.write(h.getBytes(StandardCharsets.ISO_8859_1));
                                kept.write(Smtp.CRLF);
                            }
                            kept.write(Smtp.CRLF);
                        }
                        pendingHeader = header;
                    } else {
                        header.add(line);
                    }
                } else if (kept != null) {
                    kept.write(line.getBytes(StandardCharsets.ISO_8859_1));
                    kept.write(Smtp.CRLF);
                }
            }
        } finally {
            if (kept != null) {
                kept.close();
            }
        }
        long nanos = System.nanoTime();
        Map<String, String> fields = Smtp.headerFields(pendingHeader != null ? pendingHeader : header);
        return new Arrival(bare(fields.get("message-id")), from, fields.get("content-type"), bytes, started, nanos, keptPath, fields);
    }

    static String bare(String messageId) {
        if (messageId == null) {
            return null;
        }
        String id = messageId.strip();
        if (id.startsWith("<") && id.endsWith(">")) {
            id = id.substring(1, id.length() - 1);
        }
        return id;
    }

    /** Writes a reply; flushes only when no pipelined command is already waiting, so a batch of commands gets one write. */
    private static void reply(OutputStream out, Smtp.Lines in, String text) throws IOException {
        out.write(text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(Smtp.CRLF);
        if (!in.ready()) {
            out.flush();
        }
    }

    /** How many times each id arrived. */
    static Map<String, Integer> counts(List<Arrival> arrivals) {
        Map<String, Integer> counts = new HashMap<>();
        for (Arrival arrival : arrivals) {
            counts.merge(arrival.id(), 1, Integer::sum);
        }
        return counts;
    }
}
