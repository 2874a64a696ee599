package org.letterlock.vault;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.ContentVerifierProvider;

/**
 * Key custody. Hands out public keys, signers, (where the back-end can) decrypters, and ciphers over secret keys;
 * never private or secret key bytes. Implementations are thread-safe.
 */
public interface KeyVault extends AutoCloseable {

    /** Makes a new key pair on the back-end, named {@code name}; private keys are non-extractable where the back-end can enforce it. */
    PublicKey createKey(KeyUri name, KeySpec spec);

    /**
     * Makes a new AES-256 key on the back-end, named {@code name}, used through {@link #secretKeyCipher}. Its bytes
     * never leave the back-end: on a token it is sensitive and non-extractable, and no method here returns it.
     */
    void createSecretKey(KeyUri name);

    /** Whether a key pair or a secret key of that name exists. */
    boolean contains(KeyUri name);

    /** The public key of a key pair; a secret key has none ({@link VaultException.Reason#UNSUPPORTED}). */
    PublicKey publicKey(KeyUri name);

    /** The names of all keys this vault holds, key pairs and secret keys. */
    List<KeyUri> keys();

    /** A signer with the key's default algorithm (see {@link KeySpec#signatureAlgorithm()}). */
    ContentSigner signer(KeyUri name);

    /** A signer for an explicit JCA signature algorithm, such as {@code SHA384withECDSA} or {@code SHA256withRSAandMGF1}. */
    ContentSigner signer(KeyUri name, String signatureAlgorithm);

    /** Decryption with the private key, for back-ends and keys that support it (RSA); empty otherwise. */
    Optional<KeyDecrypter> decrypter(KeyUri name);

    /** Authenticated encryption with the secret key {@code name}; empty for a key pair. */
    Optional<SecretKeyCipher> secretKeyCipher(KeyUri name);

    /**
     * A TLS server context that authenticates with the EC or RSA key {@code name} where it lives: JSSE signs each
     * handshake through the back-end's provider and holds the key only as that provider's handle (on PKCS#11 a token
     * object that cannot be exported). {@code chain} is asked at each handshake, so a renewed certificate is served at
     * once; it starts with the key's own certificate. A chain for another key fails with INVALID_INPUT here and fails
     * the handshake later; while it is empty, handshakes fail. Other key types are UNSUPPORTED.
     */
    default SSLContext tlsServerContext(KeyUri name, Supplier<List<X509Certificate>> chain) {
        return tlsServerContext(name, chain, Optional.empty());
    }

    /** As {@link #tlsServerContext(KeyUri, Supplier)}, judging the certificates clients present with {@code clientTrust}. */
    SSLContext tlsServerContext(KeyUri name, Supplier<List<X509Certificate>> chain, Optional<X509TrustManager> clientTrust);

    /**
     * Checks signatures of {@code key}, which is none of the vault's (a certificate request's, say): in software, or
     * with the back-end's engines where those are faster. Fails with INVALID_INPUT for a key it cannot read.
     */
    default ContentVerifierProvider verifier(SubjectPublicKeyInfo key) {
        return SignatureVerifiers.software(key);
    }

    VaultStatus status();

    @Override
    void close();
}
