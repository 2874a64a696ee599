package org.letterlock.mail.keys;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.letterlock.mail.smime.ContentCipher;
import org.letterlock.mail.smime.SmimeEncryption;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;

/**
 * Whether a certificate from a partner's directory may be encrypted to for an address. In order, cheapest first: valid
 * now; names the address (an rfc822Name in the subjectAltName, or an emailAddress in the subject); a key S/MIME
 * encryption can use (what {@link SmimeEncryption} demands: RSA of 2048 bits or more or EC P-256/384/521, keyUsage
 * keyEncipherment or keyAgreement, an extendedKeyUsage that allows emailProtection); a PKIX path (RFC 5280, the JDK's
 * {@link CertPathBuilder}) to one of the operator's trust anchors, through the operator's intermediates or the CA
 * certificates the entry carried; and not revoked, by OCSP or CRL for every certificate of the path
 * ({@link RevocationEvidence}, checked by the JDK's {@link PKIXRevocationChecker}). A status nobody could give is not
 * taken as good: the certificate is undetermined, a temporary failure.
 */
public final class PartnerCertificateCheck {
    private static final ASN1ObjectIdentifier EMAIL_ADDRESS = BCStyle.EmailAddress;
    private static final int RFC822_NAME = 1;

    private final Set<TrustAnchor> anchors;
    private final List<X509Certificate> intermediates;
    private final RevocationEvidence revocation;
    private final Clock clock;

    /** What a directory entry's certificates came to: those usable, and why each other one was not. */
    record Checked(List<X509Certificate> accepted, List<String> refusals, List<String> undetermined) {
    }

    /**
     * @param trustAnchors  the partner CAs' certificates the operator trusts (roots or issuing CAs); at least one
     * @param intermediates CA certificates between those anchors and the partners' certificates, when the directories do not carry them
     * @param revocationHttp fetches OCSP responses and CRLs
     */
    public PartnerCertificateCheck(Collection<X509Certificate> trustAnchors, Collection<X509Certificate> intermediates, PeerHttp revocationHttp, Clock clock) {
        if (trustAnchors.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "partner directories need at least one trusted partner CA certificate");
        }
        this.anchors = trustAnchors.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toUnmodifiableSet());
        this.intermediates = List.copyOf(intermediates);
        this.revocation = new RevocationEvidence(revocationHttp);
        this.clock = clock;
    }

    /**
     * Checks each end-entity certificate of {@code fromDirectory} for {@code address} (normalised); CA certificates
     * among them only help build paths.
     */
    Checked check(String address, Collection<X509Certificate> fromDirectory) {
        Instant now = clock.instant();
        List<X509Certificate> pool = new ArrayList<>(intermediates);
        List<X509Certificate> candidates = new ArrayList<>();
        for (X509Certificate certificate : new LinkedHashSet<>(fromDirectory)) {
            (certificate.getBasicConstraints() >= 0 ? pool : candidates).add(certificate);
        }
        List<X509Certificate> accepted = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        List<String> undetermined = new ArrayList<>();
        for (X509Certificate candidate : candidates) {
            Optional<String> refusal = refusal(candidate, address, now);
            if (refusal.isPresent()) {
                refusals.add(refusal.get());
                continue;
            }
            PKIXCertPathBuilderResult built;
            try {
                built = buildPath(candidate, pool, now);
            } catch (CertPathBuilderException e) {
                refusals.add(RevocationEvidence.name(candidate) + " refused: no path to a trusted partner CA (" + e.getMessage() + ")");
                continue;
            }
            List<String> missing = new ArrayList<>();
            List<X509Certificate> path = new ArrayList<>(certificates(built.getCertPath()));
            path.add(built.getTrustAnchor().getTrustedCert());
            Optional<RevocationEvidence.Gathered> evidence = revocation.gather(path, missing);
            if (evidence.isEmpty()) {
                undetermined.add(String.join("; ", missing));
                continue;
            }
            try {
                validate(built.getCertPath(), evidence.get(), now);
                accepted.add(candidate);
            } catch (CertPathValidatorException e) {
                if (e.getReason() == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
                    undetermined.add(RevocationEvidence.name(candidate) + ": revocation status undetermined (" + e.getMessage() + ")");
                } else {
                    String why = e.getReason() == CertPathValidatorException.BasicReason.REVOKED ? "revoked" : "path not valid";
                    refusals.add(RevocationEvidence.name(candidate) + " refused: " + why + " (" + e.getMessage() + ")");
                }
            }
        }
        return new Checked(accepted, refusals, undetermined);
    }

    /** What makes {@code candidate} unusable before any path is built, if anything. */
    private static Optional<String> refusal(X509Certificate candidate, String address, Instant now) {
        if (!Lookup.validAt(candidate, now)) {
            return Optional.of(RevocationEvidence.name(candidate) + " refused: not valid now (" + candidate.getNotBefore().toInstant() + " to "
                    + candidate.getNotAfter().toInstant() + ")");
        }
        if (!namesAddress(candidate, address)) {
            return Optional.of(RevocationEvidence.name(candidate) + " refused: does not name " + address);
        }
        try {
            SmimeEncryption.toCertificates(List.of(candidate), ContentCipher.AES256_GCM);
            return Optional.empty();
        } catch (LetterlockException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** RFC 8550 3: the address in the subjectAltName or, for older certificates, the subject's emailAddress. */
    private static boolean namesAddress(X509Certificate certificate, String address) {
        List<String> named = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                alternatives.stream().filter(n -> n.get(0) instanceof Integer type && type == RFC822_NAME).map(n -> String.valueOf(n.get(1))).forEach(named::add);
            }
        } catch (CertificateParsingException e) {
            return false;
        }
        for (RDN rdn : X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(EMAIL_ADDRESS)) {
            named.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
        }
        return named.stream().anyMatch(name -> normalised(name).filter(address::equals).isPresent());
    }

    private static Optional<String> normalised(String address) {
        try {
            return Optional.of(MailAddress.normalise(address));
        } catch (LetterlockException e) {
            return Optional.empty();
        }
    }

    /** A path to an anchor, revocation left for {@link #validate} once its evidence is gathered. */
    private PKIXCertPathBuilderResult buildPath(X509Certificate leaf, List<X509Certificate> pool, Instant now) throws CertPathBuilderException {
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
            parameters.setDate(Date.from(now));
            parameters.setRevocationEnabled(false);
            List<X509Certificate> known = new ArrayList<>(pool);
            known.add(leaf);
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(known)));
            return (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(parameters);
        } catch (CertPathBuilderException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's PKIX builder is not usable", e);
        }
    }

    private void validate(CertPath path, RevocationEvidence.Gathered evidence, Instant now) throws CertPathValidatorException {
        try {
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
            checker.setOptions(evidence.options());
            checker.setOcspResponses(evidence.ocspResponses());
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setDate(Date.from(now));
            parameters.addCertPathChecker(checker);
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(evidence.crls())));
            validator.validate(path, parameters);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's PKIX validator is not usable", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<X509Certificate> certificates(CertPath path) {
        return (List<X509Certificate>) path.getCertificates();
    }
}
