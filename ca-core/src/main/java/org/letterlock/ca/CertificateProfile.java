package org.letterlock.ca;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a certificate of one kind must look like, as data: the CA checks every certificate against its profile before
 * the issuing key signs it. A profile never changes once used; a change is a new version.
 *
 * @param keyUsage         the keyUsage bits required for each key family; a family not listed may not be certified
 * @param optionalKeyUsage bits a request may add (nonRepudiation on signing certificates)
 * @param extendedKeyUsage the exact EKU list
 * @param names            which subjectAltName entries the certificate carries
 * @param ocspNoCheck      carries id-pkix-ocsp-nocheck (delegated OCSP responders)
 * @param maxValidityDays  longest validity this profile allows
 * @param sbrPolicy        the CA/B Forum S/MIME reserved policy OID of this profile, written when the operator opts in
 */
public record CertificateProfile(
        String name,
        int version,
        Map<KeyFamily, Set<KeyUse>> keyUsage,
        Set<KeyUse> optionalKeyUsage,
        List<KeyPurposeId> extendedKeyUsage,
        Names names,
        boolean ocspNoCheck,
        int maxValidityDays,
        Optional<String> sbrPolicy) {

    /** The subjectAltName a profile calls for. */
    public enum Names {
        /** rfc822Name entries only, at least one: mailbox certificates. */
        MAILBOXES,
        /** dNSName entries, and iPAddress entries for address literals; at least one: mail host and listener certificates. */
        HOSTS,
        /** no subjectAltName: service certificates named by their subject. */
        NONE
    }

    /** The CA/Browser Forum S/MIME and Letterlock's own ceiling for any end-entity certificate. */
    public static final int MAX_VALIDITY_DAYS = 825;

    public CertificateProfile {
        if (maxValidityDays < 1 || maxValidityDays > MAX_VALIDITY_DAYS) {
            throw new IllegalArgumentException("profile " + name + ": validity must be 1 to " + MAX_VALIDITY_DAYS + " days");
        }
        keyUsage = Map.copyOf(keyUsage);
        optionalKeyUsage = Set.copyOf(optionalKeyUsage);
        extendedKeyUsage = List.copyOf(extendedKeyUsage);
    }

    public String id() {
        return name + "/v" + version;
    }
}
