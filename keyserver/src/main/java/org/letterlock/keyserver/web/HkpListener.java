package org.letterlock.keyserver.web;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.web.PortListener;

/** HKP on its own port (11371 by default), where gpg's {@code hkp://host} goes. */
public final class HkpListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HkpListener.class.getName());

    private final PortListener listener;

    private HkpListener(PortListener listener) {
        this.listener = listener;
    }

    public static HkpListener start(InetSocketAddress address, Supplier<HkpProtocol> protocol) throws IOException {
        return new HkpListener(PortListener.start(address, "hkp", Map.of("/pks", exchange -> handle(exchange, protocol))));
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    private static void handle(HttpExchange exchange, Supplier<HkpProtocol> protocol) throws IOException {
        try (exchange) {
            HkpProtocol.Answer answer;
            try (InputStream in = exchange.getRequestBody()) {
                answer = protocol.get().handle(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), exchange.getRequestURI().getRawQuery(),
                        exchange.getRequestHeaders().getFirst("Content-Type"), protocol.get().readBody(in), exchange.getRemoteAddress().getAddress().getHostAddress());
            } catch (LetterlockException e) {
                answer = HkpProtocol.Answer.text(e.type().status(), e.getMessage());
            }
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(answer.status(), head ? -1 : answer.body().length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body());
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "HKP listener failed on a request", e);
        }
    }

    @Override
    public void close() {
        listener.close();
    }
}
