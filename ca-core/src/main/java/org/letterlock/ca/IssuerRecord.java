package org.letterlock.ca;

import java.time.Instant;
import java.util.Arrays;
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

    /**
     * ISSUING certifies mailboxes (and escrow's transport key), TLS_ISSUING the mail hosts' TLS servers: each issuing CA
     * serves one purpose, as the S/MIME BR (7.1.2.2 g) and the root programs require of subordinate CAs.
     */
    public enum Kind {
        ROOT("root"), ISSUING("issuing"), TLS_ISSUING("tls-issuing");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** An issuing CA's kind (not the root's). */
        public boolean issuing() {
            return this != ROOT;
        }

        /** How the API and the issuer ids spell it. */
        public String label() {
            return label;
        }

        public static Optional<Kind> ofLabel(String label) {
            return Arrays.stream(values()).filter(k -> k.label.equals(label)).findFirst();
        }
    }

    /** PENDING: key made, CSR out to an external root. ACTIVE: issues. RETIRED: issues no more, still signs CRLs and OCSP. */
    public enum State { PENDING, ACTIVE, RETIRED }

    /** An issuing CA of either purpose (not the root). */
    public boolean issuing() {
        return kind.issuing();
    }

    public KeyUri requireKey() {
        return key.orElseThrow(() -> new IllegalStateException("issuer " + id + " has no key in this vault"));
    }

    public X509CertificateHolder requireCertificate() {
        return certificate.orElseThrow(() -> new IllegalStateException("issuer " + id + " has no certificate yet"));
    }
}
