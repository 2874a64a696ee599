package org.letterlock.mail.keys;

/** What asking for a recipient's key came to. */
public enum Outcome {
    /** At least one key usable now. */
    FOUND,
    /** The peers answered and none had a usable key: the policy may fall back to its next choice. */
    NO_KEY,
    /**
     * A peer could not be asked or could not tell (down, timed out, answered 5xx, revocation status unknown): a key
     * may exist, so the policy should defer rather than send in clear.
     */
    TEMPORARY_FAILURE
}
