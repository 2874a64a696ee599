package org.letterlock.mail.keys;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.CertificateStore;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * Letterlock's CA standing in for a partner organisation's CA: it issues the partners' S/MIME certificates, and answers
 * OCSP ({@code POST /ocsp}) and CRL ({@code GET /crl/<issuer>.crl}) requests at the URLs it writes into them, under
 * the name {@code ca.example.org} on a loopback port. Either service can be switched off, as a responder that is down.
 */
final class LetterlockCaPeer implements AutoCloseable {
    static final String HOST = "ca.example.org";
    private static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));

    final MovableClock clock = new MovableClock();
    final Letterlock platform;
    final CertificateAuthority ca;
    private final HttpServer http;
    private final Path dataDir;
    volatile boolean ocspAnswers = true;
    volatile boolean crlsAnswer = true;

    LetterlockCaPeer(Path dataDir) throws Exception {
        this.dataDir = dataDir;
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.url", "http://" + HOST + ":" + http.getAddress().getPort());
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        ca.publishAllCrls();
        http.createContext("/ocsp", this::ocsp);
        http.createContext("/crl/", this::crl);
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    private void ocsp(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            byte[] request = body.readAllBytes();
            if (!ocspAnswers) {
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            send(exchange, "application/ocsp-response", ca.ocsp().respond(request).der());
        }
    }

    private void crl(HttpExchange exchange) throws IOException {
        try (exchange) {
            String file = exchange.getRequestURI().getPath().substring("/crl/".length());
            boolean delta = file.endsWith("-delta.crl");
            String issuer = file.substring(0, file.length() - (delta ? "-delta.crl" : ".crl").length());
            Optional<CertificateStore.StoredCrl> crl = crlsAnswer ? ca.crl(issuer, delta) : Optional.empty();
            if (crl.isEmpty()) {
                exchange.sendResponseHeaders(crlsAnswer ? 404 : 503, -1);
                return;
            }
            send(exchange, "application/pkix-crl", crl.get().der());
        }
    }

    private static void send(HttpExchange exchange, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** An S/MIME certificate of {@code profile} for {@code address} (its mailbox verified first), valid for {@code days} (0: the profile's default). */
    IssuedCertificate issue(String profile, String address, int days) throws Exception {
        String owner = address.substring(0, address.indexOf('@')).replaceAll("[^a-z]", "") + "-owner";
        platform.identities().register(address, owner);
        platform.identities().verify(Outbox.verificationToken(dataDir, address));
        byte[] csr = TestRequests.csr(TestRequests.ec("secp256r1"), "CN=ignored", List.of(address)).getEncoded();
        return ca.issue(new IssueRequest(profile, Optional.of(csr), Optional.empty(), Optional.of(address), List.of(), Optional.empty(),
                days > 0 ? OptionalInt.of(days) : OptionalInt.empty(), false), new Requester(owner, Set.of(Role.MAILBOX_OWNER)));
    }

    /**
     * Revokes {@code certificate} and signs new CRLs at once (the schedule would take its time). The clock then moves
     * on a second: it stands still otherwise, and a check at the very instant of the revocation does not count it (the
     * JDK's PKIX takes a revocation from before the validation time only; the time is kept to the second in a CRL, but
     * a clock that stopped on a whole second made that instant the same, once in a thousand runs).
     */
    void revoke(IssuedCertificate certificate) {
        ca.revoke(certificate.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER);
        ca.publishAllCrls();
        clock.advance(java.time.Duration.ofSeconds(1));
    }

    X509Certificate root() throws Exception {
        return x509(ca.issuer("root").orElseThrow().requireCertificate());
    }

    X509Certificate issuing() throws Exception {
        return x509(ca.issuer("issuing-1").orElseThrow().requireCertificate());
    }

    static X509Certificate x509(X509CertificateHolder holder) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    @Override
    public void close() {
        http.stop(0);
        ca.close();
        platform.close();
    }
}
