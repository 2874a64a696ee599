package org.letterlock.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An SMTP load client that knows which of its messages were acknowledged: {@code messages} messages, each with a
 * unique Message-ID and envelope sender ({@link Smtp#messageId}), sent over {@code sessions} connections (each reused
 * for message after message, one transaction at a time, no pipelining, like smtp-source -d). Every 250 after the final
 * dot is written to its log with the message's id, so "acknowledged" is what the client saw, not what the server says.
 * A message whose transaction failed with a 4xx or a broken connection is sent again (over a new connection, after a
 * short pause) until it gets a final answer or the time limit passes; a 5xx is final. A transaction cut after the final
 * dot was sent but before its reply came is counted: the server may have kept that message, and sending it again may
 * make a duplicate.
 */
final class SmtpLoad {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(120);
    static final Duration RETRY_PAUSE = Duration.ofMillis(250);

    /**
     * @param run                 the run's tag in every Message-ID (letters, digits, dashes)
     * @param messages            how many distinct messages
     * @param sessions            concurrent connections
     * @param bodyBytes           body length of each message (the header comes on top, as with smtp-source -l)
     * @param recipient           the one RCPT TO
     * @param writeBytesPerSecond a cap on each connection's sending rate, 0 for none
     * @param limit               how long to keep trying before giving up on the unacknowledged messages
     * @param log                 the client's log: one line per final answer and per cut transaction
     */
    record Settings(String run, int messages, int sessions, long bodyBytes, String recipient, long writeBytesPerSecond, Duration limit, Path log) {
    }

    /**
     * What the client did.
     *
     * @param acked        messages that got a 250 after their final dot (each counted once)
     * @param ackedIds     their ids
     * @param rejected     messages that got a 5xx (final)
     * @param unsettled    messages that had neither when the time limit came
     * @param attempts     transactions started
     * @param cut          transactions whose connection broke after the final dot was sent and before its reply
     * @param broken       connections that failed or broke (connect included)
     * @param transients   4xx replies
     * @param firstProblem the first failure, as seen
     * @param seconds      from the first connection to the last final answer
     */
    record Result(int messages, long acked, Set<String> ackedIds, long rejected, long unsettled, long attempts, long cut, long broken, long transients,
                  String firstProblem, double seconds) {
        double ackedPerSecond() {
            return seconds == 0 ? 0 : acked / seconds;
        }
    }

    private final String host;
    private final int port;
    private final Settings settings;
    private final AtomicInteger next = new AtomicInteger();
    private final ConcurrentLinkedQueue<Integer> retry = new ConcurrentLinkedQueue<>();
    /** Per message: nanoTime of its 250, 0 while none; -1 for a 5xx. */
    private final AtomicLongArray settledAt;
    private final AtomicLong settled = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private final AtomicLong broken = new AtomicLong();
    private final AtomicLong transients = new AtomicLong();
    private final AtomicLong lastSettled = new AtomicLong();
    private final AtomicReference<String> firstProblem = new AtomicReference<>("");
    private final byte[] body;
    private BufferedWriter log;

    SmtpLoad(String host, int port, Settings settings) {
        this.host = host;
        this.port = port;
        this.settings = settings;
        this.settledAt = new AtomicLongArray(settings.messages());
        // Bodies up to a few MB are written from memory; larger ones are generated as they are sent.
        this.body = settings.bodyBytes() <= 4 * 1024 * 1024 ? Smtp.body((int) settings.bodyBytes()) : null;
    }

    /** Messages acknowledged so far (for a monitor that acts mid-run). */
    long acked() {
        return acked.get();
    }

    String id(int index) {
        return Smtp.messageId(settings.run(), index);
    }

    /** Sends every message, retrying as described, and returns when all have a final answer or the time limit has passed. */
    Result run() throws IOException, InterruptedException {
        Files.createDirectories(settings.log().getParent());
        long started = System.nanoTime();
        long deadline = started + settings.limit().toNanos();
        lastSettled.set(started);
        try (BufferedWriter writer = Files.newBufferedWriter(settings.log(), StandardCharsets.UTF_8)) {
            log = writer;
            List<Thread> workers = new ArrayList<>();
            for (int s = 0; s < settings.sessions(); s++) {
                Thread worker = new Thread(() -> work(started, deadline), "smtp-load-" + s);
                worker.setDaemon(true);
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            synchronized (this) {
                writer.flush();
            }
        }
        Set<String> ackedIds = new HashSet<>();
        for (int i = 0; i < settings.messages(); i++) {
            if (settledAt.get(i) > 0) {
                ackedIds.add(id(i));
            }
        }
        long unsettled = settings.messages() - settled.get();
        return new Result(settings.messages(), acked.get(), Set.copyOf(ackedIds), rejected.get(), unsettled, attempts.get(), cut.get(), broken.get(),
                transients.get(), firstProblem.get(), (lastSettled.get() - started) / 1e9);
    }

    private void work(long started, long deadline) {
        Connection connection = null;
        try {
            while (System.nanoTime() < deadline) {
                Integer index = retry.poll();
                if (index == null) {
                    int candidate = next.getAndIncrement();
                    if (candidate < settings.messages()) {
                        index = candidate;
                    } else {
                        next.set(settings.messages());
                    }
                }
                if (index == null) {
                    if (settled.get() >= settings.messages()) {
                        return;
                    }
                    Thread.sleep(20);
                    continue;
                }
                attempts.incrementAndGet();
                try {
                    if (connection == null) {
                        connection = new Connection(host, port, settings.writeBytesPerSecond());
                    }
                    Smtp.Reply reply = connection.send(id(index), settings.recipient(), index);
                    long now = System.nanoTime();
                    if (reply.code() == 250) {
                        settle(index, now, started, "250", reply);
                        acked.incrementAndGet();
                    } else if (reply.transientFailure()) {
                        transients.incrementAndGet();
                        problem(id(index) + ": " + reply.text());
                        retry.add(index);
                        if (!connection.reset()) {
                            connection = null;
                        }
                        Thread.sleep(RETRY_PAUSE.toMillis());
                    } else {
                        settle(index, -1, started, "5xx", reply);
                        rejected.incrementAndGet();
                        problem(id(index) + ": " + reply.text());
                        if (!connection.reset()) {
                            connection = null;
                        }
                    }
                } catch (IOException e) {
                    broken.incrementAndGet();
                    if (connection != null && connection.dotSent) {
                        cut.incrementAndGet();
                        write("cut\t" + id(index) + "\t" + millis(started) + "\t" + e.getMessage());
                    }
                    problem(id(index) + ": " + e.getMessage());
                    if (connection != null) {
                        connection.close();
                        connection = null;
                    }
                    retry.add(index);
                    Thread.sleep(RETRY_PAUSE.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (connection != null) {
                connection.quit();
            }
        }
    }

    private void settle(int index, long at, long started, String kind, Smtp.Reply reply) {
        if (settledAt.compareAndSet(index, 0, at)) {
            settled.incrementAndGet();
            lastSettled.accumulateAndGet(System.nanoTime(), Math::max);
            write(kind + "\t" + id(index) + "\t" + millis(started) + "\t" + reply.text());
        }
    }

    private static String millis(long started) {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e6);
    }

    private void problem(String text) {
        firstProblem.compareAndSet("", text);
    }

    private synchronized void write(String line) {
        try {
            log.write(line);
            log.newLine();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One client connection: greeting and EHLO when opened, then one transaction after another. */
    private final class Connection {
        private final Socket socket;
        private final Smtp.Lines in;
        private final OutputStream out;
        boolean dotSent;

        Connection(String host, int port, long writeBytesPerSecond) throws IOException {
            socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
                socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
                socket.setTcpNoDelay(true);
                in = new Smtp.Lines(socket.getInputStream());
                OutputStream raw = socket.getOutputStream();
                out = new BufferedOutputStream(writeBytesPerSecond > 0 ? new Throttled.Output(raw, writeBytesPerSecond) : raw, 64 * 1024);
                expect(Smtp.Reply.read(in), 220, "greeting");
                command("EHLO client." + Smtp.DOMAIN);
                expect(Smtp.Reply.read(in), 250, "EHLO");
            } catch (IOException e) {
                close();
                throw e;
            }
        }

        /** One transaction; a reply other than the expected one at MAIL, RCPT or DATA is returned as the answer. */
        Smtp.Reply send(String id, String recipient, int index) throws IOException {
            dotSent = false;
            command("MAIL FROM:<" + id + ">");
            Smtp.Reply reply = Smtp.Reply.read(in);
            if (reply.code() != 250) {
                return reply;
            }
            command("RCPT TO:<" + recipient + ">");
            reply = Smtp.Reply.read(in);
            if (reply.code() != 250 && reply.code() != 251) {
                return reply;
            }
            command("DATA");
            reply = Smtp.Reply.read(in);
            if (reply.code() != 354) {
                return reply;
            }
            out.write(Smtp.header(id, id, recipient, ZonedDateTime.now()));
            if (body != null) {
                out.write(body);
            } else {
                Smtp.writeBody(out, settings.bodyBytes());
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            dotSent = true;
            return Smtp.Reply.read(in);
        }

        /** RSET after a refused step; false (and closed) when the connection is no longer usable. */
        boolean reset() {
            try {
                command("RSET");
                if (Smtp.Reply.read(in).code() == 250) {
                    return true;
                }
                close();
                return false;
            } catch (IOException e) {
                close();
                return false;
            }
        }

        private void command(String line) throws IOException {
            out.write(line.getBytes(StandardCharsets.US_ASCII));
            out.write(Smtp.CRLF);
            out.flush();
        }

        private void expect(Smtp.Reply reply, int code, String stage) throws IOException {
            if (reply.code() != code) {
                throw new IOException(stage + " answered " + reply.text());
            }
        }

        void quit() {
            try {
                command("QUIT");
                Smtp.Reply.read(in);
            } catch (IOException e) {
                // closing anyway
            }
            close();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
