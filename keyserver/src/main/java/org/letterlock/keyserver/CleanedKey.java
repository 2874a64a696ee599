package org.letterlock.keyserver;

import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * A key after cleaning: only what its owner signed is left. The counts say what was taken away, for the upload's
 * answer and the bulk import's summary.
 *
 * @param key                     the cleaned key
 * @param userIds                 the user IDs kept, as written in the key
 * @param thirdPartyCertifications certifications by other keys, dropped
 * @param invalidSignatures       self-signatures that did not verify (or were over the per-component cap), dropped
 * @param droppedUserIds          user IDs without a valid self-signature, or over the cap
 * @param droppedSubkeys          subkeys without a valid binding signature, or over the cap
 * @param droppedUserAttributes   user attributes (photo IDs) over the cap
 */
public record CleanedKey(PGPPublicKeyRing key, List<String> userIds, int thirdPartyCertifications, int invalidSignatures, int droppedUserIds,
                         int droppedSubkeys, int droppedUserAttributes) {

    public CleanedKey {
        userIds = List.copyOf(userIds);
    }
}
