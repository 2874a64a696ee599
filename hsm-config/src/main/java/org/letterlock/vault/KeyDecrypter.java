package org.letterlock.vault;

/** Decryption with a private key that stays inside the vault. */
public interface KeyDecrypter {

    /**
     * Decrypts {@code ciphertext} with a JCA cipher transformation such as {@code RSA/ECB/PKCS1Padding};
     * a transformation the back-end lacks fails with {@link VaultException.Reason#UNSUPPORTED}.
     */
    byte[] decrypt(String transformation, byte[] ciphertext);
}
