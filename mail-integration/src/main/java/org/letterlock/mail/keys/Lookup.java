package org.letterlock.mail.keys;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.mail.pgp.PgpRecipientKeys;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * What one source said about one address, with its provenance: the source, the URL asked and when.
 *
 * @param location     the URL (or LDAP URL) the answer came from; for a source with several peers, the one that found the
 *                     key, else the last one asked
 * @param fetchedAt    when the peer answered (a cached lookup keeps it, so its age shows)
 * @param certificates S/MIME certificates that passed every check, for {@link Outcome#FOUND}
 * @param openPgpKeys  OpenPGP keys that passed every check, reduced to the user IDs naming the address
 * @param detail       why: what was refused and for what reason, or what failed; names no message content
 */
public record Lookup(Source source, Outcome outcome, String location, Instant fetchedAt, List<X509Certificate> certificates,
                     List<PGPPublicKeyRing> openPgpKeys, String detail) {

    public Lookup {
        certificates = List.copyOf(certificates);
        openPgpKeys = List.copyOf(openPgpKeys);
    }

    static Lookup found(Source source, String location, Instant fetchedAt, List<X509Certificate> certificates, List<PGPPublicKeyRing> openPgpKeys,
                        String detail) {
        return new Lookup(source, Outcome.FOUND, location, fetchedAt, certificates, openPgpKeys, detail);
    }

    static Lookup noKey(Source source, String location, Instant fetchedAt, String detail) {
        return new Lookup(source, Outcome.NO_KEY, location, fetchedAt, List.of(), List.of(), detail);
    }

    static Lookup temporaryFailure(Source source, String location, Instant fetchedAt, String detail) {
        return new Lookup(source, Outcome.TEMPORARY_FAILURE, location, fetchedAt, List.of(), List.of(), detail);
    }

    /**
     * A lookup that failed with {@code error}: temporary when the peer was unavailable; else no key (its host name has no
     * address, or its answer was unusable).
     */
    static Lookup failed(Source source, String location, Instant at, LetterlockException error) {
        return error.type() == ErrorType.UNAVAILABLE ? temporaryFailure(source, location, at, error.getMessage()) : noKey(source, location, at, error.getMessage());
    }

    /**
     * This lookup as it stands at {@code now}: certificates past their validity and OpenPGP keys without an encryption
     * subkey usable now are dropped, so a key kept in the cache is never used after it expired. Empty when nothing is
     * left of a lookup that had found keys. Revocation is not asked again: a cached key is as fresh as its lifetime
     * in the cache.
     */
    Optional<Lookup> usableAt(Instant now) {
        if (outcome != Outcome.FOUND) {
            return Optional.of(this);
        }
        List<X509Certificate> valid = certificates.stream().filter(c -> validAt(c, now)).toList();
        List<PGPPublicKeyRing> usable = openPgpKeys.stream().filter(k -> !PgpRecipientKeys.encryptionSubkeys(k, now).isEmpty()).toList();
        if (valid.isEmpty() && usable.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Lookup(source, outcome, location, fetchedAt, valid, usable, detail));
    }

    static boolean validAt(X509Certificate certificate, Instant now) {
        try {
            certificate.checkValidity(Date.from(now));
            return true;
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            return false;
        }
    }
}
