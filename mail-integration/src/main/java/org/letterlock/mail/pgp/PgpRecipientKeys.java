package org.letterlock.mail.pgp;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPImplementation;

/**
 * Which keys of a recipient's OpenPGP key (RFC 9580 and RFC 4880) a message may be encrypted to at a given instant.
 * The gateway asks before it picks PGP/MIME for a recipient, so that key resolution can pass over a key nobody can
 * encrypt to, and {@link PgpMimeEncryption} asks again when it writes the message.
 */
public final class PgpRecipientKeys {
    private static final BcOpenPGPImplementation OPENPGP = new BcOpenPGPImplementation();

    private PgpRecipientKeys() {
    }

    /**
     * The key's usable encryption keys at {@code now}, empty when it has none: subkeys (and the primary key, only if
     * its own self-signature flags it for encryption) whose key flags say encrypt-communications or encrypt-storage,
     * bound by a binding signature that verifies, neither revoked nor expired, on a primary key that is itself valid
     * (a verified self-signature, not revoked, not expired). Bouncy Castle's certificate evaluation does the RFC 9580
     * reasoning (the latest self-signature at {@code now}, its key flags and expiry, revocations) under its default
     * policy, which also gives up on RSA, DSA and ElGamal keys under 2000 bits and on self-signatures hashed with SHA-1
     * after February 2023: gpg still encrypts to those, Letterlock does not.
     */
    public static List<PGPPublicKey> encryptionSubkeys(PGPPublicKeyRing key, Instant now) {
        return encryptionSubkeys(certificate(key), now);
    }

    static OpenPGPCertificate certificate(PGPPublicKeyRing key) {
        return new OpenPGPCertificate(key, OPENPGP);
    }

    static List<PGPPublicKey> encryptionSubkeys(OpenPGPCertificate certificate, Instant now) {
        return certificate.getEncryptionKeys(Date.from(now)).stream().map(OpenPGPComponentKey::getPGPPublicKey).toList();
    }
}
