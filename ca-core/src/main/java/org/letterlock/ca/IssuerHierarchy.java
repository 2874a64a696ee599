package org.letterlock.ca;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.io.IOException;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Makes the CA certificates: a self-signed root and issuing CAs under it, keys created in the vault. CA certificates
 * carry critical basicConstraints with a path length, critical keyUsage keyCertSign + cRLSign, SKI, and AKI below the root.
 * An issuing CA serves one purpose, named by its extendedKeyUsage: emailProtection for the mailbox CA (S/MIME BR
 * 7.1.2.2 g), serverAuth and clientAuth for the TLS one (TLS BR 7.1.2.6); the mailbox CA also carries a critical
 * nameConstraints extension when its mailboxes are limited to some domains.
 */
public final class IssuerHierarchy {
    private static final BcX509ExtensionUtils EXTENSIONS = new BcX509ExtensionUtils();
    /**
     * S/MIME BR 7.1.2.2 and TLS BR 7.1.2.6 want certificatePolicies in a subordinate CA; anyPolicy is the choice for one
     * run by the root's own operator, and leaves the end-entity certificates' policy OIDs (configurable) in force.
     */
    private static final CertificatePolicies ANY_POLICY = new CertificatePolicies(new PolicyInformation(Extension.certificatePolicies.branch("0")));

    private final KeyVault vault;
    private final Clock clock;
    private final NameConstraints nameConstraints;

    public IssuerHierarchy(KeyVault vault, Clock clock) {
        this(vault, clock, List.of());
    }

    /** Issuing CAs made here may certify only mailboxes at {@code permittedMailDomains} and their subdomains (none: any). */
    public IssuerHierarchy(KeyVault vault, Clock clock, List<String> permittedMailDomains) {
        this.vault = vault;
        this.clock = clock;
        this.nameConstraints = permittedMailDomains.isEmpty() ? null : mailDomains(permittedMailDomains);
    }

    /** RFC 5280 4.2.1.10: "example.org" permits the addresses at that host, ".example.org" those at any host below it. */
    private static NameConstraints mailDomains(List<String> domains) {
        GeneralSubtree[] permitted = domains.stream()
                .flatMap(domain -> java.util.stream.Stream.of(domain, "." + domain))
                .map(name -> new GeneralSubtree(new GeneralName(GeneralName.rfc822Name, name)))
                .toArray(GeneralSubtree[]::new);
        return new NameConstraints(permitted, null);
    }

