package org.letterlock.ca.web;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.OcspResponder;

/**
 * OCSP on a port of its own (decision 012): a small HTTP/1.1 server on NIO that answers on its network threads what
 * needs no waiting (cached responses, from bytes prepared once per response and second; nonce answers whose statuses
 * are in memory, signed there while the responder key's lease has room), and hands the requests that must be looked up
 * or wait for a lease to a pool of signing threads. Only {@code GET /ocsp/<request>} and {@code POST /ocsp}; any
 * other request gets a 4xx with a one-line reason. Keep-alive and pipelining as HTTP/1.1 asks; a request must arrive
 * within {@link #REQUEST_MILLIS} (else 408), an idle connection is closed after {@link #IDLE_MILLIS}. One client
 * address holds at most {@link #MAX_PER_PEER} of the {@link #MAX_CONNECTIONS} connections.
 */
public final class OcspListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OcspListener.class.getName());
    static final int MAX_HEAD = 8 * 1024;
    static final int MAX_CONNECTIONS = 4096;
    /** A mail gateway or a NAT of many clients keeps some dozens open; one address must not take every connection. */
    static final int MAX_PER_PEER = 256;
    static final long REQUEST_MILLIS = 10_000;
    static final long IDLE_MILLIS = 60_000;
    private static final long SWEEP_MILLIS = 1000;
    /** Requests that wait for a signature at most; beyond it clients get tryLater at once instead of a growing queue. */
    private static final int MAX_WAITING = 1024;
    /** Room for a whole request: the longest head and the largest body. */
    private static final int MAX_BUFFER = MAX_HEAD + OcspResponder.MAX_REQUEST_BYTES;
    /** How long a refused or finished connection may take to send what it still had in flight before it is closed. */
    private static final long LINGER_MILLIS = 2000;
    /** How long accepting pauses after it failed (out of file descriptors, say), instead of spinning on a ready socket. */
    private static final long ACCEPT_PAUSE_MILLIS = 100;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final byte[] CONTINUE = ascii("HTTP/1.1 100 Continue\r\n\r\n");

    /** An answer as the connection writes it: the status line and fields (without Content-Length), and the body. */
    record Reply(byte[] head, byte[] body, boolean close) {
    }

    /**
     * The heads of cacheable answers prepared in one second (their Date and max-age count seconds), keyed by the
     * identity of the response's DER; replaced when the second changes, so it holds only what that second served.
     */
    private record HeadsOfSecond(long second, Map<byte[], byte[]> heads) {
    }

    private final ServerSocketChannel server;
    private final Supplier<OcspResponder> responder;
    private final Loop[] loops;
    private final ThreadPoolExecutor signers;
    private final AtomicInteger connections = new AtomicInteger();
    private final org.letterlock.platform.web.ClientConnections perPeer;
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final long requestMillis;
    private final long idleMillis;
    /** Whether nonce answers that need no waiting are signed on the network threads (respondNow), else in the pool. */
    private final boolean signOnNetworkThreads;
    private volatile HeadsOfSecond preparedHeads = new HeadsOfSecond(0, new ConcurrentHashMap<>());
    private SelectionKey acceptKey;
    private volatile boolean open = true;

    private OcspListener(ServerSocketChannel server, Supplier<OcspResponder> responder, int loopCount, boolean signOnNetworkThreads, long requestMillis,
            long idleMillis, int maxPerPeer) throws IOException {
        this.server = server;
        this.perPeer = new org.letterlock.platform.web.ClientConnections(maxPerPeer);
        this.signOnNetworkThreads = signOnNetworkThreads;
        this.responder = responder;
        this.requestMillis = requestMillis;
        this.idleMillis = idleMillis;
        AtomicInteger signerCount = new AtomicInteger();
        this.signers = new ThreadPoolExecutor(32, 32, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_WAITING), runnable -> {
            Thread thread = new Thread(runnable, "letterlock-ocsp-sign-" + signerCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.loops = new Loop[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new Loop(i);
        }
        server.configureBlocking(false);
        acceptKey = server.register(loops[0].selector, SelectionKey.OP_ACCEPT);
        for (Loop loop : loops) {
            loop.thread.start();
        }
    }

    /**
     * Binds and starts; {@code responder} is asked per request so a listener outlives nothing it serves. With
     * {@code signOnNetworkThreads} false, every answer that needs a signature is made on the signing threads.
     */
    public static OcspListener start(InetSocketAddress address, Supplier<OcspResponder> responder, boolean signOnNetworkThreads) throws IOException {
        return start(address, responder, signOnNetworkThreads, REQUEST_MILLIS, IDLE_MILLIS);
    }

    /** As above, with the time a request may take to arrive and an idle connection may stay open. */
    static OcspListener start(InetSocketAddress address, Supplier<OcspResponder> responder, boolean signOnNetworkThreads, long requestMillis, long idleMillis)
            throws IOException {
        return start(address, responder, signOnNetworkThreads, requestMillis, idleMillis, MAX_PER_PEER);
    }

    /** As above, with the connections one client address may hold. */
    static OcspListener start(InetSocketAddress address, Supplier<OcspResponder> responder, boolean signOnNetworkThreads, long requestMillis, long idleMillis,
            int maxPerPeer) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 1024);
            return new OcspListener(server, responder, Math.max(1, Runtime.getRuntime().availableProcessors()), signOnNetworkThreads, requestMillis, idleMillis,
                    maxPerPeer);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the OCSP listener's socket is closed", e);
        }
    }

    @Override
    public void close() {
        open = false;
        for (Loop loop : loops) {
            loop.selector.wakeup();
        }
        for (Loop loop : loops) {
            try {
                loop.thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the OCSP listener's socket", e);
        }
        signers.shutdownNow();
    }

    /** Routes one complete request: answered now when memory has the answer, else on a signing thread. */
    private CompletableFuture<Reply> handle(HttpRequestHead head, byte[] body) {
        if (!head.path().equals("/ocsp") && !head.path().startsWith("/ocsp/")) {
            return CompletableFuture.completedFuture(text(404, "Not Found", "OCSP is at GET /ocsp/<request> and POST /ocsp"));
        }
        byte[] der;
        boolean cacheable;
        switch (head.method()) {
            case "GET" -> {
                Optional<byte[]> request = OcspHttp.getRequest(head.path());
                if (request.isEmpty()) {
                    return CompletableFuture.completedFuture(answer(OcspResponder.malformed("not base64"), false));
                }
                der = request.get();
                cacheable = true;
            }
            case "POST" -> {
                if (!OcspHttp.isRequestType(head.contentType())) {
                    return CompletableFuture.completedFuture(text(415, "Unsupported Media Type", "send an OCSP request as Content-Type: " + OcspHttp.REQUEST_TYPE));
                }
                der = body;
                cacheable = false;
            }
            default -> {
                // A HEAD client reads no body: the connection closes after this one rather than be misread.
                return CompletableFuture.completedFuture(new Reply(head(405, "Method Not Allowed", "Content-Type: text/plain; charset=utf-8\r\nAllow: GET, POST\r\n"),
                        ascii("OCSP takes GET /ocsp/<request> and POST /ocsp\n"), head.method().equals("HEAD")));
            }
        }
        OcspResponder current = responder.get();
        Optional<OcspResponder.Answer> now = signOnNetworkThreads ? current.respondNow(der) : current.respondFromMemory(der);
        if (now.isPresent()) {
            return CompletableFuture.completedFuture(answer(now.get(), cacheable));
        }
        try {
            return CompletableFuture.supplyAsync(() -> answer(current.respond(der), cacheable), signers);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(answer(OcspResponder.tryLater("too many requests waiting to be signed"), false));
        }
    }

    private Reply answer(OcspResponder.Answer answer, boolean cacheable) {
        if (!cacheable || answer.nextUpdate().isEmpty()) {
            return new Reply(head(200, "OK", fields(OcspHttp.headers(answer, false))), answer.der(), false);
        }
        long second = System.currentTimeMillis() / 1000;
        HeadsOfSecond current = preparedHeads;
        if (current.second() != second) {
            current = new HeadsOfSecond(second, new ConcurrentHashMap<>());
            preparedHeads = current;
        }
        byte[] prepared = current.heads().computeIfAbsent(answer.der(), der -> head(200, "OK", fields(OcspHttp.headers(answer, true))));
        return new Reply(prepared, answer.der(), false);
    }

    private static Reply text(int status, String reason, String message) {
        return new Reply(head(status, reason, "Content-Type: text/plain; charset=utf-8\r\n"), ascii(message + "\n"), false);
    }

    private static String fields(Map<String, String> headers) {
        StringBuilder fields = new StringBuilder(256);
        headers.forEach((name, value) -> fields.append(name).append(": ").append(value).append("\r\n"));
        return fields.toString();
    }

    private static byte[] head(int status, String reason, String fields) {
        return ascii("HTTP/1.1 " + status + " " + reason + "\r\nDate: " + HTTP_DATE.format(Instant.now()) + "\r\n" + fields);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A network thread: its own selector, the connections given to it, and tasks other threads hand it. */
    private final class Loop implements Runnable {
        final Selector selector;
        final Thread thread;
        final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private long lastSweep = System.currentTimeMillis();
        private long acceptPausedUntil;

        Loop(int index) throws IOException {
            selector = Selector.open();
            thread = new Thread(this, "letterlock-ocsp-" + (index + 1));
            thread.setDaemon(true);
        }

        void execute(Runnable task) {
            tasks.add(task);
            selector.wakeup();
        }

        @Override
        public void run() {
            try {
                while (open) {
                    selector.select(acceptPausedUntil > 0 ? ACCEPT_PAUSE_MILLIS : Math.min(SWEEP_MILLIS, requestMillis / 2));
                    for (Runnable task; (task = tasks.poll()) != null; ) {
                        task.run();
                    }
                    var selected = selector.selectedKeys().iterator();
                    while (selected.hasNext()) {
                        SelectionKey key = selected.next();
                        selected.remove();
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isAcceptable()) {
                            accept();
                        } else if (key.attachment() instanceof Connection connection) {
                            connection.ready(key);
                        }
                    }
                    long now = System.currentTimeMillis();
                    if (acceptPausedUntil > 0 && now >= acceptPausedUntil) {
                        acceptPausedUntil = 0;
                        acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                    }
                    if (now - lastSweep >= Math.min(SWEEP_MILLIS, requestMillis / 2)) {
                        lastSweep = now;
                        sweep(now);
                    }
                }
            } catch (IOException | ClosedSelectorException e) {
                if (open) {
                    LOG.log(Level.SEVERE, "the OCSP listener's network thread stopped", e);
                }
            } catch (RuntimeException | Error e) {
                LOG.log(Level.SEVERE, "the OCSP listener's network thread failed", e);
                throw e;
            } finally {
                for (SelectionKey key : selector.keys()) {
                    if (key.attachment() instanceof Connection connection) {
                        connection.close();
                    }
                }
                try {
                    selector.close();
                } catch (IOException e) {
                    LOG.log(Level.FINE, "closing a selector", e);
                }
            }
        }

        private void accept() {
            while (true) {
                SocketChannel channel;
                try {
                    channel = server.accept();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "accepting an OCSP connection failed, pausing " + ACCEPT_PAUSE_MILLIS + " ms: " + e.getMessage());
                    acceptKey.interestOps(0);
                    acceptPausedUntil = System.currentTimeMillis() + ACCEPT_PAUSE_MILLIS;
                    return;
                }
                if (channel == null) {
                    return;
                }
                if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                    connections.decrementAndGet();
                    quietly(channel);
                    continue;
                }
                Optional<java.net.InetAddress> peer = claimPeer(channel);
                if (peer.isEmpty()) {
                    connections.decrementAndGet();
                    quietly(channel);
                    continue;
                }
                Loop loop = loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
                loop.execute(() -> loop.register(channel, peer.get()));
            }
        }

        private void register(SocketChannel channel, java.net.InetAddress peer) {
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Connection connection = new Connection(this, channel, peer);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            } catch (IOException e) {
                connections.decrementAndGet();
                perPeer.release(peer);
                quietly(channel);
            }
        }

        private void sweep(long now) {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Connection connection) {
                    connection.checkTimeouts(now);
                }
            }
        }
    }

    /**
     * One client connection, touched only by its loop's thread. Requests are answered in order, one at a time: while
     * an answer waits for a signing thread or for the client to read it, the connection reads nothing more, so neither
     * a pipelining client nor one that never reads can queue unbounded work or memory.
     */
    private final class Connection {
        private final Loop loop;
        private final SocketChannel channel;
        private final java.net.InetAddress peer;
        private SelectionKey key;
        private byte[] in = new byte[2048];
        private int filled;
        /** The head of the request whose body is still arriving: read once, not again per packet. */
        private HttpRequestHead pendingHead;
        private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        private boolean waiting;
        private boolean closeWhenWritten;
        private boolean continueSent;
        /** Output shut down after the last answer; input is read and dropped until the client closes or the linger ends. */
        private long lingeringSince;
        private boolean closed;
        private long lastActivity = System.currentTimeMillis();
        private long lastWriteProgress;
        /** When the request being read began (for the first, when the connection was accepted); 0 between requests. */
        private long requestStarted = lastActivity;

        Connection(Loop loop, SocketChannel channel, java.net.InetAddress peer) {
            this.loop = loop;
            this.channel = channel;
            this.peer = peer;
        }

        void ready(SelectionKey selected) {
            try {
                if (selected.isValid() && selected.isWritable()) {
                    flush();
                    serveBuffered();
                }
                if (!closed && selected.isValid() && selected.isReadable()) {
                    read();
                }
            } catch (IOException | CancelledKeyException e) {
                close();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "OCSP listener failed on a connection", e);
                close();
            }
        }

        private void read() throws IOException {
            if (lingeringSince > 0) {
                if (channel.read(ByteBuffer.wrap(in)) < 0) {
                    close();
                }
                return;
            }
            if (filled == in.length) {
                if (in.length >= MAX_BUFFER) {
                    // Only blank lines before a request can fill the buffer without completing a head.
                    send(text(431, reason(431), "request head over " + MAX_HEAD + " bytes"), true);
                    return;
                }
                in = Arrays.copyOf(in, Math.min(2 * in.length, MAX_BUFFER));
            }
            int count = channel.read(ByteBuffer.wrap(in, filled, in.length - filled));
            if (count < 0) {
                if (waiting || !out.isEmpty()) {
                    // Half-closed by the client: the answers it asked for still go out, then the connection closes.
                    closeWhenWritten = true;
                    interest();
                } else {
                    close();
                }
                return;
            }
            lastActivity = System.currentTimeMillis();
            if (filled == 0 && count > 0 && requestStarted == 0) {
                requestStarted = lastActivity;
            }
            filled += count;
            serveBuffered();
        }

        /** Serves the complete requests in the buffer, in order, while each answer goes out at once. */
        private void serveBuffered() throws IOException {
            while (!waiting && !closeWhenWritten && out.isEmpty() && filled > 0) {
                HttpRequestHead head = pendingHead;
                if (head == null) {
                    try {
                        head = HttpRequestHead.read(in, filled, MAX_HEAD, OcspResponder.MAX_REQUEST_BYTES);
                    } catch (HttpRequestHead.Refused refused) {
                        send(text(refused.status(), reason(refused.status()), refused.getMessage()), true);
                        return;
                    }
                    if (head == null) {
                        return;
                    }
                }
                int total = head.length() + head.contentLength();
                if (filled < total) {
                    pendingHead = head;
                    if (in.length < total) {
                        in = Arrays.copyOf(in, total);
                    }
                    if (head.expectContinue() && !continueSent) {
                        continueSent = true;
                        write(ByteBuffer.wrap(CONTINUE));
                    }
                    return;
                }
                pendingHead = null;
                byte[] body = Arrays.copyOfRange(in, head.length(), total);
                System.arraycopy(in, total, in, 0, filled - total);
                filled -= total;
                continueSent = false;
                requestStarted = filled > 0 ? System.currentTimeMillis() : 0;
                CompletableFuture<Reply> reply;
                try {
                    reply = handle(head, body);
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "OCSP listener failed on a request", e);
                    send(text(500, reason(500), "the OCSP responder failed; the server log has the details"), true);
                    return;
                }
                if (reply.isDone()) {
                    send(reply.join(), !head.keepAlive(), head.http10() && head.keepAlive());
                } else {
                    waiting = true;
                    interest();
                    HttpRequestHead asked = head;
                    reply.whenComplete((answer, failure) -> loop.execute(() -> answered(asked, answer, failure)));
                }
            }
        }

        private void answered(HttpRequestHead head, Reply answer, Throwable failure) {
            waiting = false;
            if (closed) {
                return;
            }
            try {
                if (failure != null) {
                    LOG.log(Level.SEVERE, "OCSP listener failed on a request", failure);
                    send(text(500, reason(500), "the OCSP responder failed; the server log has the details"), true);
                    return;
                }
                send(answer, !head.keepAlive(), head.http10() && head.keepAlive());
                serveBuffered();
            } catch (IOException | CancelledKeyException e) {
                close();
            }
        }

        private void send(Reply reply, boolean close) throws IOException {
            send(reply, close, false);
        }

        private void send(Reply reply, boolean close, boolean keepAliveField) throws IOException {
            boolean closing = close || reply.close();
            String length = "Content-Length: " + reply.body().length + "\r\n" + (closing ? "Connection: close\r\n" : keepAliveField ? "Connection: keep-alive\r\n" : "") + "\r\n";
            byte[] tail = length.getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer whole = ByteBuffer.allocate(reply.head().length + tail.length + reply.body().length);
            whole.put(reply.head()).put(tail).put(reply.body()).flip();
            closeWhenWritten |= closing;
            write(whole);
        }

        private void write(ByteBuffer buffer) throws IOException {
            if (out.isEmpty()) {
                lastWriteProgress = System.currentTimeMillis();
            }
            out.add(buffer);
            flush();
        }

        private void flush() throws IOException {
            while (!out.isEmpty()) {
                ByteBuffer next = out.peek();
                if (channel.write(next) > 0) {
                    lastWriteProgress = System.currentTimeMillis();
                }
                if (next.hasRemaining()) {
                    break;
                }
                out.poll();
            }
            if (out.isEmpty() && closeWhenWritten && !waiting && lingeringSince == 0) {
                linger();
                return;
            }
            interest();
        }

        /**
         * Shuts output down and drops what the client still sends until it closes: closing at once with unread input
         * would make the kernel send a reset, and the client could lose the answer (a 413 or 431, say) before reading it.
         */
        private void linger() throws IOException {
            lingeringSince = System.currentTimeMillis();
            channel.shutdownOutput();
            interest();
        }

        /** Reads only when the next request can be served (or input is drained); writes while answers are queued. */
        private void interest() {
            int ops = out.isEmpty() ? 0 : SelectionKey.OP_WRITE;
            if (lingeringSince > 0 || !waiting && !closeWhenWritten && out.isEmpty()) {
                ops |= SelectionKey.OP_READ;
            }
            key.interestOps(ops);
        }

        void checkTimeouts(long now) {
            try {
                if (lingeringSince > 0) {
                    if (now - lingeringSince > LINGER_MILLIS) {
                        close();
                    }
                } else if (!out.isEmpty()) {
                    if (now - lastWriteProgress > requestMillis) {
                        close();
                    }
                } else if (!waiting && !closeWhenWritten && requestStarted > 0 && now - requestStarted > requestMillis) {
                    requestStarted = 0;
                    send(text(408, reason(408), "the request did not arrive within " + requestMillis + " ms"), true);
                } else if (!waiting && filled == 0 && now - lastActivity > idleMillis) {
                    close();
                }
            } catch (IOException | CancelledKeyException e) {
                close();
            }
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            connections.decrementAndGet();
            perPeer.release(peer);
            if (key != null) {
                key.cancel();
            }
            quietly(channel);
        }
    }

    /** Counts a new connection against its client; empty when that client holds its share already (or its address is unknown). */
    private Optional<java.net.InetAddress> claimPeer(SocketChannel channel) {
        try {
            return perPeer.claim(((InetSocketAddress) channel.getRemoteAddress()).getAddress());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 505 -> "HTTP Version Not Supported";
            default -> "Internal Server Error";
        };
    }

    private static void quietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing an OCSP connection", e);
        }
    }
}
