package org.letterlock.keyserver;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A key as the keyserver holds it: the cleaned full key, the published form served to everyone, and its user IDs
 * with the time each was confirmed by its mailbox.
 */
public record StoredKey(
        String fingerprint,
        String keyId,
        int version,
        int algorithm,
        int bits,
        Instant keyCreatedAt,
        Optional<Instant> expiresAt,
        boolean revoked,
        byte[] fullKey,
        byte[] publishedKey,
        Instant uploadedAt,
        Instant updatedAt,
        List<UserId> userIds,
        List<Subkey> subkeys) {

    public record UserId(String text, Optional<String> address, Optional<Instant> publishedAt) {
        public boolean published() {
            return publishedAt.isPresent();
        }
    }

    public record Subkey(String fingerprint, String keyId) {
    }

    public StoredKey {
        userIds = List.copyOf(userIds);
        subkeys = List.copyOf(subkeys);
    }

    public List<UserId> publishedUserIds() {
        return userIds.stream().filter(UserId::published).toList();
    }
}
