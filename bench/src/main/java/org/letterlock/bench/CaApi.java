package org.letterlock.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The CA's REST calls the benchmarks make, as an RA officer: issue ({@code POST /api/ca/certificates}), list the issuers
 * ({@code GET /api/ca/issuers}) and revoke ({@code POST /api/ca/certificates/{serial}/revoke}). Every unexpected answer
 * fails with the exact request and response.
 */
final class CaApi {
    static final String PROFILE = "mailbox-signing";
    static final String RA_ROLE = "ra-officer";

    /** A certificate the server issued: its serial (hex as the API writes it, and as read from the certificate) and issuer id. */
    record Issued(String serialHex, BigInteger serial, String issuerId, X509CertificateHolder certificate) {
    }

    private final LetterlockServer server;
    private final LetterlockServer.Credential officer;

    CaApi(LetterlockServer server, LetterlockServer.Credential officer) {
        this.server = server;
        this.officer = officer;
    }

    /** Creates an RA officer ({@code POST /api/admins} as the first administrator) and returns the API as that officer. */
    static CaApi asNewOfficer(LetterlockServer server, String name) throws IOException, InterruptedException {
        return new CaApi(server, server.createAdmin(name, RA_ROLE));
    }

    LetterlockServer.Credential officer() {
        return officer;
    }

    /** The JSON body of an issuance: profile, mailbox and the PEM PKCS#10 request. */
    static String issueBody(String mailbox, String csrPem) {
        return issueBody(PROFILE, mailbox, csrPem);
    }

    /** The same with another mailbox profile, e.g. {@code mailbox-encryption}. */
    static String issueBody(String profile, String mailbox, String csrPem) {
        return "{\"profile\":" + Json.quote(profile) + ",\"mailbox\":" + Json.quote(mailbox) + ",\"csr\":" + Json.quote(csrPem) + "}";
    }

    Issued issue(String mailbox, String csrPem) throws IOException, InterruptedException {
        return issue(PROFILE, mailbox, csrPem);
    }

    Issued issue(String profile, String mailbox, String csrPem) throws IOException, InterruptedException {
        String body = issueBody(profile, mailbox, csrPem);
        HttpResponse<String> response = server.call("POST", "/api/ca/certificates", officer, "application/json", body);
        LetterlockServer.expect(response, "POST", "/api/ca/certificates", body, 201);
        return issued(response.body());
    }

    /** Reads a 201 answer to an issuance: {@code serial} (hex), {@code issuer} (id) and {@code certificate} (PEM), whose serial must match. */
    static Issued issued(String json) {
        Map<String, Object> object = Json.object(json);
        String serialHex = Json.string(object, "serial");
        X509CertificateHolder certificate = Ocsp.certificate(Json.string(object, "certificate"));
        BigInteger serial = new BigInteger(serialHex.replace(":", ""), 16);
        if (!serial.equals(certificate.getSerialNumber())) {
            throw new IllegalStateException("the issuance answered serial " + serialHex + " but the certificate's serial is "
                    + certificate.getSerialNumber().toString(16));
        }
        return new Issued(serialHex, serial, Json.string(object, "issuer"), certificate);
    }

    /** The issuers' certificates by id, from {@code GET /api/ca/issuers}; issuers without a certificate (pending) are left out. */
    Map<String, X509CertificateHolder> issuers() throws IOException, InterruptedException {
        HttpResponse<String> response = server.call("GET", "/api/ca/issuers", officer, null, null);
        LetterlockServer.expect(response, "GET", "/api/ca/issuers", null, 200);
        return issuers(response.body());
    }

    static Map<String, X509CertificateHolder> issuers(String json) {
        Object parsed = Json.parse(json);
        if (!(parsed instanceof List<?> list)) {
            throw new IllegalStateException("GET /api/ca/issuers answered no JSON array: " + Json.abbreviate(json));
        }
        Map<String, X509CertificateHolder> issuers = new LinkedHashMap<>();
        for (Object item : list) {
            if (item instanceof Map<?, ?> issuer && issuer.get("id") instanceof String id && issuer.get("certificate") instanceof String pem) {
                issuers.put(id, Ocsp.certificate(pem));
            }
        }
        return issuers;
    }

    /** Revokes a certificate; the server answers 200 or 204. */
    void revoke(String serialHex, String reason) throws IOException, InterruptedException {
        String path = "/api/ca/certificates/" + serialHex + "/revoke";
        String body = "{\"reason\":" + Json.quote(reason) + "}";
        HttpResponse<String> response = server.call("POST", path, officer, "application/json", body);
        if (response.statusCode() != 204) {
            LetterlockServer.expect(response, "POST", path, body, 200);
        }
    }

    /** Certificates for OCSP loads from one issuer: {@code good} ones, then {@code revoked} ones revoked with keyCompromise. */
    record OcspSet(List<Issued> issued, List<Ocsp.Status> statuses, String issuerId, X509CertificateHolder issuer) {
    }

    OcspSet issueForOcsp(int good, int revoked) throws Exception {
        List<Issued> issued = new java.util.ArrayList<>();
        for (int i = 1; i <= good + revoked; i++) {
            String mailbox = "user" + i + "@example.org";
            issued.add(issue(mailbox, Ocsp.csr(Ocsp.ecP256(), mailbox)));
        }
        List<Ocsp.Status> statuses = new java.util.ArrayList<>();
        for (int i = 0; i < issued.size(); i++) {
            boolean isRevoked = i >= good;
            if (isRevoked) {
                revoke(issued.get(i).serialHex(), "keyCompromise");
            }
            statuses.add(isRevoked ? Ocsp.Status.REVOKED : Ocsp.Status.GOOD);
        }
        java.util.Set<String> issuerIds = new java.util.LinkedHashSet<>(issued.stream().map(Issued::issuerId).toList());
        Map<String, X509CertificateHolder> issuers = issuers();
        if (issuerIds.size() != 1 || !issuers.containsKey(issuerIds.iterator().next())) {
            throw new IllegalStateException("the certificates name issuer(s) " + issuerIds + " but GET /api/ca/issuers lists " + issuers.keySet());
        }
        String issuerId = issuerIds.iterator().next();
        return new OcspSet(List.copyOf(issued), List.copyOf(statuses), issuerId, issuers.get(issuerId));
    }
}
