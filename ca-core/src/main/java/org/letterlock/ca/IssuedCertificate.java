package org.letterlock.ca;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Optional;
import org.bouncycastle.cert.X509CertificateHolder;

/** A certificate in the store and its revocation state. */
public record IssuedCertificate(
        BigInteger serial,
        String issuerId,
        String profile,
        Optional<String> mailbox,
        String subject,
        Instant notBefore,
        Instant notAfter,
        byte[] der,
        Optional<String> pairId,
        String requestedBy,
        Instant issuedAt,
        Optional<Revocation> revocation) {

    /** When, why and by whom a certificate was revoked. */
    public record Revocation(Instant at, RevocationReason reason, String by) {
    }

    public boolean revoked() {
        return revocation.isPresent();
    }

    public String serialHex() {
        return hex(serial);
    }

    public X509CertificateHolder holder() {
        return Certificates.holder(der);
    }

    /** Serials are stored and shown as lower-case hex without leading zeros. */
    public static String hex(BigInteger serial) {
        return serial.toString(16);
    }
}
