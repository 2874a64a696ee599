package org.letterlock.enroll.cmp;

import java.util.Optional;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.enroll.EnrollmentProof;

/**
 * Who sent a request, as its protection proved: a mailbox holder by the MAC under one of its enrollment secrets
 * ({@code secret} is the form that matched, to protect the answer with), or by a signature of a current certificate.
 * Unprotected senders (genm asking for CA certificates) have no mailbox.
 */
record CmpSender(Optional<String> mailbox, Protection protection, Optional<String> secretId, Optional<char[]> secret,
                 Optional<IssuedCertificate> certificate, Optional<X509CertificateHolder> holder) {

    enum Protection {
        MAC, SIGNATURE, NONE
    }

    static CmpSender unprotected() {
        return new CmpSender(Optional.empty(), Protection.NONE, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    static CmpSender byMac(String mailbox, String secretId, char[] secret) {
        return new CmpSender(Optional.of(mailbox), Protection.MAC, Optional.of(secretId), Optional.of(secret), Optional.empty(), Optional.empty());
    }

    static CmpSender bySignature(IssuedCertificate certificate, X509CertificateHolder holder) {
        return new CmpSender(certificate.mailbox(), Protection.SIGNATURE, Optional.empty(), Optional.empty(), Optional.of(certificate),
                Optional.of(holder));
    }

    String requireMailbox() {
        return mailbox.orElseThrow(() -> new CmpFailure(org.bouncycastle.asn1.cmp.PKIFailureInfo.notAuthorized,
                "this request must be protected: by a MAC under an enrollment secret or a signature of a current certificate"));
    }

    /** How the CA's audit names the proof. */
    EnrollmentProof proof() {
        return switch (protection) {
            case MAC -> new EnrollmentProof(requireMailbox(), "cmp", "secret-" + secretId.orElseThrow());
            case SIGNATURE -> new EnrollmentProof(requireMailbox(), "cmp", "certificate-" + certificate.orElseThrow().serialHex());
            case NONE -> throw new IllegalStateException("an unprotected sender proves no mailbox");
        };
    }
}
