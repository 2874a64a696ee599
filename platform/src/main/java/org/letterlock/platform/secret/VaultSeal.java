package org.letterlock.platform.secret;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Seals small secrets (passphrases, enrollment secrets) so that the database alone never reveals them: each is
 * encrypted with AES-256-GCM under a fresh data key, and the data key is encrypted to an RSA key that stays in the
 * vault. Sealing needs only the public key; opening is a vault key use, audited there. The caller's associated data
 * (the row's identity) binds a sealed value to its row.
 */
public final class VaultSeal {
    /** SunPKCS11 decrypts RSA PKCS#1 v1.5 only (see escrow's KeySealer); the sealed data key is never shown to anyone, so no padding oracle is exposed. */
    private static final String KEY_TRANSPORT = "RSA/ECB/PKCS1Padding";
    private static final byte FORMAT = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyVault vault;
    private final KeyUri key;
    private final PublicKey sealingKey;

    private VaultSeal(KeyVault vault, KeyUri key, PublicKey sealingKey) {
        this.vault = vault;
        this.key = key;
        this.sealingKey = sealingKey;
    }

    /** The seal of the RSA key {@code key}, made in the vault on first use. */
    public static VaultSeal of(KeyVault vault, KeyUri key) {
        return new VaultSeal(vault, key, vault.contains(key) ? vault.publicKey(key) : vault.createKey(key, KeySpec.RSA_3072));
    }

    public byte[] seal(byte[] plain, byte[] associatedData) {
        byte[] dataKey = new byte[32];
        RANDOM.nextBytes(dataKey);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher wrap = Cipher.getInstance(KEY_TRANSPORT);
            wrap.init(Cipher.ENCRYPT_MODE, sealingKey);
            byte[] wrapped = wrap.doFinal(dataKey);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(associatedData);
            byte[] sealed = gcm.doFinal(plain);
            return ByteBuffer.allocate(1 + 2 + wrapped.length + nonce.length + sealed.length).put(FORMAT).putShort((short) wrapped.length).put(wrapped)
                    .put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "sealing with " + key + " failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    /** Opens what {@link #seal} made with the same associated data; anything else is a CONFLICT naming {@code what}. */
    public byte[] open(byte[] sealed, byte[] associatedData, String what) {
        try {
            ByteBuffer in = ByteBuffer.wrap(sealed);
            if (in.get() != FORMAT) {
                throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " has an unknown format");
            }
            byte[] wrapped = new byte[in.getShort()];
            in.get(wrapped);
            byte[] nonce = new byte[12];
            in.get(nonce);
            byte[] ciphertext = new byte[in.remaining()];
            in.get(ciphertext);
            byte[] dataKey = vault.decrypter(key).orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE,
                    "the vault cannot decrypt with " + key)).decrypt(KEY_TRANSPORT, wrapped);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            Arrays.fill(dataKey, (byte) 0);
            gcm.updateAAD(associatedData);
            return gcm.doFinal(ciphertext);
        } catch (GeneralSecurityException | java.nio.BufferUnderflowException e) {
            throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " does not open: " + e.getMessage());
        }
    }
}
