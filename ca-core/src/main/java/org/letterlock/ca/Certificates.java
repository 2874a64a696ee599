package org.letterlock.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.cert.X509CertificateHolder;

/** Encodings of certificates this module hands out. */
public final class Certificates {
    private static final Base64.Encoder PEM_BODY = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

    private Certificates() {
    }

    /** A certificate read back from the store: a failure means stored bytes were damaged, a server-side fault. */
    public static X509CertificateHolder holder(byte[] der) {
        try {
            return new X509CertificateHolder(der);
        } catch (IOException e) {
            throw new IllegalStateException("a stored certificate does not parse: " + e.getMessage(), e);
        }
    }

    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + PEM_BODY.encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    public static String pem(X509CertificateHolder certificate) {
        return pem("CERTIFICATE", der(certificate));
    }

    /** The DER of a certificate this process holds: a failure is a fault of ours, not the caller's. */
    /** The JCA form of a certificate, for TLS and the JDK's path checks. */
    public static java.security.cert.X509Certificate x509(X509CertificateHolder certificate) {
        try {
            return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(certificate);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("not a certificate the JDK reads: " + e.getMessage(), e);
        }
    }

    public static byte[] der(X509CertificateHolder certificate) {
        return der((org.bouncycastle.util.Encodable) certificate);
    }

    /** The DER of a structure this process holds (a certificate, a public key). */
    public static byte[] der(org.bouncycastle.util.Encodable structure) {
        try {
            return structure.getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + structure.getClass().getSimpleName(), e);
        }
    }
}