    /** A new root CA key and its self-signed certificate; path length 1 (one level of issuing CAs). */
    public X509CertificateHolder createRoot(KeyUri key, KeySpec spec, X500Name subject, Duration validity) {
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, spec).getEncoded());
        X509v3CertificateBuilder builder = caBuilder(subject, subject, publicKey, validity, 1);
        return builder.build(vault.signer(key));
    }

    /**
     * A new issuing CA key, certified by the root's key; path length 0 (it issues only end-entity certificates). The
     * certificate names where the root's CRL, OCSP and certificate are ({@code rootId} under {@code urls}).
     */
    public X509CertificateHolder createIssuing(IssuerRecord.Kind kind, KeyUri rootKey, X509CertificateHolder root, String rootId, CaUrls urls, KeyUri key,
                                               KeySpec spec, X500Name subject, Duration validity) {
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, spec).getEncoded());
        return certifyIssuing(kind, rootKey, root, rootId, urls, publicKey, subject, validity);
    }

    /** Certifies an issuing CA key made before, by {@link #requestIssuing} (a rollover takes its id with the request first). */
    public X509CertificateHolder certifyIssuing(IssuerRecord.Kind kind, KeyUri rootKey, X509CertificateHolder root, String rootId, CaUrls urls,
                                                SubjectPublicKeyInfo publicKey, X500Name subject, Duration validity) {
        X509v3CertificateBuilder builder = caBuilder(root.getSubject(), subject, publicKey, validity, 0);
        try {
            builder.addExtension(Extension.extendedKeyUsage, false, purposes(kind));
            builder.addExtension(Extension.certificatePolicies, false, ANY_POLICY);
            builder.addExtension(Extension.authorityKeyIdentifier, false, Issuer.authorityKeyIdentifier(root));
            builder.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
                    new DistributionPoint(new DistributionPointName(new GeneralNames(Issuer.uri(urls.crl(rootId)))), null, null)}));
            builder.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(new AccessDescription[] {
                    new AccessDescription(AccessDescription.id_ad_ocsp, Issuer.uri(urls.ocsp())),
                    new AccessDescription(AccessDescription.id_ad_caIssuers, Issuer.uri(urls.caCertificate(rootId)))}));
            if (nameConstraints != null && kind == IssuerRecord.Kind.ISSUING) {
                builder.addExtension(Extension.nameConstraints, true, nameConstraints);
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("could not encode an issuing CA extension", e);
        }
        return builder.build(vault.signer(rootKey));
    }

    /** A new issuing CA key and its PKCS#10 request, for an external or offline root to sign. */
    public PKCS10CertificationRequest requestIssuing(IssuerRecord.Kind kind, KeyUri key, KeySpec spec, X500Name subject) {
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, spec).getEncoded());
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            extensions.addExtension(Extension.subjectKeyIdentifier, false, EXTENSIONS.createSubjectKeyIdentifier(publicKey));
            extensions.addExtension(Extension.extendedKeyUsage, false, purposes(kind));
            extensions.addExtension(Extension.certificatePolicies, false, ANY_POLICY);
            if (nameConstraints != null && kind == IssuerRecord.Kind.ISSUING) {
                extensions.addExtension(Extension.nameConstraints, true, nameConstraints);
            }
            return new PKCS10CertificationRequestBuilder(subject, publicKey)
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(vault.signer(key));
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the issuing CA request", e);
        }
    }

    /** The one purpose an issuing CA serves; never anyExtendedKeyUsage, never OCSPSigning (it would let a CA sign for its siblings). */
    static ExtendedKeyUsage purposes(IssuerRecord.Kind kind) {
        return switch (kind) {
            case ISSUING -> new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection);
            case TLS_ISSUING -> new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
            case ROOT -> throw new IllegalArgumentException("a root CA certificate carries no extendedKeyUsage");
        };
    }

    private static final Map<KeyPurposeId, String> PURPOSE_NAMES = Map.of(KeyPurposeId.id_kp_emailProtection, "emailProtection",
            KeyPurposeId.id_kp_serverAuth, "serverAuth", KeyPurposeId.id_kp_clientAuth, "clientAuth", KeyPurposeId.id_kp_codeSigning, "codeSigning",
            KeyPurposeId.id_kp_timeStamping, "timeStamping", KeyPurposeId.id_kp_OCSPSigning, "OCSPSigning", KeyPurposeId.anyExtendedKeyUsage, "anyExtendedKeyUsage");

    /**
     * Why a CA certificate's extendedKeyUsage does not let it serve as an issuing CA of {@code kind} (S/MIME BR 7.1.2.2
     * g; TLS BR 7.1.2.6): the kind's purpose must be there and the other purposes must not. Empty when it serves.
     */
    static Optional<String> purposeProblem(IssuerRecord.Kind kind, ExtendedKeyUsage usages) {
        KeyPurposeId required = kind == IssuerRecord.Kind.TLS_ISSUING ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_emailProtection;
        KeyPurposeId other = kind == IssuerRecord.Kind.TLS_ISSUING ? KeyPurposeId.id_kp_emailProtection : KeyPurposeId.id_kp_serverAuth;
        List<KeyPurposeId> forbidden = List.of(other, KeyPurposeId.id_kp_codeSigning, KeyPurposeId.id_kp_timeStamping, KeyPurposeId.id_kp_OCSPSigning,
                KeyPurposeId.anyExtendedKeyUsage);
        Set<KeyPurposeId> present = usages == null ? Set.of() : new HashSet<>(Arrays.asList(usages.getUsages()));
        if (present.contains(required) && forbidden.stream().noneMatch(present::contains)) {
            return Optional.empty();
        }
        return Optional.of("a " + kind.label() + " CA serves one purpose: its extendedKeyUsage must include " + PURPOSE_NAMES.get(required) + " and none of "
                + forbidden.stream().map(PURPOSE_NAMES::get).toList() + " (this one: " + (usages == null ? "no extendedKeyUsage"
                : present.stream().map(p -> PURPOSE_NAMES.getOrDefault(p, p.getId())).sorted().toList()) + "); sign it with extendedKeyUsage="
                + Arrays.stream(purposes(kind).getUsages()).map(PURPOSE_NAMES::get).collect(java.util.stream.Collectors.joining(","))
                + " (a CSR made before Letterlock asked for it does not ask for it)");
    }

    private X509v3CertificateBuilder caBuilder(X500Name issuer, X500Name subject, SubjectPublicKeyInfo publicKey, Duration validity, int pathLength) {
        Instant notBefore = clock.instant().minusSeconds(60);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer, Serials.next(), Date.from(notBefore),
                Date.from(notBefore.plus(validity)), subject, publicKey);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, EXTENSIONS.createSubjectKeyIdentifier(publicKey));
        } catch (CertIOException e) {
            throw new IllegalStateException("could not encode a CA certificate extension", e);
        }
        return builder;
    }
}
