package org.letterlock.keyserver;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The keyserver's persistence. H2 and PostgreSQL behave the same. */
public interface KeyserverStore {

    /** By the fingerprint of the primary key or of a subkey. */
    Optional<StoredKey> byFingerprint(String fingerprint);

    /** The published view (binary) of the key whose primary fingerprint this is; one indexed read. */
    Optional<byte[]> publishedKey(String primaryFingerprint);

    /** Primary fingerprints of keys saved or deleted at or after {@code since}, by any node. */
    java.util.Set<String> changedSince(Instant since);

    /** By the 64-bit key ID of the primary key or of a subkey. */
    List<StoredKey> byKeyId(String keyId);

    /** Keys with a published user ID for this (normalised) address. */
    List<StoredKey> byPublishedAddress(String address);

    /** Keys with a published user ID in {@code domain}. */
    List<StoredKey> publishedInDomain(String domain);

    /** Keys with a published user ID in {@code domain} whose local part has this WKD hash. */
    List<StoredKey> byWkd(String domain, String hash);

    /**
     * Inserts the key (when {@code expectedUpdatedAt} is empty) or replaces it if it was last saved at
     * {@code expectedUpdatedAt}, with its subkeys and user IDs, in one transaction; false (nothing written) when another
     * save came first, so the caller reads again and redoes its change.
     */
    boolean save(StoredKey key, Optional<Instant> expectedUpdatedAt);

    /**
     * Inserts, in one transaction, each key whose fingerprint is not stored yet, with its subkeys and user IDs: true at
     * its place in the answer; false where the fingerprint was already there (or earlier in the list) or is blocked,
     * nothing written for it.
     */
    List<Boolean> insertNew(List<StoredKey> keys);

    enum Purpose { PUBLISH, UNPUBLISH }

    /** What a used token was for: publishing one key's user IDs for the address (key present), or unpublishing all of them. */
    record Token(Purpose purpose, Optional<String> keyFingerprint, String address) {
    }

    void insertToken(String tokenHash, Purpose purpose, Optional<String> keyFingerprint, String address, Instant createdAt, Instant expiresAt);

    /** Marks the token used if it is for {@code purpose}, unused and unexpired at {@code now}; empty otherwise. */
    Optional<Token> useToken(String tokenHash, Purpose purpose, Instant now);

    /** Every key with a user ID for the address, published or not. */
    List<StoredKey> byAddress(String address);

    /** Deletes the key, noting when (for the other nodes' caches); false if there was none. */
    boolean delete(String fingerprint, Instant at);

    void block(String fingerprint, String by, String reason, Instant at);

    boolean blocked(String fingerprint);

    /** Mails of this purpose sent to the address since {@code since}. */
    int tokensSince(String address, Purpose purpose, Instant since);
}
