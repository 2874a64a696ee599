package org.letterlock.escrow;

import java.math.BigInteger;
import java.time.Instant;

/**
 * One archived decryption key: the private key sealed to a recovery key, and who it belongs to. The signature covers
 * every other field ({@link ArchiveIntegrity}).
 */
public record ArchivedKey(
        String id,
        String mailbox,
        BigInteger certificateSerial,
        String recoveryKeyId,
        Origin origin,
        String keySpec,
        byte[] publicKeySha256,
        byte[] sealed,
        Instant createdAt,
        String createdBy,
        byte[] signature) {

    /** Where the key pair was made. */
    public enum Origin { SERVER, CLIENT }
}
