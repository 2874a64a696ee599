package org.letterlock.enroll.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The EST (RFC 7030) calls letterlock-enroll makes: CA certificates, enrollment of a client-made key with HTTP Basic
 * (the enrollment secret), re-enrollment and server-side key generation authenticated by a certificate over TLS.
 */
final class EstClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String PKCS10 = "application/pkcs10";

    private final URI base;
    private final X509TrustManager trust;

    /** {@code base} is the EST base URL, e.g. https://host:8443/.well-known/est. */
    EstClient(URI base, X509TrustManager trust) {
        this.base = URI.create(base.toString().replaceAll("/+$", ""));
        this.trust = trust;
    }

    /** A key the server made, with its certificate. */
    record ServerKey(PrivateKey privateKey, X509Certificate certificate) {
    }

    /** A failure the server answered, with its status and message. */
    static final class Refused extends IOException {
        private final int status;

        Refused(String operation, int status, String message) {
            super(operation + " refused (HTTP " + status + "): " + message.strip());
            this.status = status;
        }

        /** Whether the server refused the encryption certificate a serverkeygen CSR named (RFC 7030 4.4.1.2), before it made a key. */
        boolean refusesKeyIdentifier() {
            return status == 400 && getMessage().contains("AsymmetricDecryptKeyIdentifier");
        }
    }

    /** A key serverkeygen made, and whether it came encrypted to the encryption key asked for or over TLS only (a server that ignores the request). */
    record GeneratedKey(ServerKey key, boolean encrypted) {
    }

    List<X509Certificate> caCertificates() throws IOException {
        HttpResponse<byte[]> response = send("cacerts", HttpRequest.newBuilder(uri("cacerts")).GET(), client(null));
        return certificatesOnly("cacerts", response.body());
    }

    /** Certifies the key of {@code csr} (DER) for {@code mailbox}, proven by its enrollment secret. */
    X509Certificate simpleEnroll(byte[] csr, String mailbox, char[] secret) throws IOException {
        String credentials = Base64.getEncoder().encodeToString((mailbox + ":" + new String(secret)).getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> response = send("simpleenroll", post("simpleenroll", csr).header("Authorization", "Basic " + credentials), client(null));
        return single("simpleenroll", response.body());
    }

    /** Certifies the key of {@code csr} anew, authenticated by the current certificate and its key over TLS. */
    X509Certificate simpleReenroll(byte[] csr, PrivateKey key, List<X509Certificate> chain) throws IOException {
        HttpResponse<byte[]> response = send("simplereenroll", post("simplereenroll", csr), client(new Credential(key, chain)));
        return single("simplereenroll", response.body());
    }

    /**
     * Has the server make (and escrow) an encryption key in the pair of the authenticating certificate. With
     * {@code encryptedTo} the CSR named that encryption certificate (AsymmetricDecryptKeyIdentifier) and the key comes
     * encrypted to it as well as by TLS (RFC 7030 4.4.2), which is opened here with its key; a server that does not
     * encrypt answers application/pkcs8, which is taken as it is.
     */
    GeneratedKey serverKeyGen(byte[] csr, PrivateKey key, List<X509Certificate> chain, java.util.Optional<ServerKey> encryptedTo) throws IOException {
        HttpResponse<byte[]> response = send("serverkeygen", post("serverkeygen", csr), client(new Credential(key, chain)));
        String type = response.headers().firstValue("Content-Type").orElse("");
        PrivateKey privateKey = null;
        boolean encrypted = false;
        X509Certificate certificate = null;
        for (MultipartMixed.Part part : MultipartMixed.parse(type, response.body())) {
            byte[] der = Base64.getMimeDecoder().decode(part.body());
            if (part.contentType().startsWith("application/pkcs8")) {
                privateKey = privateKey(der);
            } else if (part.contentType().contains("smime-type=server-generated-key") && encryptedTo.isPresent()) {
                privateKey = privateKey(KeyPackage.open(der, encryptedTo.get().privateKey(), server(response), trust));
                encrypted = true;
            } else if (part.contentType().startsWith("application/pkcs7-mime") && !part.contentType().contains("server-generated-key")) {
                certificate = single("serverkeygen", part.body().getBytes(StandardCharsets.US_ASCII));
            }
        }
        if (privateKey == null || certificate == null) {
            throw new IOException("serverkeygen: the answer lacks the " + (encryptedTo.isPresent() ? "encrypted (server-generated-key) or application/pkcs8" : "application/pkcs8")
                    + " key or the certificate part");
        }
        return new GeneratedKey(new ServerKey(privateKey, certificate), encrypted);
    }

    /** The TLS server certificate {@code response} came over. */
    private static X509Certificate server(HttpResponse<?> response) throws IOException {
        java.security.cert.Certificate[] peer;
        try {
            peer = response.sslSession().orElseThrow(() -> new IOException("serverkeygen: the answer did not come over TLS")).getPeerCertificates();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            throw new IOException("serverkeygen: the TLS server did not present a certificate", e);
        }
        return (X509Certificate) peer[0];
    }

    private record Credential(PrivateKey key, List<X509Certificate> chain) {
    }

    private HttpClient client(Credential credential) throws IOException {
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            KeyManagerFactory keys = null;
            if (credential != null) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", credential.key(), new char[0], credential.chain().toArray(X509Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, new char[0]);
            }
            tls.init(keys == null ? null : keys.getKeyManagers(), new javax.net.ssl.TrustManager[] {trust}, null);
            return HttpClient.newBuilder().sslContext(tls).connectTimeout(TIMEOUT).build();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private HttpRequest.Builder post(String operation, byte[] csr) {
        return HttpRequest.newBuilder(uri(operation)).header("Content-Type", PKCS10).header("Content-Transfer-Encoding", "base64")
                .POST(HttpRequest.BodyPublishers.ofString(Base64.getMimeEncoder().encodeToString(csr) + "\r\n"));
    }

    private URI uri(String operation) {
        return URI.create(base + "/" + operation);
    }

    private static HttpResponse<byte[]> send(String operation, HttpRequest.Builder request, HttpClient client) throws IOException {
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(operation + " interrupted");
        }
        if (response.statusCode() != 200) {
            throw new Refused(operation, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        }
        return response;
    }

    /** A base64 PKCS#7 certs-only body (RFC 7030 4.1.3, 4.2.3). */
    private static List<X509Certificate> certificatesOnly(String operation, byte[] body) throws IOException {
        try {
            CMSSignedData certsOnly = new CMSSignedData(Base64.getMimeDecoder().decode(new String(body, StandardCharsets.US_ASCII).strip()));
            List<X509Certificate> certificates = new ArrayList<>();
            for (X509CertificateHolder holder : certsOnly.getCertificates().getMatches(null)) {
                certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
            return certificates;
        } catch (CMSException | IllegalArgumentException | java.security.cert.CertificateException e) {
            throw new IOException(operation + ": the answer is not a base64 PKCS#7 certs-only structure: " + e.getMessage(), e);
        }
    }

    private static X509Certificate single(String operation, byte[] body) throws IOException {
        List<X509Certificate> certificates = certificatesOnly(operation, body);
        if (certificates.size() != 1) {
            throw new IOException(operation + ": expected the one issued certificate, got " + certificates.size());
        }
        return certificates.get(0);
    }

    private static PrivateKey privateKey(byte[] pkcs8) throws IOException {
        try {
            return new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(pkcs8));
        } catch (IllegalArgumentException | org.bouncycastle.openssl.PEMException e) {
            throw new IOException("serverkeygen: the key part is not PKCS#8: " + e.getMessage(), e);
        }
    }

}
