package org.letterlock.vault;

import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.operator.ContentSigner;

/**
 * Key custody. Hands out public keys, signers and (where the back-end can) decrypters; never private key bytes.
 * Implementations are thread-safe.
 */
public interface KeyVault extends AutoCloseable {

    /** Makes a new key pair on the back-end, named {@code name}; private keys are non-extractable where the back-end can enforce it. */
    PublicKey createKey(KeyUri name, KeySpec spec);

    boolean contains(KeyUri name);

    PublicKey publicKey(KeyUri name);

    /** The names of all keys this vault holds. */
    List<KeyUri> keys();

    /** A signer with the key's default algorithm (see {@link KeySpec#signatureAlgorithm()}). */
    ContentSigner signer(KeyUri name);

    /** A signer for an explicit JCA signature algorithm, such as {@code SHA384withECDSA} or {@code SHA256withRSAandMGF1}. */
    ContentSigner signer(KeyUri name, String signatureAlgorithm);

    /** Decryption with the private key, for back-ends and keys that support it (RSA); empty otherwise. */
    Optional<KeyDecrypter> decrypter(KeyUri name);

    VaultStatus status();

    @Override
    void close();
}
