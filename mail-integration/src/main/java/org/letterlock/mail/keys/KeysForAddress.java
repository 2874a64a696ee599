package org.letterlock.mail.keys;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPUserId;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPImplementation;
import org.letterlock.keyserver.KeyLimits;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.mail.pgp.PgpRecipientKeys;
import org.letterlock.platform.error.LetterlockException;

/**
 * The OpenPGP keys in a WKD or HKP answer that mail to one address may be encrypted to. Each key is cleaned as the
 * keyserver cleans uploads (only what its owner signed, within the limits), must have a user ID for exactly that
 * address that is valid now (self-signed, neither revoked nor expired: draft-koch-openpgp-webkey-service 3.1 requires
 * the client to check it, and an HKP search by address also returns keys that merely mention it), and must have an
 * encryption subkey usable now. What is kept carries that one user ID only, so nothing else a peer attached travels on.
 */
final class KeysForAddress {
    private static final BcOpenPGPImplementation OPENPGP = new BcOpenPGPImplementation();

    /** The usable keys and, for the others, why each was refused. */
    record Sorted(List<PGPPublicKeyRing> usable, List<String> refusals) {
    }

    private KeysForAddress() {
    }

    /** @param address normalised; @throws LetterlockException BAD_REQUEST when the answer holds no readable public key */
    static Sorted sort(byte[] answer, String address, Instant now) {
        List<PGPPublicKeyRing> usable = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (PGPPublicKeyRing key : OpenPgpKeys.read(answer, KeyLimits.DEFAULT)) {
            try {
                PGPPublicKeyRing cleaned = OpenPgpKeys.clean(key, KeyLimits.DEFAULT).key();
                OpenPGPCertificate certificate = new OpenPGPCertificate(cleaned, OPENPGP);
                List<String> matching = matchingUserIds(certificate, address, now);
                PGPPublicKeyRing forAddress = OpenPgpKeys.view(cleaned, matching::contains);
                if (certificate.getRevocation(Date.from(now)) != null) {
                    refusals.add(refused(key, "revoked"));
                } else if (PgpRecipientKeys.encryptionSubkeys(cleaned, now).isEmpty()) {
                    refusals.add(refused(key, "no encryption key usable now (expired, revoked or none)"));
                } else if (matching.isEmpty()) {
                    refusals.add(refused(key, "no valid user ID for " + address));
                } else if (PgpRecipientKeys.encryptionSubkeys(forAddress, now).isEmpty()) {
                    // Its other user IDs' self-signatures (the primary one's expiry, say) kept it usable.
                    refusals.add(refused(key, "no encryption key usable with only the user IDs for " + address));
                } else {
                    usable.add(forAddress);
                }
            } catch (RuntimeException e) {
                // The keyserver's cleaning refused it, or Bouncy Castle read its packets but cannot work with them: the key's fault.
                refusals.add(refused(key, e.getMessage()));
            }
        }
        return new Sorted(usable, refusals);
    }

    /**
     * What an HTTP answer to a key lookup at {@code url} comes to: a 200 with keys usable for {@code address}, none
     * (a 404 or other final status, or keys all refused, each with its reason), or a temporary failure (5xx, 408, 429).
     */
    static Lookup lookup(Source source, URI url, PeerHttp.Answer answer, String address, Instant fetched) {
        if (answer.temporary()) {
            return Lookup.temporaryFailure(source, url.toString(), fetched, "HTTP " + answer.status());
        }
        if (answer.status() != 200) {
            return Lookup.noKey(source, url.toString(), fetched, "HTTP " + answer.status());
        }
        Sorted keys;
        try {
            keys = sort(answer.body(), address, fetched);
        } catch (LetterlockException e) {
            return Lookup.noKey(source, url.toString(), fetched, e.getMessage());
        }
        if (keys.usable().isEmpty()) {
            return Lookup.noKey(source, url.toString(), fetched, String.join("; ", keys.refusals()));
        }
        String found = keys.usable().size() + (keys.usable().size() == 1 ? " key" : " keys");
        return Lookup.found(source, url.toString(), fetched, List.of(), keys.usable(),
                keys.refusals().isEmpty() ? found : found + "; " + String.join("; ", keys.refusals()));
    }

    private static String refused(PGPPublicKeyRing key, String why) {
        return "key " + OpenPgpKeys.fingerprint(key.getPublicKey()) + " refused: " + why;
    }

    private static List<String> matchingUserIds(OpenPGPCertificate certificate, String address, Instant now) {
        return certificate.getValidUserIds(Date.from(now)).stream().map(OpenPGPUserId::getUserId)
                .filter(userId -> OpenPgpKeys.address(userId).filter(address::equals).isPresent()).toList();
    }
}
