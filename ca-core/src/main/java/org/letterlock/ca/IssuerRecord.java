package org.letterlock.ca;

import java.time.Instant;
import java.util.Optional;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.vault.KeyUri;

/**
 * A CA of this installation as stored: the root, or an issuing CA in one of its states.
 *
 * @param key             the CA key in the vault; none for an external root
 * @param csr             the issuing CA's request while it waits for an external root to sign it
 * @param ocspKey         the delegated OCSP responder's key, once made
 * @param ocspCertificate the delegated responder's certificate (profile ocsp-signing), renewed before it expires
 */
public record IssuerRecord(
        String id,
        Kind kind,
        State state,
        Optional<KeyUri> key,
        String subject,
        Optional<X509CertificateHolder> certificate,
        Optional<byte[]> csr,
        Instant createdAt,
        Optional<KeyUri> ocspKey,
        Optional<X509CertificateHolder> ocspCertificate) {

    public enum Kind { ROOT, ISSUING }

    /** PENDING: key made, CSR out to an external root. ACTIVE: issues. RETIRED: issues no more, still signs CRLs and OCSP. */
    public enum State { PENDING, ACTIVE, RETIRED }

    public KeyUri requireKey() {
        return key.orElseThrow(() -> new IllegalStateException("issuer " + id + " has no key in this vault"));
    }

    public X509CertificateHolder requireCertificate() {
        return certificate.orElseThrow(() -> new IllegalStateException("issuer " + id + " has no certificate yet"));
    }
}
