package org.letterlock.ca;

import java.net.URI;

/** Where relying parties fetch CRLs, OCSP and CA certificates: the URLs written into certificates, from one base. */
public record CaUrls(URI base) {

    public CaUrls {
        String text = base.toString();
        base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    public URI crl(String issuerId) {
        return URI.create(base + "/crl/" + issuerId + ".crl");
    }

    public URI deltaCrl(String issuerId) {
        return URI.create(base + "/crl/" + issuerId + "-delta.crl");
    }

    public URI ocsp() {
        return URI.create(base + "/ocsp");
    }

    public URI caCertificate(String issuerId) {
        return URI.create(base + "/ca/" + issuerId + ".crt");
    }
}
