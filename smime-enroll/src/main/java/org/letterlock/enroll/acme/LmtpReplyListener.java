package org.letterlock.enroll.acme;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LMTP (RFC 2033) for replies to ACME challenge mails, for an organisation whose MTA hands mail to local services
 * over LMTP (Postfix's {@code lmtp} transport; Exim's {@code smtp} transport with {@code protocol = lmtp}). As over SMTP, one recipient (the
 * challenge address) per transaction, and the reply is judged while the MTA waits: the one status line LMTP sends per
 * recipient after DATA is the verdict, so a refusal goes back as a bounce and nothing is queued here. A failure that
 * is not the reply's fault (the database gone) is a 451, which the MTA retries. No TLS: bind it to loopback or a
 * private network.
 */
final class LmtpReplyListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LmtpReplyListener.class.getName());
    /** RFC 5321 4.5.3.1: a command line is at most 512 octets with its CRLF. */
    static final int MAX_COMMAND_LINE = 512;
    /** After this many syntax or sequence errors in one session it is closed: a client that is not speaking LMTP. */
    static final int MAX_ERRORS = 10;

    /**
     * How much one client may take.
     *
     * @param connections at once; more are greeted with 421
     * @param commands    in one session, after which it is closed with 421
     * @param idleMillis  silence after which a session is closed with 421
     * @param sessionMillis time after which a session is closed however it behaves, so a client that trickles bytes
     *                    cannot keep it
     */
    record Limits(int connections, int commands, int idleMillis, long sessionMillis) {
        /**
         * Above Postfix's default destination concurrency (20); an MTA sends a handful of commands per message and
         * answers at once (RFC 5321 4.5.3.2 asks servers for minutes of patience).
         */
        static final Limits DEFAULT = new Limits(32, 1_000, 60_000, 10 * 60_000);
    }
    private static final Pattern MAIL = Pattern.compile("(?i)MAIL FROM:\\s?<([^<>\\s]*)>((?: [^ ]+)*)");
    private static final Pattern RCPT = Pattern.compile("(?i)RCPT TO:\\s?<([^<>\\s]+)>((?: [^ ]+)*)");
    private static final Pattern SIZE = Pattern.compile("(?i)(?:^| )SIZE=(\\d{1,18})(?: |$)");

    /** Where the end-of-data reader stands: only CR LF . CR LF ends a message (RFC 5321 4.1.1.4), a bare LF is data. */
    private static final int LINE_START = 0;
    private static final int IN_LINE = 1;
    private static final int CR = 2;
    private static final int DOT = 3;
    private static final int DOT_CR = 4;

    /** @param tooLong the line was longer than a command may be, and {@code text} is its start */
    private record CommandLine(String text, boolean tooLong) {
    }

    private record Message(byte[] bytes, boolean tooLarge) {
    }

    /** A message's bytes up to the size a reply may have; past it, only that it was too large. */
    private static final class BoundedBytes {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
        private boolean tooLarge;

        void write(int b) {
            if (tooLarge) {
                return;
            }
            if (bytes.size() >= ReplyIntake.MAX_MESSAGE_BYTES) {
                tooLarge = true;
                bytes.reset();
                return;
            }
            bytes.write(b);
        }

        Message done() {
            return new Message(bytes.toByteArray(), tooLarge);
        }
    }

    private final ServerSocket server;
    private final ReplyIntake intake;
    private final String hostName;
    private final Limits limits;
    private final ExecutorService sessions;
    private final ScheduledExecutorService deadlines;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean running = true;

    private LmtpReplyListener(ServerSocket server, ReplyIntake intake, String hostName, Limits limits) {
        this.server = server;
        this.intake = intake;
        this.hostName = hostName;
        this.limits = limits;
        AtomicInteger count = new AtomicInteger();
        this.sessions = new ThreadPoolExecutor(0, limits.connections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "letterlock-acme-lmtp-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "letterlock-acme-lmtp-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        // A session that ends in time takes its closer out of the queue rather than leave it there for the whole deadline.
        deadlines.setRemoveOnCancelPolicy(true);
        this.deadlines = deadlines;
        this.acceptor = new Thread(this::acceptLoop, "letterlock-acme-lmtp");
        this.acceptor.setDaemon(true);
    }

    static LmtpReplyListener start(InetSocketAddress address, ReplyIntake intake, String hostName) throws IOException {
        return start(address, intake, hostName, Limits.DEFAULT);
    }

    static LmtpReplyListener start(InetSocketAddress address, ReplyIntake intake, String hostName, Limits limits) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(address, 64);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        LmtpReplyListener listener = new LmtpReplyListener(server, intake, hostName, limits);
        listener.acceptor.start();
        return listener;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Stops accepting, closes every session (a reply being judged finishes first) and waits a little for them. */
    @Override
    public void close() {
        running = false;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the LMTP socket", e);
        }
        sessions.shutdown();
        open.forEach(LmtpReplyListener::closeQuietly);
        try {
            if (!sessions.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warning("ACME LMTP sessions still running 5 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadlines.shutdownNow();
    }

    private void acceptLoop() {
        long backoffMillis = 0;
        while (running) {
            Socket socket;
            try {
                socket = server.accept();
                backoffMillis = 0;
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                // A persistent failure (no file descriptors left) must not spin a core or flood the log.
                backoffMillis = Math.min(1_000, Math.max(100, backoffMillis * 2));
                LOG.log(Level.WARNING, "the ACME LMTP receiver could not accept a connection; trying again in " + backoffMillis + " ms", e);
                sleep(backoffMillis);
                continue;
            }
            try {
                sessions.execute(() -> serve(socket));
            } catch (RejectedExecutionException e) {
                refuseBusy(socket);
            } catch (RuntimeException | Error e) {
                LOG.log(Level.SEVERE, "the ACME LMTP receiver could not start a session", e);
                closeQuietly(socket);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing an LMTP connection", e);
        }
    }

    private void refuseBusy(Socket socket) {
        try (socket) {
            OutputStream out = socket.getOutputStream();
            out.write(("421 4.3.2 " + hostName + " too many connections; try again later\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            LOG.log(Level.FINE, "refusing an LMTP connection", e);
        }
    }

    private void serve(Socket socket) {
        open.add(socket);
        ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(socket), limits.sessionMillis(), TimeUnit.MILLISECONDS);
        OutputStream out = null;
        // Closed in finally, not by try-with-resources: that would close it before the idle answer below is written.
        try {
            if (!running) {
                return;
            }
            socket.setSoTimeout(limits.idleMillis());
            out = new BufferedOutputStream(socket.getOutputStream());
            new Session(new BufferedInputStream(socket.getInputStream()), out, socket.getRemoteSocketAddress()).run();
        } catch (SocketTimeoutException e) {
            sayQuietly(out, "421 4.4.2 " + hostName + " idle too long; closing");
        } catch (SocketException e) {
            LOG.log(Level.FINE, "an LMTP connection broke or was closed", e);
        } catch (IOException | RuntimeException | Error e) {
            LOG.log(Level.WARNING, "an ACME LMTP session failed", e);
        } finally {
            deadline.cancel(false);
            open.remove(socket);
            closeQuietly(socket);
        }
    }

    private static void sayQuietly(OutputStream out, String line) {
        if (out == null) {
            return;
        }
        try {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            LOG.log(Level.FINE, "saying goodbye to an LMTP client", e);
        }
    }

    /** One connection: LHLO, then transactions of MAIL, one RCPT and DATA. */
    private final class Session {
        private final InputStream in;
        private final OutputStream out;
        private final java.net.SocketAddress peer;
        private boolean greeted;
        private boolean mail;
        private boolean recipient;
        private int errors;
        private int commands;

        Session(InputStream in, OutputStream out, java.net.SocketAddress peer) {
            this.in = in;
            this.out = out;
            this.peer = peer;
        }

        void run() throws IOException {
            reply("220 " + hostName + " LMTP Letterlock ACME replies");
            while (true) {
                CommandLine line = readCommand();
                if (line == null) {
                    return;
                }
                if (line.tooLong()) {
                    if (refused("500 5.5.2 line too long (at most " + MAX_COMMAND_LINE + " octets)")) {
                        return;
                    }
                    continue;
                }
                if (++commands > limits.commands()) {
                    reply("421 4.7.0 " + hostName + " too many commands in one session; closing");
                    return;
                }
                String command = line.text();
                String verb = (command.contains(" ") ? command.substring(0, command.indexOf(' ')) : command).toUpperCase(Locale.ROOT);
                boolean closeNow = switch (verb) {
                    case "LHLO" -> lhlo(command);
                    case "MAIL" -> mail(command);
                    case "RCPT" -> rcpt(command);
                    case "DATA" -> data(command);
                    case "RSET" -> {
                        resetTransaction();
                        yield ok("250 2.0.0 reset");
                    }
                    case "NOOP" -> ok("250 2.0.0 OK");
                    case "QUIT" -> {
                        reply("221 2.0.0 " + hostName + " closing");
                        yield true;
                    }
                    case "HELO", "EHLO" -> refused("500 5.5.1 this is LMTP (RFC 2033): greet with LHLO");
                    case "VRFY" -> ok("252 2.5.2 cannot verify; send the reply and see");
                    case "STARTTLS" -> refused("502 5.5.1 no TLS on the LMTP receiver: use it on loopback or a private network");
                    default -> refused("500 5.5.2 unknown command");
                };
                if (closeNow) {
                    return;
                }
            }
        }

        private boolean lhlo(String command) throws IOException {
            if (command.trim().length() <= "LHLO".length()) {
                return refused("501 5.5.4 LHLO needs the client's name");
            }
            greeted = true;
            resetTransaction();
            reply("250-" + hostName + "\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE " + ReplyIntake.MAX_MESSAGE_BYTES);
            return false;
        }

        private boolean mail(String command) throws IOException {
            if (!greeted) {
                return refused("503 5.5.1 LHLO first");
            }
            if (mail) {
                return refused("503 5.5.1 a transaction is open: RSET first");
            }
            Matcher matcher = MAIL.matcher(command);
            if (!matcher.matches()) {
                return refused("501 5.5.4 MAIL FROM:<address> [SIZE=n] expected");
            }
            Matcher size = SIZE.matcher(matcher.group(2));
            if (size.find() && Long.parseLong(size.group(1)) > ReplyIntake.MAX_MESSAGE_BYTES) {
                return ok("552 " + ReplyIntake.TOO_LARGE);
            }
            // The envelope sender says nothing about the mailbox: the From header is judged, authenticated.
            mail = true;
            return ok("250 2.1.0 OK");
        }

        private boolean rcpt(String command) throws IOException {
            if (!mail) {
                return refused("503 5.5.1 MAIL first");
            }
            Matcher matcher = RCPT.matcher(command);
            if (!matcher.matches()) {
                return refused("501 5.5.4 RCPT TO:<address> expected");
            }
            if (recipient) {
                return ok("452 4.5.3 one recipient per transaction: send the rest in another");
            }
            Optional<String> refusal = intake.refusal(matcher.group(1));
            if (refusal.isPresent()) {
                return ok("550 " + refusal.get());
            }
            recipient = true;
            return ok("250 2.1.5 OK");
        }

        private boolean data(String command) throws IOException {
            if (!command.trim().equalsIgnoreCase("DATA")) {
                return refused("501 5.5.4 DATA takes no parameters");
            }
            if (!recipient) {
                // RFC 2033 4.2: with no recipient accepted, DATA is refused outright.
                return refused("503 5.5.1 no valid recipients");
            }
            reply("354 send the reply, end with <CRLF>.<CRLF>");
            Message message = readMessage();
            if (message == null) {
                return true;
            }
            resetTransaction();
            if (message.tooLarge()) {
                return ok("552 " + ReplyIntake.TOO_LARGE);
            }
            ReplyIntake.Verdict verdict = intake.judge(message.bytes(), "lmtp", peer);
            return ok(verdict.code() + " " + verdict.text());
        }

        private void resetTransaction() {
            mail = false;
            recipient = false;
        }

        /** The next command line without its line end; null at the end of the stream. */
        private CommandLine readCommand() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            boolean tooLong = false;
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new CommandLine(new String(bytes, 0, length, StandardCharsets.ISO_8859_1), tooLong);
                }
                // The CR is one of the 512 octets, the LF the one that ends the line.
                if (line.size() >= MAX_COMMAND_LINE - 1) {
                    tooLong = true;
                } else {
                    line.write(b);
                }
            }
            return null;
        }

        /**
         * The message up to the line holding a lone dot, with dot-stuffing undone (RFC 5321 4.5.2). One larger than a
         * reply may be is read to its end all the same, so the session stays in step, and kept no further. Null at the
         * end of the stream.
         */
        private Message readMessage() throws IOException {
            BoundedBytes message = new BoundedBytes();
            int state = LINE_START;
            int b;
            while ((b = in.read()) != -1) {
                switch (state) {
                    case LINE_START -> {
                        if (b == '.') {
                            state = DOT;
                            continue;
                        }
                    }
                    case DOT -> {
                        if (b == '\r') {
                            state = DOT_CR;
                            continue;
                        }
                        // The dot was stuffing: dropped, and this byte is the line's first.
                    }
                    case DOT_CR -> {
                        if (b == '\n') {
                            return message.done();
                        }
                        // ".\r" and more: the dot was stuffing, the CR is data, and this byte follows it.
                        message.write('\r');
                    }
                    default -> {
                    }
                }
                message.write(b);
                state = b == '\r' ? CR : state == CR && b == '\n' ? LINE_START : IN_LINE;
            }
            return null;
        }

        /** Sends an answer that is not the client's error (a reply, a refused recipient or size); the session goes on. */
        private boolean ok(String text) throws IOException {
            reply(text);
            return false;
        }

        /** Sends a syntax or sequence error; true (close) once the client has made too many. */
        private boolean refused(String text) throws IOException {
            errors++;
            if (errors > MAX_ERRORS) {
                reply("421 4.7.0 " + hostName + " too many errors; closing");
                return true;
            }
            reply(text);
            return false;
        }

        private void reply(String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }
}
