package org.letterlock.enroll;

import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.vault.KeySpec;

/**
 * What every enrollment protocol asks of the CA and escrow, once the protocol has established who enrolls: a signing
 * certificate for a key the client made (the key never comes here), and an encryption key made and archived by escrow.
 * The protocols prove mailbox ownership their own way ({@link EnrollmentProof}) and then act for that mailbox alone,
 * as an ra-officer would after checking it; the CA still checks that a CSR names no other address.
 */
public final class MailboxEnrollment {
    /** Reads the certificates of a mailbox its holder has proven, as an ra-officer would look them up. */
    private static final Requester LOOKUP = new Requester("enroll", Set.of(Role.RA_OFFICER));

    private final CertificateAuthority ca;
    private final KeyEscrow escrow;
    private final Clock clock;

    public MailboxEnrollment(CertificateAuthority ca, KeyEscrow escrow, Clock clock) {
        this.ca = ca;
        this.escrow = escrow;
        this.clock = clock;
    }

    /** A mailbox-signing certificate for the key in {@code csr}, starting a new signing + encryption pair. */
    public IssuedCertificate signingCertificate(byte[] csr, EnrollmentProof proof) {
        return ca.issue(IssueRequest.mailbox(Profiles.MAILBOX_SIGNING.name(), csr, proof.mailbox()), requester(proof));
    }

    /**
     * A mailbox-signing certificate for a public key whose possession the protocol checked itself (a CRMF request's
     * signature proof of possession, RFC 4211 4.1), in {@code pairId}'s pair when given.
     */
    public IssuedCertificate signingCertificate(SubjectPublicKeyInfo publicKey, Optional<String> pairId, EnrollmentProof proof) {
        return ca.issue(new IssueRequest(Profiles.MAILBOX_SIGNING.name(), Optional.empty(), Optional.of(publicKey), Optional.of(proof.mailbox()), List.of(),
                pairId, OptionalInt.empty(), false), requester(proof));
    }

    /** Revokes a certificate of the proven mailbox; the caller has checked that {@code serial} is one of its certificates. */
    public List<IssuedCertificate> revoke(BigInteger serial, RevocationReason reason, EnrollmentProof proof) {
        // The protocols act as ra-officer; the reason is still the subscriber's to give.
        if (!reason.subscriberMayGive()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, reason.rfcName() + " is not a subscriber's reason; give one of " + RevocationReason.subscriberCodes());
        }
        return ca.revoke(serial, reason, false, requester(proof));
    }

    /**
     * A new signing certificate for the mailbox of {@code pairId} (re-enrollment with the pair's current certificate).
     * A pair holds one certificate per profile, so the CA renews it as a new pair; the new certificate names it.
     */
    public IssuedCertificate renewedSigningCertificate(byte[] csr, String pairId, EnrollmentProof proof) {
        return ca.renewPair(pairId, csr, Optional.empty(), requester(proof)).get(0);
    }

    /** An encryption key made and archived by escrow, certified in {@code pairId}'s pair when given; its private key goes to the client once. */
    public KeyEscrow.ArchivedKeyPair encryptionKey(Optional<String> pairId, Optional<KeySpec> spec, EnrollmentProof proof) {
        return escrow.generateArchived(proof.mailbox(), spec, pairId, requester(proof));
    }

    /**
     * The certificate a client authenticated with over TLS, if it is one this CA issued for a mailbox and it is neither
     * revoked nor expired. The TLS handshake proved the client holds its key.
     */
    public Optional<IssuedCertificate> current(X509Certificate presented) {
        Optional<IssuedCertificate> issued = ca.find(presented.getSerialNumber());
        if (issued.isEmpty() || issued.get().revoked() || issued.get().mailbox().isEmpty() || issued.get().notAfter().isBefore(clock.instant())
                || issued.get().notBefore().isAfter(clock.instant())) {
            return Optional.empty();
        }
        try {
            return Arrays.equals(issued.get().der(), presented.getEncoded()) ? issued : Optional.empty();
        } catch (CertificateEncodingException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a certificate's key may sign (keyUsage digitalSignature, or no keyUsage), and so authenticate its holder.
     * An encryption certificate may not: escrow can hand its key to a recovery requester.
     */
    public static boolean forSigning(X509CertificateHolder certificate) {
        KeyUsage usage = KeyUsage.fromExtensions(certificate.getExtensions());
        return usage == null || usage.hasUsages(KeyUsage.digitalSignature);
    }

    /** The mailbox's certificates that are neither revoked nor expired nor not yet valid (for EST to find the one a client names). */
    public List<IssuedCertificate> currentCertificates(String mailbox) {
        Instant now = clock.instant();
        return ca.search(mailbox, null, false, 1000, LOOKUP).stream().filter(c -> !c.notAfter().isBefore(now) && !c.notBefore().isAfter(now)).toList();
    }

    /** The active issuing CA's chain, issuing CA first and the root last: what clients install (EST cacerts, CMP caPubs). */
    public List<X509CertificateHolder> caCertificates() {
        IssuerRecord issuing = ca.issuers().stream().filter(i -> i.kind() == IssuerRecord.Kind.ISSUING && i.state() == IssuerRecord.State.ACTIVE)
                .reduce((first, second) -> second)
                .orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE, "no issuing CA is active: it waits for its certificate from the external root"));
        return ca.chain(issuing.id());
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /** The CA acts for the proven mailbox only: the request names it, and the CA refuses a CSR naming any other. */
    private static Requester requester(EnrollmentProof proof) {
        return new Requester("enroll/" + proof.method() + "/" + proof.reference(), Set.of(Role.RA_OFFICER));
    }
}
