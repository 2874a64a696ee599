package org.letterlock.mail.smime;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.auth.DestroyFailedException;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.PasswordRecipient.PRF;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JcePasswordRecipientInfoGenerator;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * A password recipient (CMS PWRI, RFC 3211): PBKDF2 with HMAC-SHA256 over the password's UTF-8 bytes makes an AES-256
 * key-encryption key, which wraps the content key with the RFC 3211 AES-256-CBC wrap. The key is derived once, when the
 * recipient is made, so the password is not held afterwards; every message encrypted for this recipient shares that
 * salt, as one recipient key would.
 */
final class PasswordRecipient implements Recipient {
    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; OpenSSL 3.0 reads it (its own default is 2048 with HMAC-SHA1). */
    static final int ITERATIONS = 600_000;
    private static final int SALT_BYTES = 16;
    private static final int KEY_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] salt;
    private final byte[] keyEncryptionKey;

    private PasswordRecipient(byte[] salt, byte[] keyEncryptionKey) {
        this.salt = salt;
        this.keyEncryptionKey = keyEncryptionKey;
    }

    /** Derives the key-encryption key from {@code password}, which this neither keeps nor clears: it is the caller's. */
    static PasswordRecipient derive(char[] password) {
        if (password.length == 0) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the password for S/MIME encryption is empty");
        }
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        // The JDK's PBKDF2 takes the password's UTF-8 bytes too, and hashes with the CPU's SHA instructions: 151 ms for
        // 600,000 iterations here against Bouncy Castle's 328 ms.
        PBEKeySpec spec = new PBEKeySpec(password, salt, ITERATIONS, KEY_BITS);
        SecretKey derived = null;
        try {
            derived = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256", "SunJCE").generateSecret(spec);
            return new PasswordRecipient(salt, derived.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the key-encryption key with the JDK's PBKDF2WithHmacSHA256: " + e.getMessage(), e);
        } finally {
            spec.clearPassword();
            forget(derived);
        }
    }

    /** Wipes the JDK's key object's copies of the password and the key now; should it refuse, its cleaner does when it is collected. */
    private static void forget(SecretKey derived) {
        if (derived != null) {
            try {
                derived.destroy();
            } catch (DestroyFailedException e) {
                // Left to the key's cleaner.
            }
        }
    }

    /**
     * Bouncy Castle's generator writes the PBKDF2 parameters and does the RFC 3211 wrap, but derives the key from a
     * password it holds; here it gets none and is handed the key derived before, for the same salt, count and PRF.
     */
    @Override
    public RecipientInfoGenerator infoGenerator() {
        JcePasswordRecipientInfoGenerator generator = new JcePasswordRecipientInfoGenerator(CMSAlgorithm.AES256_CBC, new char[0]) {
            @Override
            protected byte[] calculateDerivedKey(int scheme, AlgorithmIdentifier derivation, int keySize) {
                return keyEncryptionKey.clone();
            }
        };
        generator.setProvider(BouncyCastle.PROVIDER);
        generator.setPRF(PRF.HMacSHA256);
        generator.setSaltAndIterationCount(salt, ITERATIONS);
        return generator;
    }
}
