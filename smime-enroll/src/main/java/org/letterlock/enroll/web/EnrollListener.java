package org.letterlock.enroll.web;

import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.enroll.acme.AcmeEndpoint;
import org.letterlock.enroll.cmp.CmpEndpoint;
import org.letterlock.enroll.est.EstEndpoint;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.web.PortListener;

/**
 * The enrollment listener: HTTPS with Letterlock's TLS certificate, asking clients for a certificate (EST
 * re-enrollment authenticates with the current one), serving the discovery document, the request for a mailed
 * enrollment secret, and each protocol at its path.
 */
public final class EnrollListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EnrollListener.class.getName());
    private static final int MAX_FORM_BYTES = 4096;

    private final PortListener listener;
    private final CmpEndpoint cmp;

    private EnrollListener(PortListener listener, CmpEndpoint cmp) {
        this.listener = listener;
        this.cmp = cmp;
    }

    public static EnrollListener start(InetSocketAddress address, EnrollmentServices services, TlsIdentity tls) throws IOException {
        Map<String, HttpHandler> contexts = new LinkedHashMap<>();
        // Paths are prefixes and the longest wins: "/" answers what no protocol serves.
        contexts.put("/", guarded(exchange -> exchange.respondText(404, "nothing at " + exchange.path() + "; the endpoints are listed at "
                + services.baseUrl() + EnrollmentServices.DISCOVERY_PATH)));
        contexts.put(EnrollmentServices.DISCOVERY_PATH, guarded(exchange -> discovery(exchange, services)));
        contexts.put(EnrollmentServices.SECRETS_PATH, guarded(exchange -> mailSecret(exchange, services)));
        CmpEndpoint cmp = new CmpEndpoint(services, tls);
        contexts.put(EnrollmentServices.CMP_PATH, guarded(cmp::handle));
        contexts.put(EnrollmentServices.EST_PATH, guarded(new EstEndpoint(services, tls)));
        contexts.put(EnrollmentServices.ACME_PATH, guarded(AcmeEndpoint.start(services)));
        AnyClientCertificate clients = new AnyClientCertificate(services.mailboxes()::caCertificates);
        try {
            return new EnrollListener(PortListener.startTls(address, "enroll", contexts, tls.serverContext(clients), true), cmp);
        } catch (IOException | RuntimeException e) {
            cmp.close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
        cmp.close();
    }

    /** What a handler of this listener does with one request. */
    public interface Handler {
        void handle(EnrollExchange exchange) throws IOException;
    }

    /**
     * Runs a handler so that nothing escapes as a dropped connection or a stack trace: a body over its limit gets 413,
     * a typed error its status with its message, anything else 500 with a reference to the log line.
     */
    public static HttpHandler guarded(Handler handler) {
        return raw -> {
            EnrollExchange exchange = new EnrollExchange(raw);
            // Until a protocol knows who authenticated, its audit records name the client's address.
            Actor.set("enroll-client " + raw.getRemoteAddress().getAddress().getHostAddress());
            try {
                handler.handle(exchange);
            } catch (EnrollExchange.TooLarge e) {
                exchange.respondText(413, e.getMessage());
            } catch (LetterlockException e) {
                exchange.respondText(e.type().status(), e.getMessage());
            } catch (IOException e) {
                LOG.fine("enroll: " + exchange.method() + " " + exchange.path() + " broke off: " + e);
                raw.close();
            } catch (RuntimeException e) {
                String reference = UUID.randomUUID().toString();
                LOG.log(Level.SEVERE, "enroll: " + exchange.method() + " " + exchange.path() + " failed (reference " + reference + ")", e);
                exchange.respondText(500, "internal error; reference " + reference);
            } finally {
                Actor.clear();
                raw.close();
            }
        };
    }

    /** The endpoints of each protocol in one JSON document, for clients that are given only the server's name. */
    private static void discovery(EnrollExchange exchange, EnrollmentServices services) throws IOException {
        if (!exchange.method().equals("GET") && !exchange.method().equals("HEAD")) {
            exchange.setHeader("Allow", "GET, HEAD");
            exchange.respondText(405, "use GET");
            return;
        }
        String base = services.baseUrl().toString();
        String json = "{\n"
                + "  \"est\": " + quoted(base + EnrollmentServices.EST_PATH) + ",\n"
                + "  \"acme\": " + quoted(base + EnrollmentServices.ACME_PATH + "/directory") + ",\n"
                + "  \"cmp\": " + quoted(base + EnrollmentServices.CMP_PATH) + ",\n"
                + "  \"secrets\": " + quoted(base + EnrollmentServices.SECRETS_PATH) + ",\n"
                + "  \"caCertificates\": " + quoted(base + EnrollmentServices.EST_PATH + "/cacerts") + "\n"
                + "}\n";
        exchange.respond(200, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code POST mailbox=<address>}: mails an enrollment secret to the address if it is a verified mailbox here. The
     * answer is the same whether it is or not; too many requests for one mailbox get 429.
     */
    private static void mailSecret(EnrollExchange exchange, EnrollmentServices services) throws IOException {
        if (!exchange.method().equals("POST")) {
            exchange.setHeader("Allow", "POST");
            exchange.respondText(405, "POST mailbox=<address> (application/x-www-form-urlencoded)");
            return;
        }
        if (!exchange.contentType().equals("application/x-www-form-urlencoded")) {
            exchange.respondText(415, "send mailbox=<address> as application/x-www-form-urlencoded");
            return;
        }
        String mailbox = null;
        for (String field : new String(exchange.body(MAX_FORM_BYTES), StandardCharsets.UTF_8).split("&")) {
            int equals = field.indexOf('=');
            if (equals > 0 && field.substring(0, equals).equals("mailbox")) {
                try {
                    mailbox = URLDecoder.decode(field.substring(equals + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    exchange.respondText(400, "the form is not URL-encoded: " + e.getMessage());
                    return;
                }
            }
        }
        if (mailbox == null || mailbox.isBlank()) {
            exchange.respondText(400, "name the mailbox: mailbox=<address>");
            return;
        }
        services.secrets().mail(mailbox);
        exchange.respondText(202, "If " + mailbox + " is a verified mailbox here, an enrollment secret is on its way to it.");
    }

    private static String quoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
