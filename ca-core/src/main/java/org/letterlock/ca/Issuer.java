package org.letterlock.ca;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.util.IPAddress;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/** An issuing CA: its certificate, its key in the vault, and the policy its certificates carry. */
public final class Issuer {
    private static final BcX509ExtensionUtils EXTENSIONS = new BcX509ExtensionUtils();

    private final KeyVault vault;
    private final KeyUri key;
    private final X509CertificateHolder certificate;
    private final IssuancePolicy policy;
    private final Clock clock;
    /** What every certificate of this issuer carries alike, made once: BC reparses the issuer's times and extensions on each call. */
    private final Instant issuerNotAfter;
    private final List<Extension> commonExtensions;
    /** The issuer certificate's own nameConstraints (ours, or an external root's), checked before signing; null when it has none. */
    private final PKIXNameConstraintValidator nameConstraints;
    private final String nameConstraintsText;

    public Issuer(KeyVault vault, KeyUri key, X509CertificateHolder certificate, IssuancePolicy policy, Clock clock) {
        this.vault = vault;
        this.key = key;
        this.certificate = certificate;
        this.policy = policy;
        this.clock = clock;
        this.issuerNotAfter = certificate.getNotAfter().toInstant();
        try {
            this.commonExtensions = List.of(
                    new Extension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(certificate).getEncoded()),
                    new Extension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
                            new DistributionPoint(new DistributionPointName(new GeneralNames(uri(policy.crlUrl()))), null, null)}).getEncoded()),
                    new Extension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(new AccessDescription[] {
                            new AccessDescription(AccessDescription.id_ad_ocsp, uri(policy.ocspUrl())),
                            new AccessDescription(AccessDescription.id_ad_caIssuers, uri(policy.caIssuersUrl()))}).getEncoded()));
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the issuer's certificate extensions", e);
        }
        Extension constraintsExtension = certificate.getExtension(Extension.nameConstraints);
        NameConstraints constraints = constraintsExtension == null ? null : NameConstraints.getInstance(constraintsExtension.getParsedValue());
        if (constraints == null) {
            this.nameConstraints = null;
            this.nameConstraintsText = "";
        } else {
            this.nameConstraints = new PKIXNameConstraintValidator();
            List<String> text = new ArrayList<>();
            if (constraints.getPermittedSubtrees() != null) {
                nameConstraints.intersectPermittedSubtree(constraints.getPermittedSubtrees());
                text.add("permitted " + Arrays.stream(constraints.getPermittedSubtrees()).map(t -> t.getBase().getName().toString()).toList());
            }
            if (constraints.getExcludedSubtrees() != null) {
                for (GeneralSubtree excluded : constraints.getExcludedSubtrees()) {
                    nameConstraints.addExcludedSubtree(excluded);
                }
                text.add("excluded " + Arrays.stream(constraints.getExcludedSubtrees()).map(t -> t.getBase().getName().toString()).toList());
            }
            this.nameConstraintsText = String.join(", ", text);
        }
    }

    /** A certificate outside the issuer's name constraints would be refused by every relying party: a 400 before signing. */
    private void requireWithinNameConstraints(X500Name subject, GeneralNames alternativeNames) {
        if (nameConstraints == null) {
            return;
        }
        try {
            nameConstraints.checkPermittedDN(subject);
            nameConstraints.checkExcludedDN(subject);
            for (GeneralName name : alternativeNames == null ? new GeneralName[0] : alternativeNames.getNames()) {
                try {
                    nameConstraints.checkPermitted(name);
                    nameConstraints.checkExcluded(name);
                } catch (NameConstraintValidatorException e) {
                    throw new LetterlockException(ErrorType.BAD_REQUEST, name.getName() + " is outside the issuing CA's name constraints (" + nameConstraintsText + ")");
                }
            }
        } catch (NameConstraintValidatorException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the subject " + subject + " is outside the issuing CA's name constraints (" + nameConstraintsText + ")");
        }
    }

    public X509CertificateHolder certificate() {
        return certificate;
    }

    /**
     * Issues an end-entity certificate under {@code profile}. {@code names} are the subjectAltName values (mailbox
     * addresses or host names, as the profile says); {@code extraUses} may ask for the profile's optional key usages.
     */
    public X509CertificateHolder issue(CertificateProfile profile, SubjectPublicKeyInfo subjectKey, X500Name subject, List<String> names,
                                       Set<KeyUse> extraUses, Duration validity) {
        return issue(profile, subjectKey, subject, names, extraUses, validity, vault::signer);
    }

    /** The key's family, if {@code profile} certifies it; BAD_REQUEST otherwise. */
    static KeyFamily requireCertifiable(CertificateProfile profile, SubjectPublicKeyInfo subjectKey) {
        KeyFamily family = KeyFamily.of(subjectKey);
        if (family == null || !profile.keyUsage().containsKey(family)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "profile " + profile.name() + " does not certify "
                    + (family == null ? "this key type" : family + " keys") + "; it takes " + profile.keyUsage().keySet());
        }
        return family;
    }

    /** As above, signing with the issuing key through {@code signers} (an audited vault's deferred signer, say). */
    public X509CertificateHolder issue(CertificateProfile profile, SubjectPublicKeyInfo subjectKey, X500Name subject, List<String> names,
                                       Set<KeyUse> extraUses, Duration validity, Function<KeyUri, ContentSigner> signers) {
        KeyFamily family = requireCertifiable(profile, subjectKey);
        if (!profile.optionalKeyUsage().containsAll(extraUses)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "profile " + profile.name() + " allows only " + profile.optionalKeyUsage() + " in addition");
        }
        GeneralNames alternativeNames = alternativeNames(profile, names);
        requireWithinNameConstraints(subject, alternativeNames);
        if (validity.isNegative() || validity.isZero() || validity.toDays() > profile.maxValidityDays()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "validity must be 1 to " + profile.maxValidityDays() + " days for " + profile.name());
        }
        Instant notBefore = clock.instant().minusSeconds(60);
        // Validity counts both ends (RFC 5280 4.1.2.5), so a 365-day certificate ends one second before the 365th day is out;
        // and no certificate outlives the CA that signs it.
        Instant notAfter = notBefore.plus(validity).minusSeconds(1);
        if (notAfter.isAfter(issuerNotAfter)) {
            notAfter = issuerNotAfter;
        }
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(certificate.getSubject(), Serials.next(),
                Asn1Times.time(notBefore), Asn1Times.time(notAfter), subject, subjectKey);
        try {
            int usage = 0;
            for (KeyUse use : profile.keyUsage().get(family)) {
                usage |= use.bit();
            }
            for (KeyUse use : extraUses) {
                usage |= use.bit();
            }
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            if (!profile.extendedKeyUsage().isEmpty()) {
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(profile.extendedKeyUsage().toArray(KeyPurposeId[]::new)));
            }
            if (alternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, subject.getRDNs().length == 0, alternativeNames);
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false, EXTENSIONS.createSubjectKeyIdentifier(subjectKey));
            for (Extension extension : commonExtensions) {
                builder.addExtension(extension);
            }
            List<PolicyInformation> policies = new ArrayList<>();
            if (policy.sbrPolicies() && profile.sbrPolicy().isPresent()) {
                policies.add(new PolicyInformation(new ASN1ObjectIdentifier(profile.sbrPolicy().get())));
            }
            for (ASN1ObjectIdentifier oid : policy.policies()) {
                policies.add(new PolicyInformation(oid));
            }
            builder.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(policies.toArray(PolicyInformation[]::new)));
            if (profile.ocspNoCheck()) {
                builder.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("could not encode a certificate extension", e);
        }
        return builder.build(new ProfileCheckingSigner(signers.apply(key), profile));
    }

    private static GeneralNames alternativeNames(CertificateProfile profile, List<String> names) {
        return switch (profile.names()) {
            case NONE -> {
                if (!names.isEmpty()) {
                    throw new LetterlockException(ErrorType.BAD_REQUEST, "profile " + profile.name() + " takes no subjectAltName");
                }
                yield null;
            }
            case MAILBOXES, HOSTS -> {
                if (names.isEmpty()) {
                    throw new LetterlockException(ErrorType.BAD_REQUEST, "profile " + profile.name() + " needs at least one "
                            + (profile.names() == CertificateProfile.Names.MAILBOXES ? "mailbox address" : "host name"));
                }
                boolean mailboxes = profile.names() == CertificateProfile.Names.MAILBOXES;
                yield new GeneralNames(names.stream().map(n -> new GeneralName(mailboxes ? GeneralName.rfc822Name
                        : IPAddress.isValid(n) ? GeneralName.iPAddress : GeneralName.dNSName, n)).toArray(GeneralName[]::new));
            }
        };
    }

    static AuthorityKeyIdentifier authorityKeyIdentifier(X509CertificateHolder issuer) {
        SubjectKeyIdentifier ski = SubjectKeyIdentifier.fromExtensions(issuer.getExtensions());
        if (ski == null) {
            throw new IllegalStateException("issuing certificate " + issuer.getSubject() + " has no subjectKeyIdentifier");
        }
        return new AuthorityKeyIdentifier(ski.getKeyIdentifier());
    }

    static GeneralName uri(URI value) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, value.toString());
    }
}
