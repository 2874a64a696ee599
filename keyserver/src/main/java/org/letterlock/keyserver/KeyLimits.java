package org.letterlock.keyserver;

/**
 * What one uploaded key may hold, so a flooded or oversized key is refused or cut down before it costs anything
 * (the 2019 SKS flooding, CVE-2019-13050).
 *
 * @param maxBytes           the upload as received (armored or binary)
 * @param maxUserIds         user IDs per key
 * @param maxSubkeys         subkeys per key
 * @param maxUserAttributes  user attributes (photo IDs) kept per key; 0 strips them
 * @param maxSelfSignatures  signatures claiming to be the key's own, verified per component (newest first); the rest are dropped unverified
 */
public record KeyLimits(int maxBytes, int maxUserIds, int maxSubkeys, int maxUserAttributes, int maxSelfSignatures) {

    public static final KeyLimits DEFAULT = new KeyLimits(1024 * 1024, 100, 50, 0, 16);
    /** For re-reading what was stored after cleaning: it met the limits of its day. */
    public static final KeyLimits UNLIMITED = new KeyLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
}
