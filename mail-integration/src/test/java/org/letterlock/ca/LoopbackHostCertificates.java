package org.letterlock.ca;

import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Certificates for hops on loopback in tests, issued the way the CA issues its own listeners' (for localhost and
 * 127.0.0.1): the admin API refuses such names, rightly, for real mail hosts.
 */
public final class LoopbackHostCertificates {
    private LoopbackHostCertificates() {
    }

    public static IssuedCertificate issue(CertificateAuthority ca, PublicKey key) {
        return ca.issueListenerCertificate(SubjectPublicKeyInfo.getInstance(key.getEncoded()), List.of("localhost", "127.0.0.1"), Duration.ofDays(2));
    }
}
