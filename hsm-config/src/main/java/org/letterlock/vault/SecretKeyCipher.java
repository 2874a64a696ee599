package org.letterlock.vault;

/**
 * Authenticated encryption (AES-256-GCM) with a secret key that stays inside the vault. The vault picks a fresh random
 * 96-bit nonce for every encryption, so a caller cannot reuse one; random nonces keep one key safe for well over a
 * billion encryptions (NIST SP 800-38D allows 2^32), far more than the small secrets it is meant for.
 */
public interface SecretKeyCipher {
    /** The JCA transformation every back-end runs, also what the audit log names. */
    String TRANSFORMATION = "AES/GCM/NoPadding";
    int NONCE_BYTES = 12;
    int TAG_BYTES = 16;

    /** Encrypts {@code plain} bound to {@code associatedData}: the nonce, then the ciphertext with its 16-byte tag. */
    byte[] encrypt(byte[] plain, byte[] associatedData);

    /**
     * Opens what {@link #encrypt} made under the same key with the same associated data; anything else (tampered,
     * truncated, other associated data, another key) fails with {@link VaultException.Reason#INVALID_INPUT}.
     */
    byte[] decrypt(byte[] nonceAndCiphertext, byte[] associatedData);
}
