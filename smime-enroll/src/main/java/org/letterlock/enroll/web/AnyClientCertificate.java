package org.letterlock.enroll.web;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.ca.Certificates;

/**
 * Lets any client certificate through the TLS handshake, which then proves only that the client holds its key; the
 * protocol decides what the certificate is worth by finding it among the CA's own, unrevoked and unexpired
 * ({@code MailboxEnrollment.current}). Clients are told which CAs to pick a certificate from.
 */
final class AnyClientCertificate implements X509TrustManager {
    private final Supplier<List<X509CertificateHolder>> caCertificates;

    AnyClientCertificate(Supplier<List<X509CertificateHolder>> caCertificates) {
        this.caCertificates = caCertificates;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
        // Judged by the protocol against the CA's store, not here.
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
        throw new java.security.cert.CertificateException("the enrollment listener is a server only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        try {
            return caCertificates.get().stream().map(Certificates::x509).toArray(X509Certificate[]::new);
        } catch (RuntimeException e) {
            return new X509Certificate[0];
        }
    }
}
