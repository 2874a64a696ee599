package org.letterlock.platform.secret;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.SecretKeyCipher;
import org.letterlock.vault.VaultException;

/**
 * Seals small secrets (passphrases, enrollment secrets) so that the database alone never reveals them: each is
 * encrypted with AES-256-GCM under a secret key that never leaves the vault (on a token, the token encrypts). Sealing
 * and opening are vault key uses, audited there. The caller's associated data (the row's identity) binds a sealed
 * value to its row.
 * <p>
 * Values sealed before that (format 1) hold a fresh data key encrypted to an RSA key in the vault; they still open, at
 * the cost of one RSA decryption each (docs/decisions/013).
 */
public final class VaultSeal {
    /** Format 1: RSA-wrapped data key, nonce, GCM ciphertext under the data key. Read only. */
    private static final byte RSA_WRAPPED_DATA_KEY = 1;
    /** Format 2: the vault's nonce and GCM ciphertext under the vault's secret key ({@link SecretKeyCipher#encrypt}). */
    private static final byte VAULT_SECRET_KEY = 2;
    /** SunPKCS11 decrypts RSA PKCS#1 v1.5 only (see escrow's KeySealer); the sealed data key is never shown to anyone, so no padding oracle is exposed. */
    private static final String KEY_TRANSPORT = "RSA/ECB/PKCS1Padding";
    /** Appended to the seal's name for its secret key: {@code enroll-secrets} seals with {@code enroll-secrets-aes}. */
    private static final String SECRET_KEY_SUFFIX = "-aes";

    private final KeyVault vault;
    private final KeyUri rsaKey;
    private final SecretKeyCipher cipher;

    private VaultSeal(KeyVault vault, KeyUri rsaKey, SecretKeyCipher cipher) {
        this.vault = vault;
        this.rsaKey = rsaKey;
        this.cipher = cipher;
    }

    /**
     * The seal named {@code key}: it seals with the secret key {@code key}'s object name + {@code -aes}, made in the
     * vault on first use, and opens format-1 values with the RSA key {@code key} itself, where earlier versions made it.
     */
    public static VaultSeal of(KeyVault vault, KeyUri key) {
        KeyUri secretKey = KeyUri.of(key.token(), key.object() + SECRET_KEY_SUFFIX);
        if (!vault.contains(secretKey)) {
            vault.createSecretKey(secretKey);
        }
        SecretKeyCipher cipher = vault.secretKeyCipher(secretKey).orElseThrow(() -> new LetterlockException(ErrorType.INTERNAL,
                "vault key " + secretKey + " is a key pair, not the secret key seals are made with; remove it or rename the seal"));
        return new VaultSeal(vault, key, cipher);
    }

    public byte[] seal(byte[] plain, byte[] associatedData) {
        byte[] sealed = cipher.encrypt(plain, associatedData);
        return ByteBuffer.allocate(1 + sealed.length).put(VAULT_SECRET_KEY).put(sealed).array();
    }

    /** Opens what {@link #seal} (or format 1) made with the same associated data; anything else is a CONFLICT naming {@code what}. */
    public byte[] open(byte[] sealed, byte[] associatedData, String what) {
        if (sealed.length == 0) {
            throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " is empty");
        }
        try {
            return switch (sealed[0]) {
                case VAULT_SECRET_KEY -> cipher.decrypt(Arrays.copyOfRange(sealed, 1, sealed.length), associatedData);
                case RSA_WRAPPED_DATA_KEY -> openRsaWrapped(ByteBuffer.wrap(sealed, 1, sealed.length - 1), associatedData);
                default -> throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " has an unknown format (" + sealed[0] + ")");
            };
        } catch (GeneralSecurityException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " does not open: " + e.getMessage());
        } catch (VaultException e) {
            if (e.reason() == VaultException.Reason.INVALID_INPUT) {
                throw new LetterlockException(ErrorType.CONFLICT, "the sealed " + what + " does not open: " + e.getMessage());
            }
            throw e;
        }
    }

    private byte[] openRsaWrapped(ByteBuffer in, byte[] associatedData) throws GeneralSecurityException {
        byte[] wrapped = new byte[Short.toUnsignedInt(in.getShort())];
        in.get(wrapped);
        byte[] nonce = new byte[SecretKeyCipher.NONCE_BYTES];
        in.get(nonce);
        byte[] ciphertext = new byte[in.remaining()];
        in.get(ciphertext);
        byte[] dataKey = vault.decrypter(rsaKey).orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE,
                "the vault cannot decrypt with " + rsaKey)).decrypt(KEY_TRANSPORT, wrapped);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        try {
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(SecretKeyCipher.TAG_BYTES * 8, nonce));
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
        gcm.updateAAD(associatedData);
        return gcm.doFinal(ciphertext);
    }
}
