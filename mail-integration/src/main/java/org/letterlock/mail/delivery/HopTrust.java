package org.letterlock.mail.delivery;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** The TLS contexts the gateway dials hops with. */
public final class HopTrust {
    private HopTrust() {
    }

    /** Trusts Letterlock's own CA certificates (internal hops) and the JDK's CAs (hops with public certificates). */
    public static SSLContext verifying(List<X509Certificate> ownCaCertificates) throws GeneralSecurityException {
        KeyStore own = KeyStore.getInstance("PKCS12");
        try {
            own.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        for (int i = 0; i < ownCaCertificates.size(); i++) {
            own.setCertificateEntry("letterlock-" + i, ownCaCertificates.get(i));
        }
        List<X509TrustManager> managers = new ArrayList<>();
        for (KeyStore store : new KeyStore[] {own, null}) {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    managers.add(x509);
                }
            }
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new EitherTrust(managers)}, new SecureRandom());
        return context;
    }

    /** Takes any certificate: for hops configured as {@code required}, where encryption is wanted but the certificate is not checked. */
    public static SSLContext anyCertificate() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("the gateway's client context checks no clients");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // Unchecked by configuration: letterlock.*.tls=required.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return context;
    }

    /** A chain is trusted when one of the managers trusts it. */
    private record EitherTrust(List<X509TrustManager> managers) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the gateway's client context checks no clients");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            CertificateException last = null;
            for (X509TrustManager manager : managers) {
                try {
                    manager.checkServerTrusted(chain, authType);
                    return;
                } catch (CertificateException e) {
                    last = e;
                }
            }
            throw last != null ? last : new CertificateException("no trust anchors");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return managers.stream().flatMap(m -> java.util.Arrays.stream(m.getAcceptedIssuers())).toArray(X509Certificate[]::new);
        }
    }
}
