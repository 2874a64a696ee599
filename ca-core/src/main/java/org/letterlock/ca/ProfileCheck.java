package org.letterlock.ca;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.TBSCertificate;

/**
 * Checks a to-be-signed certificate against its profile. Runs on the exact bytes the issuing key is about to sign,
 * so a certificate that breaks its profile is a bug report and never an issued certificate.
 */
public final class ProfileCheck {
    private ProfileCheck() {
    }

    /** Every way {@code tbs} breaks {@code profile}; empty when it conforms. */
    public static List<String> violations(TBSCertificate tbs, CertificateProfile profile) {
        List<String> problems = new ArrayList<>();
        Extensions extensions = tbs.getExtensions();
        if (extensions == null) {
            return List.of("no extensions at all");
        }
        BigInteger serial = tbs.getSerialNumber().getValue();
        if (serial.signum() <= 0 || serial.bitLength() < 64) {
            problems.add("serial number must be positive with at least 64 random bits, has " + serial.bitLength() + " bits");
        }
        Duration validity = Duration.between(Asn1Times.instant(tbs.getStartDate()), Asn1Times.instant(tbs.getEndDate()));
        if (validity.toDays() > profile.maxValidityDays() || validity.isNegative()) {
            problems.add("validity of " + validity.toDays() + " days exceeds the profile's " + profile.maxValidityDays());
        }
        KeyFamily family = KeyFamily.of(tbs.getSubjectPublicKeyInfo());
        checkKeyUsage(extensions, profile, family, problems);
        checkExtendedKeyUsage(extensions, profile, problems);
        checkNames(extensions, profile, problems);
        BasicConstraints constraints = BasicConstraints.fromExtensions(extensions);
        if (constraints != null && constraints.isCA()) {
            problems.add("an end-entity certificate must not be a CA");
        }
        for (ASN1ObjectIdentifier required : List.of(Extension.subjectKeyIdentifier, Extension.authorityKeyIdentifier,
                Extension.cRLDistributionPoints, Extension.certificatePolicies)) {
            if (extensions.getExtension(required) == null) {
                problems.add("missing extension " + required);
            }
        }
        checkAuthorityInformationAccess(extensions, problems);
        boolean hasNoCheck = extensions.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck) != null;
        if (hasNoCheck != profile.ocspNoCheck()) {
            problems.add(profile.ocspNoCheck() ? "missing id-pkix-ocsp-nocheck" : "id-pkix-ocsp-nocheck on a certificate that is not an OCSP responder's");
        }
        return problems;
    }

    private static void checkKeyUsage(Extensions extensions, CertificateProfile profile, KeyFamily family, List<String> problems) {
        Extension extension = extensions.getExtension(Extension.keyUsage);
        if (extension == null || !extension.isCritical()) {
            problems.add("keyUsage must be present and critical");
            return;
        }
        if (family == null || !profile.keyUsage().containsKey(family)) {
            problems.add("profile " + profile.id() + " does not certify " + (family == null ? "this key type" : family + " keys"));
            return;
        }
        KeyUsage usage = KeyUsage.getInstance(extension.getParsedValue());
        Set<KeyUse> present = EnumSet.noneOf(KeyUse.class);
        Arrays.stream(KeyUse.values()).filter(u -> usage.hasUsages(u.bit())).forEach(present::add);
        Set<KeyUse> required = profile.keyUsage().get(family);
        if (!present.containsAll(required)) {
            problems.add("keyUsage lacks " + difference(required, present));
        }
        Set<KeyUse> allowed = new HashSet<>(required);
        allowed.addAll(profile.optionalKeyUsage());
        if (!allowed.containsAll(present)) {
            problems.add("keyUsage has " + difference(present, allowed) + " which " + profile.id() + " does not allow for " + family + " keys");
        }
    }

    private static void checkExtendedKeyUsage(Extensions extensions, CertificateProfile profile, List<String> problems) {
        ExtendedKeyUsage eku = ExtendedKeyUsage.fromExtensions(extensions);
        List<KeyPurposeId> present = eku == null ? List.of() : List.of(eku.getUsages());
        if (!new HashSet<>(present).equals(new HashSet<>(profile.extendedKeyUsage()))) {
            problems.add("extendedKeyUsage must be exactly " + profile.extendedKeyUsage() + ", is " + present);
        }
    }

    private static void checkNames(Extensions extensions, CertificateProfile profile, List<String> problems) {
        GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        GeneralName[] entries = names == null ? new GeneralName[0] : names.getNames();
        Set<Integer> allowed = switch (profile.names()) {
            case MAILBOXES -> Set.of(GeneralName.rfc822Name);
            case HOSTS -> Set.of(GeneralName.dNSName, GeneralName.iPAddress);
            case NONE -> Set.of();
        };
        if (allowed.isEmpty()) {
            if (entries.length > 0) {
                problems.add("profile " + profile.id() + " carries no subjectAltName");
            }
            return;
        }
        boolean mailboxes = profile.names() == CertificateProfile.Names.MAILBOXES;
        if (entries.length == 0) {
            problems.add("subjectAltName must name at least one " + (mailboxes ? "mailbox" : "host"));
        }
        for (GeneralName entry : entries) {
            if (!allowed.contains(entry.getTagNo())) {
                problems.add("subjectAltName may only hold " + (mailboxes ? "rfc822Name" : "dNSName and iPAddress") + " entries");
            }
        }
    }

    private static void checkAuthorityInformationAccess(Extensions extensions, List<String> problems) {
        AuthorityInformationAccess access = AuthorityInformationAccess.fromExtensions(extensions);
        Set<ASN1ObjectIdentifier> methods = new HashSet<>();
        if (access != null) {
            for (AccessDescription description : access.getAccessDescriptions()) {
                methods.add(description.getAccessMethod());
            }
        }
        if (!methods.contains(AccessDescription.id_ad_ocsp) || !methods.contains(AccessDescription.id_ad_caIssuers)) {
            problems.add("authorityInformationAccess must give both OCSP and caIssuers URLs");
        }
    }

    private static Set<KeyUse> difference(Set<KeyUse> a, Set<KeyUse> b) {
        Set<KeyUse> result = EnumSet.noneOf(KeyUse.class);
        result.addAll(a);
        result.removeAll(b);
        return result;
    }
}
