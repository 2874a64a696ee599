package org.letterlock.platform.web;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A protocol on a port of its own, served by the JDK's HTTP server ({@code com.sun.net.httpserver}) rather than the
 * servlet container: for protocols whose clients expect a fixed port (HKP 11371) or that need none of the container's
 * request machinery (the enrollment protocols over TLS).
 */
public final class PortListener implements AutoCloseable {
    static {
        // Read once, when the JDK's server classes load: set before the first server is made.
        // Without TCP_NODELAY the JDK server's keep-alive answers wait for the client's delayed ACK (40 ms each).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // A client that sends a request slowly (or never finishes it) is cut off instead of holding a worker.
        System.setProperty("sun.net.httpserver.maxReqTime", "10");
        System.setProperty("sun.net.httpserver.maxRspTime", "10");
    }

    private final HttpServer server;
    private final ExecutorService workers;

    private PortListener(HttpServer server, ExecutorService workers) {
        this.server = server;
        this.workers = workers;
    }

    /** Binds {@code address} and serves each context path with its handler on worker threads named {@code letterlock-<name>-N}. */
    public static PortListener start(InetSocketAddress address, String name, Map<String, HttpHandler> contexts) throws IOException {
        return serve(HttpServer.create(address, 1024), name, contexts);
    }

    /**
     * As {@link #start}, over TLS with {@code tls}; with {@code wantClientCertificate} clients are asked for a
     * certificate (and may send none), which handlers read from the exchange's SSL session.
     */
    public static PortListener startTls(InetSocketAddress address, String name, Map<String, HttpHandler> contexts, SSLContext tls, boolean wantClientCertificate)
            throws IOException {
        HttpsServer server = HttpsServer.create(address, 1024);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = tls.getDefaultSSLParameters();
                ssl.setWantClientAuth(wantClientCertificate);
                parameters.setSSLParameters(ssl);
            }
        });
        return serve(server, name, contexts);
    }

    private static PortListener serve(HttpServer server, String name, Map<String, HttpHandler> contexts) {
        AtomicInteger count = new AtomicInteger();
        // Enough workers to cover answers that wait on the database, few enough that answers from memory are not slowed
        // by switching between them: on 2 cores, 16 workers served HKP at 1.8x SKS, 8 at 2.07x (docs/benchmarks.md).
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), runnable -> {
            Thread thread = new Thread(runnable, "letterlock-" + name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(workers);
        contexts.forEach(server::createContext);
        server.start();
        return new PortListener(server, workers);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
