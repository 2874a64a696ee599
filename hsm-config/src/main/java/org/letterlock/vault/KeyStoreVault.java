package org.letterlock.vault;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.ContentVerifierProvider;

/**
 * A vault over a JCA {@link KeyStore}: the PKCS#11 key store of SunPKCS11, or a BCFKS key store in memory or in a file.
 * Every back-end needs a certificate beside each private key to store it, so a self-signed holder certificate
 * (subject CN = the object name) is made with the key; it only names the key and is never published. Secret (AES) keys
 * are secret key entries of the same store, protected as its private keys are.
 */
public final class KeyStoreVault implements KeyVault {

    /** What differs between back-ends once the key store is open. */
    public interface Backing {
        /** Writes the key store where it lives, after a key was added; a no-op for tokens that store on their own. */
        void persist(KeyStore store);

        void close();

        /**
         * Lets JSSE use keys of {@code provider}: it looks for signature engines among the registered providers only,
         * so a token's provider must be registered before a handshake signs with one of its keys. Software keys are
         * usable by the JDK's own engines and need nothing.
         */
        default void offerToJsse(Provider provider) {
        }

        /**
         * Whether EC signatures of keys from outside are checked faster by the provider than in Java. SoftHSM2 runs
         * OpenSSL in this process: 2.5x Bouncy Castle's rate on P-256 here, with 2 threads. A networked HSM would add a
         * round trip to each check and spend its capacity on work that needs no secret.
         */
        default boolean checksEcSignaturesFaster() {
            return false;
        }
    }

    /** Raw RSA (NoPadding) is the signature operation under another name: a decrypter must never offer it. */
    private static final Pattern PADDED_RSA = Pattern.compile("RSA/(ECB|NONE)/(OAEP[A-Za-z0-9-]*|PKCS1Padding)", Pattern.CASE_INSENSITIVE);
    private static final SecureRandom NONCES = new SecureRandom();

    private final String tokenLabel;
    private final KeyStore store;
    private final Provider provider;
    private final char[] entryPassword;
    private final Backing backing;
    private final VaultStatus status;
    /** Private and secret keys as the provider hands them out: on a token, handles to objects that stay there. */
    private final ConcurrentMap<String, Key> loadedKeys = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, PublicKey> publicKeys = new ConcurrentHashMap<>();

    /**
     * @param provider      the provider that makes keys and uses them (SunPKCS11 for a token, Bouncy Castle otherwise)
     * @param entryPassword the per-entry password (null for PKCS#11, where the login protects every key)
     */
    public KeyStoreVault(String tokenLabel, KeyStore store, Provider provider, char[] entryPassword, Backing backing, VaultStatus status) {
        this.tokenLabel = tokenLabel;
        this.store = store;
        this.provider = provider;
        this.entryPassword = entryPassword;
        this.backing = backing;
        this.status = status;
    }

