package org.letterlock.ca;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;

/** What escrow may ask of the CA: the narrow view, not the whole authority. */
public interface MailboxCertificates {

    /** Refuses (audited, as {@code action}) a requester who may not act on {@code address}. */
    void authorizeMailbox(Requester requester, String address, String action);

    IssuedCertificate issue(IssueRequest request, Requester requester);

    /** UNAVAILABLE, with the reason, while no issuing CA can sign: one waits for its external root, or has expired. */
    void requireIssuing();

    /** A key-transport certificate for escrow's recovery key, issued by the active issuing CA. */
    IssuedCertificate issueRecoveryCertificate(SubjectPublicKeyInfo publicKey, String commonName);

    /** A stored certificate, whoever asks: escrow checks its own rights. */
    Optional<IssuedCertificate> find(BigInteger serial);

    /** The issuer's chain up to the root, issuing CA first. */
    List<X509CertificateHolder> chain(String issuerId);

    List<IssuedCertificate> revoke(BigInteger serial, RevocationReason reason, boolean withPair, Requester requester);
}
