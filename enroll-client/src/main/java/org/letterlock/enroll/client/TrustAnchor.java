package org.letterlock.enroll.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * What the client trusts the enrollment server by: the root certificate in a PEM file, the root's SHA-256
 * fingerprint as the administrator published it (RFC 7030 4.1.1's out-of-band check: the chain the server shows must
 * end in that root), or the system's trusted CAs when the server has a public certificate.
 */
final class TrustAnchor {
    private TrustAnchor() {
    }

    static X509TrustManager fromPem(Path pem) throws IOException {
        try (var in = Files.newInputStream(pem)) {
            List<X509Certificate> roots = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                roots.add((X509Certificate) certificate);
            }
            if (roots.isEmpty()) {
                throw new IOException(pem + " holds no certificate");
            }
            return trusting(roots);
        } catch (CertificateException e) {
            throw new IOException(pem + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Connects once without trusting anything, takes the chain the server shows, and trusts its root only if its
     * SHA-256 fingerprint is {@code fingerprint} (hex, colons and case ignored).
     */
    static X509TrustManager fromFingerprint(URI server, String fingerprint) throws IOException {
        String wanted = fingerprint.replace(":", "").replaceFirst("(?i)^sha256", "").toLowerCase(Locale.ROOT);
        AtomicReference<X509Certificate[]> shown = new AtomicReference<>();
        X509TrustManager recording = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                shown.set(chain);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext tls = tls(recording);
            // Only the handshake matters here: what the server answers is not read.
            HttpClient.newBuilder().sslContext(tls).build().send(HttpRequest.newBuilder(server).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
        X509Certificate[] chain = shown.get();
        if (chain == null || chain.length == 0) {
            throw new IOException(server + " showed no certificate chain");
        }
        X509Certificate top = chain[chain.length - 1];
        for (X509Certificate candidate : chain) {
            if (HexFormat.of().formatHex(sha256(candidate)).equals(wanted)) {
                return trusting(List.of(candidate));
            }
        }
        throw new IOException("the server's chain does not contain the certificate with fingerprint " + fingerprint + " (its top is " + top.getSubjectX500Principal()
                + ", SHA-256 " + HexFormat.of().formatHex(sha256(top)) + "); check the fingerprint with your administrator");
    }

    /** A TLS context that trusts what {@code trust} trusts and presents no client certificate. */
    static SSLContext tls(X509TrustManager trust) throws GeneralSecurityException {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {trust}, null);
        return tls;
    }

    static X509TrustManager system() throws IOException {
        return managerOf(null);
    }

    /**
     * Trusts a server either of {@code first} or {@code second} trusts, the first one's refusal being the one told:
     * a person's mail server may have its certificate from Letterlock's CA or from a public one.
     */
    static X509TrustManager eitherOf(X509TrustManager first, X509TrustManager second) {
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                try {
                    first.checkServerTrusted(chain, authType);
                } catch (CertificateException refused) {
                    try {
                        second.checkServerTrusted(chain, authType);
                    } catch (CertificateException alsoRefused) {
                        throw refused;
                    }
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return java.util.stream.Stream.concat(java.util.Arrays.stream(first.getAcceptedIssuers()), java.util.Arrays.stream(second.getAcceptedIssuers()))
                        .toArray(X509Certificate[]::new);
            }
        };
    }

    private static X509TrustManager trusting(List<X509Certificate> roots) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < roots.size(); i++) {
                store.setCertificateEntry("root-" + i, roots.get(i));
            }
            return managerOf(store);
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static X509TrustManager managerOf(KeyStore store) throws IOException {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IOException("the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static byte[] sha256(X509Certificate certificate) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

}