    @Override
    public synchronized PublicKey createKey(KeyUri name, KeySpec spec) {
        String alias = aliasOf(name);
        if (contains(name)) {
            throw new VaultException(VaultException.Reason.KEY_EXISTS, "key " + name + " exists already; choose another object name");
        }
        KeyPair pair = generate(spec);
        try {
            X509Certificate holder = holderCertificate(alias, pair, spec);
            store.setKeyEntry(alias, pair.getPrivate(), entryPassword, new Certificate[] {holder});
            backing.persist(store);
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "could not store key " + name + " on " + status.description() + ": " + e.getMessage(), e);
        }
        loadedKeys.put(alias, pair.getPrivate());
        publicKeys.put(alias, pair.getPublic());
        return pair.getPublic();
    }

    /**
     * On a token the key is generated as a sensitive, non-extractable session object (the provider's generate template)
     * and the key store copies it into a token object labelled with the alias (C_CopyObject keeps both attributes), so
     * it is found again by name after a restart; the session object goes with its session.
     */
    @Override
    public synchronized void createSecretKey(KeyUri name) {
        String alias = aliasOf(name);
        if (contains(name)) {
            throw new VaultException(VaultException.Reason.KEY_EXISTS, "key " + name + " exists already; choose another object name");
        }
        SecretKey key = generateAes256();
        try {
            store.setKeyEntry(alias, key, entryPassword, null);
            backing.persist(store);
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "could not store key " + name + " on " + status.description() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean contains(KeyUri name) {
        String alias = aliasOf(name);
        if (loadedKeys.containsKey(alias)) {
            return true;
        }
        try {
            return store.isKeyEntry(alias);
        } catch (KeyStoreException e) {
            throw failure("look up " + name, e);
        }
    }

    @Override
    public PublicKey publicKey(KeyUri name) {
        String alias = aliasOf(name);
        return publicKeys.computeIfAbsent(alias, a -> {
            try {
                if (!store.isKeyEntry(a)) {
                    throw notFound(name);
                }
                Certificate certificate = store.getCertificate(a);
                if (certificate == null) {
                    throw secretKeyCannot(name, "has no public key");
                }
                return certificate.getPublicKey();
            } catch (KeyStoreException e) {
                throw failure("read the public key of " + name, e);
            }
        });
    }

    @Override
    public List<KeyUri> keys() {
        try {
            List<KeyUri> names = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    names.add(KeyUri.of(tokenLabel, alias));
                }
            }
            names.sort((a, b) -> a.object().compareTo(b.object()));
            return names;
        } catch (KeyStoreException e) {
            throw failure("list keys", e);
        }
    }

    @Override
    public ContentSigner signer(KeyUri name) {
        return signer(name, defaultSignatureAlgorithm(publicKey(name)));
    }

    @Override
    public ContentSigner signer(KeyUri name, String signatureAlgorithm) {
        return new ProviderContentSigner(signatureAlgorithm, privateKey(name), provider);
    }

    @Override
    public Optional<KeyDecrypter> decrypter(KeyUri name) {
        Key key = storedKey(name);
        if (!(key instanceof PrivateKey) || !"RSA".equals(key.getAlgorithm()) && !(key instanceof RSAPrivateKey)) {
            return Optional.empty();
        }
        return Optional.of((transformation, ciphertext) -> {
            if (!PADDED_RSA.matcher(transformation).matches()) {
                throw new VaultException(VaultException.Reason.UNSUPPORTED, "decryption needs a padded RSA transformation (RSA/ECB/OAEP... or RSA/ECB/PKCS1Padding); '"
                        + transformation + "' would turn the key into a raw signing oracle");
            }
            Cipher cipher;
            try {
                cipher = Cipher.getInstance(transformation, provider);
            } catch (GeneralSecurityException e) {
                throw new VaultException(VaultException.Reason.UNSUPPORTED, status.type() + " vault cannot decrypt with " + transformation, e);
            }
            try {
                cipher.init(Cipher.DECRYPT_MODE, key);
                return cipher.doFinal(ciphertext);
            } catch (javax.crypto.BadPaddingException | javax.crypto.IllegalBlockSizeException | org.bouncycastle.crypto.DataLengthException e) {
                // Bouncy Castle reports a ciphertext not below the modulus with an unchecked DataLengthException.
                throw new VaultException(VaultException.Reason.INVALID_INPUT, "decryption with " + name + " refused the ciphertext: " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "decryption with " + name + " failed: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public Optional<SecretKeyCipher> secretKeyCipher(KeyUri name) {
        return storedKey(name) instanceof SecretKey key ? Optional.of(new GcmCipher(name, key)) : Optional.empty();
    }

    @Override
    public ContentVerifierProvider verifier(SubjectPublicKeyInfo key) {
        return backing.checksEcSignaturesFaster() && SignatureVerifiers.isEc(key) ? SignatureVerifiers.ecWith(provider, key) : SignatureVerifiers.software(key);
    }

    /** AES-GCM with a stored secret key, run by the vault's provider: on a token, CKM_AES_GCM on the token itself. */
    private final class GcmCipher implements SecretKeyCipher {
        private final KeyUri name;
        private final SecretKey key;

        GcmCipher(KeyUri name, SecretKey key) {
            this.name = name;
            this.key = key;
        }

        @Override
        public byte[] encrypt(byte[] plain, byte[] associatedData) {
            byte[] nonce = new byte[NONCE_BYTES];
            NONCES.nextBytes(nonce);
            byte[] ciphertext = run(Cipher.ENCRYPT_MODE, nonce, associatedData, plain, 0, plain.length);
            return ByteBuffer.allocate(NONCE_BYTES + ciphertext.length).put(nonce).put(ciphertext).array();
        }

        @Override
        public byte[] decrypt(byte[] nonceAndCiphertext, byte[] associatedData) {
            if (nonceAndCiphertext.length < NONCE_BYTES + TAG_BYTES) {
                throw new VaultException(VaultException.Reason.INVALID_INPUT, "a ciphertext for " + name + " has a " + NONCE_BYTES + "-byte nonce and a "
                        + TAG_BYTES + "-byte tag at least; this one is " + nonceAndCiphertext.length + " bytes");
            }
            byte[] nonce = Arrays.copyOf(nonceAndCiphertext, NONCE_BYTES);
            return run(Cipher.DECRYPT_MODE, nonce, associatedData, nonceAndCiphertext, NONCE_BYTES, nonceAndCiphertext.length - NONCE_BYTES);
        }

        private byte[] run(int mode, byte[] nonce, byte[] associatedData, byte[] input, int offset, int length) {
            Cipher cipher;
            try {
                cipher = Cipher.getInstance(TRANSFORMATION, provider);
            } catch (GeneralSecurityException e) {
                throw new VaultException(VaultException.Reason.UNSUPPORTED, status.type() + " vault (" + status.description() + ") cannot run " + TRANSFORMATION, e);
            }
            try {
                cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
                cipher.updateAAD(associatedData);
                return cipher.doFinal(input, offset, length);
            } catch (AEADBadTagException e) {
                throw new VaultException(VaultException.Reason.INVALID_INPUT,
                        "the ciphertext does not authenticate under " + name + ": it was altered, or the associated data differs", e);
            } catch (GeneralSecurityException | ProviderException e) {
                throw new VaultException(VaultException.Reason.BACKEND_FAILURE, TRANSFORMATION + " with " + name + " failed: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public SSLContext tlsServerContext(KeyUri name, Supplier<List<X509Certificate>> chain, Optional<X509TrustManager> clientTrust) {
        PublicKey publicKey = publicKey(name);
        String keyType = switch (publicKey.getAlgorithm()) {
            case "EC" -> "EC";
            case "RSA" -> "RSA";
            default -> throw new VaultException(VaultException.Reason.UNSUPPORTED,
                    "TLS needs an EC or RSA key; " + name + " is " + publicKey.getAlgorithm());
        };
        VaultKeyManager keyManager = new VaultKeyManager(name, keyType, privateKey(name), publicKey, chain);
        if (!chain.get().isEmpty() && keyManager.currentChain() == null) {
            throw new VaultException(VaultException.Reason.INVALID_INPUT, "the certificate chain for " + name + " does not start with a certificate for that key");
        }
        backing.offerToJsse(provider);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {keyManager}, clientTrust.map(trust -> new javax.net.ssl.TrustManager[] {trust}).orElse(null), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw failure("make a TLS context for " + name, e);
        }
    }

    @Override
    public VaultStatus status() {
        return status;
    }

    @Override
    public void close() {
        loadedKeys.clear();
        backing.close();
    }

    static String defaultSignatureAlgorithm(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? KeySpec.EC_P384.signatureAlgorithm() : KeySpec.EC_P256.signatureAlgorithm();
        }
        return switch (key.getAlgorithm()) {
            case "RSA" -> KeySpec.RSA_3072.signatureAlgorithm();
            case "Ed25519", "EdDSA" -> KeySpec.ED25519.signatureAlgorithm();
            default -> throw new VaultException(VaultException.Reason.UNSUPPORTED, "no default signature algorithm for " + key.getAlgorithm() + " keys");
        };
    }

    private PrivateKey privateKey(KeyUri name) {
        if (storedKey(name) instanceof PrivateKey key) {
            return key;
        }
        throw secretKeyCannot(name, "has no private key to sign or decrypt with");
    }

    private Key storedKey(KeyUri name) {
        String alias = aliasOf(name);
        return loadedKeys.computeIfAbsent(alias, a -> {
            try {
                Key key = store.getKey(a, entryPassword);
                if (!(key instanceof PrivateKey || key instanceof SecretKey)) {
                    throw notFound(name);
                }
                return key;
            } catch (GeneralSecurityException e) {
                throw failure("load " + name, e);
            }
        });
    }

    private SecretKey generateAes256() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            return generator.generateKey();
        } catch (NoSuchAlgorithmException e) {
            throw new VaultException(VaultException.Reason.UNSUPPORTED, "the " + status.type() + " vault (" + status.description() + ") cannot make AES keys", e);
        } catch (RuntimeException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "making an AES-256 key failed on " + status.description() + ": " + e.getMessage(), e);
        }
    }

    private KeyPair generate(KeySpec spec) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm(), provider);
            if (spec.parameters() != null) {
                generator.initialize(spec.parameters());
            }
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException | InvalidAlgorithmParameterException e) {
            throw new VaultException(VaultException.Reason.UNSUPPORTED,
                    "the " + status.type() + " vault (" + status.description() + ") cannot make " + spec.configName() + " keys; choose another key spec", e);
        } catch (RuntimeException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "making a " + spec.configName() + " key failed on " + status.description() + ": " + e.getMessage(), e);
        }
    }

    private X509Certificate holderCertificate(String alias, KeyPair pair, KeySpec spec) throws GeneralSecurityException {
        X500Name subject = new X500Name("CN=" + alias.replaceAll("[,+=\"\\\\<>;#]", "_"));
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now), Date.from(now.plus(36500, ChronoUnit.DAYS)), subject, pair.getPublic());
        ContentSigner signer = new ProviderContentSigner(spec.signatureAlgorithm(), pair.getPrivate(), provider);
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private String aliasOf(KeyUri name) {
        if (!name.token().equals(tokenLabel)) {
            throw new VaultException(VaultException.Reason.KEY_NOT_FOUND, "key " + name + " names token '" + name.token() + "' but this vault is token '" + tokenLabel + "'");
        }
        return name.object();
    }

    private VaultException notFound(KeyUri name) {
        return new VaultException(VaultException.Reason.KEY_NOT_FOUND,
                "no key " + name + " on " + status.description() + "; create it first or check the object name in configuration");
    }

    private static VaultException secretKeyCannot(KeyUri name, String what) {
        return new VaultException(VaultException.Reason.UNSUPPORTED, "key " + name + " is a secret key and " + what + "; it only encrypts and decrypts (secretKeyCipher)");
    }

    private VaultException failure(String what, Exception e) {
        return new VaultException(VaultException.Reason.BACKEND_FAILURE, "could not " + what + " on " + status.description() + ": " + e.getMessage(), e);
    }
}
