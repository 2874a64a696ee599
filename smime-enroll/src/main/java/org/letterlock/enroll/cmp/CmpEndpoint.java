package org.letterlock.enroll.cmp;

import java.io.IOException;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.enroll.web.EnrollExchange;

/**
 * CMP over HTTP (RFC 6712, RFC 9483 6.1): POST application/pkixcmp to {@code /cmp} or {@code /cmp/<label>}, answered
 * 200 with a PKIMessage, errors included. Only what is wrong at the HTTP level (method, media type, size, path) gets an
 * HTTP status of its own.
 */
public final class CmpEndpoint implements AutoCloseable {
    static final String MEDIA_TYPE = "application/pkixcmp";
    /** A PKIMessage with two certificate requests and extraCerts stays far below this. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** {@code /cmp/<label>} (RFC 9483 6.1): one path segment, as CMP clients append a CA or profile name. */
    private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile("/[A-Za-z0-9._-]{1,64}/?");

    private final CmpResponder responder;
    private final AutoCloseable unconfirmedSweep;

    public CmpEndpoint(EnrollmentServices services, TlsIdentity identity) {
        this.responder = new CmpResponder(services, identity);
        this.unconfirmedSweep = responder.startUnconfirmedSweep();
    }

    @Override
    public void close() {
        try {
            unconfirmedSweep.close();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the unconfirmed-certificate sweep failed", e);
        }
    }

    public void handle(EnrollExchange exchange) throws IOException {
        String path = exchange.path();
        String label = path.length() > EnrollmentServices.CMP_PATH.length() ? path.substring(EnrollmentServices.CMP_PATH.length()) : "";
        if (!label.isEmpty() && !LABEL.matcher(label).matches()) {
            exchange.respondText(404, "CMP is served at " + EnrollmentServices.CMP_PATH + " (or " + EnrollmentServices.CMP_PATH + "/<label>)");
            return;
        }
        if (!exchange.method().equals("POST")) {
            exchange.setHeader("Allow", "POST");
            exchange.respondText(405, "POST a PKIMessage as " + MEDIA_TYPE + " (RFC 6712)");
            return;
        }
        if (!exchange.contentType().equals(MEDIA_TYPE)) {
            exchange.respondText(415, "send the PKIMessage as " + MEDIA_TYPE + " (RFC 6712 3.4), not '" + exchange.contentType() + "'");
            return;
        }
        exchange.respond(200, MEDIA_TYPE, responder.respond(exchange.body(MAX_MESSAGE_BYTES), exchange.client()));
    }
}
