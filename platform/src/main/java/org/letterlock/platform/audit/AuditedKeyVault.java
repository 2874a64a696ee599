package org.letterlock.platform.audit;

import java.io.OutputStream;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.letterlock.vault.KeyDecrypter;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.SecretKeyCipher;
import org.letterlock.vault.VaultException;
import org.letterlock.vault.VaultStatus;

/**
 * The vault every module gets: each key creation, signature, encryption and decryption lands in the audit log before
 * its result is handed out.
 */
public final class AuditedKeyVault implements KeyVault {
    private static final Logger LOG = Logger.getLogger(AuditedKeyVault.class.getName());
    /** How the audit log names the secret keys {@link KeyVault#createSecretKey} makes, beside {@link KeySpec#configName()}. */
    private static final String SECRET_KEY_SPEC = "aes-256";
    /** The action of a signature's record, or of a lease's count (SignatureLeases). */
    static final String SIGN = "vault.sign";
    /** Signatures one lease allows, and how long it runs: see docs/decisions/016. */
    static final int LEASE_SIZE = 1000;
    static final Duration LEASE_SPAN = Duration.ofMinutes(1);

    private final KeyVault vault;
    private final AuditRecorder audit;
    private final AtomicLong signatures = new AtomicLong();
    private final AtomicLong decryptions = new AtomicLong();
    private final AtomicLong encryptions = new AtomicLong();
    private final SignatureLeases leases;

    public AuditedKeyVault(KeyVault vault, AuditRecorder audit, Clock clock) {
        this(vault, audit, clock, LEASE_SIZE, LEASE_SPAN);
    }

    AuditedKeyVault(KeyVault vault, AuditRecorder audit, Clock clock, int leaseSize, Duration leaseSpan) {
        this.vault = vault;
        this.audit = audit;
        this.leases = new SignatureLeases(audit, clock, leaseSize, leaseSpan);
    }

    @Override
    public PublicKey createKey(KeyUri name, KeySpec spec) {
        PublicKey key;
        try {
            key = vault.createKey(name, spec);
        } catch (RuntimeException e) {
            audit.record("vault.create-key", name.toString(), Outcome.FAILED, spec.configName() + ": " + e.getMessage());
            throw e;
        }
        audit.record("vault.create-key", name.toString(), Outcome.ALLOWED, spec.configName());
        return key;
    }

    @Override
    public void createSecretKey(KeyUri name) {
        try {
            vault.createSecretKey(name);
        } catch (RuntimeException e) {
            audit.record("vault.create-key", name.toString(), Outcome.FAILED, SECRET_KEY_SPEC + ": " + e.getMessage());
            throw e;
        }
        audit.record("vault.create-key", name.toString(), Outcome.ALLOWED, SECRET_KEY_SPEC);
    }

    @Override
    public boolean contains(KeyUri name) {
        return vault.contains(name);
    }

    @Override
    public PublicKey publicKey(KeyUri name) {
        return vault.publicKey(name);
    }

    @Override
    public List<KeyUri> keys() {
        return vault.keys();
    }

    @Override
    public ContentSigner signer(KeyUri name) {
        return audited(name, vault.signer(name), null);
    }

    @Override
    public ContentSigner signer(KeyUri name, String signatureAlgorithm) {
        return audited(name, vault.signer(name, signatureAlgorithm), null);
    }

    /**
     * A signer whose uses are queued to the audit log without waiting, each record's future added to {@code records}.
     * The caller waits for them before it hands anything signed out: after a synchronous record of its own (which the
     * log commits after them) that wait costs nothing, and one commit covers the whole operation instead of one per key use.
     */
    public ContentSigner signerRecordedLater(KeyUri name, List<CompletableFuture<AuditRecord>> records) {
        return audited(name, vault.signer(name), records);
    }

    /**
     * A signer for a key that signs for anyone who asks (the OCSP responder's key): its signatures go on record by
     * lease, a committed record allowing up to {@link #LEASE_SIZE} of them and then one with their exact count, not one
     * record each (docs/decisions/016). Anyone could otherwise write to the audit log at will, one record per request.
     */
    public ContentSigner signerUnderLease(KeyUri name) {
        return leases.signer(name, vault.signer(name), signatures::incrementAndGet, true);
    }

    /**
     * As {@link #signerUnderLease}, for a thread that must not wait on the audit log (a network thread): a signature
     * that would have to commit the next lease's grant fails with {@link VaultException.Reason#WOULD_WAIT} before
     * anything is signed, so the caller can hand the work to a thread that may wait.
     */
    public ContentSigner signerUnderLeaseWithoutWaiting(KeyUri name) {
        return leases.signer(name, vault.signer(name), signatures::incrementAndGet, false);
    }

    /** Ends the signature leases past their deadline, so their counts go on record; run from a scheduler. */
    public void endExpiredSignatureLeases() {
        leases.endExpired();
    }

    /**
     * Grants no more signature leases and ends every one, queueing its count to the audit log: before the log closes.
     * The leased signers fail from now on.
     */
    public void endSignatureLeases() {
        leases.close();
    }

    private ContentSigner audited(KeyUri name, ContentSigner signer, List<CompletableFuture<AuditRecord>> deferredRecords) {
        return signingThrough(signer, () -> {
            String algorithm = signer.getAlgorithmIdentifier().getAlgorithm().getId();
            byte[] signature;
            try {
                signature = signer.getSignature();
            } catch (RuntimeException e) {
                recordFailedSignature(audit, name, algorithm, e);
                throw e;
            }
            AuditEvent use = new AuditEvent(Actor.current(), SIGN, name.toString(), Outcome.ALLOWED, algorithm);
            if (deferredRecords == null) {
                // The signature is handed out only once its use is on record.
                audit.record(use);
            } else {
                deferredRecords.add(audit.recordAsync(use));
            }
            signatures.incrementAndGet();
            return signature;
        });
    }

    /** A signer that writes to {@code signer} and hands out what {@code signature} gives: how the vault's wrappers sign. */
    static ContentSigner signingThrough(ContentSigner signer, Supplier<byte[]> signature) {
        return signingThrough(signer.getAlgorithmIdentifier(), signer.getOutputStream(), signature);
    }

    /** As above, with the content written to {@code content} (a buffer the signature hands on later, say). */
    static ContentSigner signingThrough(AlgorithmIdentifier algorithm, OutputStream content, Supplier<byte[]> signature) {
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algorithm;
            }

            @Override
            public OutputStream getOutputStream() {
                return content;
            }

            @Override
            public byte[] getSignature() {
                return signature.get();
            }
        };
    }

    /** A signature that failed goes on record, whatever signer made it; here its record is committed before this returns. */
    static void recordFailedSignature(AuditRecorder audit, KeyUri name, String algorithm, RuntimeException failure) {
        recordFailedSignature(audit, name, algorithm, failure, true);
    }

    /**
     * As above; with {@code wait} false, queued without waiting for its commit or for room in the queue. A full queue
     * loses the record, with a log line saying so: the thread must not wait, and the lease's grant still bounds the key's use.
     */
    static void recordFailedSignature(AuditRecorder audit, KeyUri name, String algorithm, RuntimeException failure, boolean wait) {
        AuditEvent event = new AuditEvent(Actor.current(), SIGN, name.toString(), Outcome.FAILED, algorithm + ": " + failure.getMessage());
        if (wait) {
            audit.record(event);
        } else {
            audit.recordAsyncIfRoom(event).whenComplete((record, recordFailure) -> {
                if (recordFailure != null) {
                    LOG.log(Level.SEVERE, "a failed signature with " + name + " could not be recorded", recordFailure);
                }
            });
        }
    }

    @Override
    public Optional<KeyDecrypter> decrypter(KeyUri name) {
        return vault.decrypter(name).map(decrypter -> (transformation, ciphertext) -> {
            byte[] plain;
            try {
                plain = decrypter.decrypt(transformation, ciphertext);
            } catch (RuntimeException e) {
                audit.record("vault.decrypt", name.toString(), Outcome.FAILED, transformation + ": " + e.getMessage());
                throw e;
            }
            audit.record("vault.decrypt", name.toString(), Outcome.ALLOWED, transformation);
            decryptions.incrementAndGet();
            return plain;
        });
    }

    @Override
    public Optional<SecretKeyCipher> secretKeyCipher(KeyUri name) {
        return vault.secretKeyCipher(name).map(cipher -> new SecretKeyCipher() {
            @Override
            public byte[] encrypt(byte[] plain, byte[] associatedData) {
                byte[] sealed = recorded("vault.encrypt", () -> cipher.encrypt(plain, associatedData));
                encryptions.incrementAndGet();
                return sealed;
            }

            @Override
            public byte[] decrypt(byte[] nonceAndCiphertext, byte[] associatedData) {
                byte[] plain = recorded("vault.decrypt", () -> cipher.decrypt(nonceAndCiphertext, associatedData));
                decryptions.incrementAndGet();
                return plain;
            }

            private byte[] recorded(String action, Supplier<byte[]> use) {
                byte[] result;
                try {
                    result = use.get();
                } catch (RuntimeException e) {
                    audit.record(action, name.toString(), Outcome.FAILED, TRANSFORMATION + ": " + e.getMessage());
                    throw e;
                }
                audit.record(action, name.toString(), Outcome.ALLOWED, TRANSFORMATION);
                return result;
            }
        });
    }

    /**
     * Recorded once, when a listener takes the key into service, not per handshake: anyone who can connect would
     * otherwise write to the audit log at will (docs/decisions/008).
     */
    @Override
    public SSLContext tlsServerContext(KeyUri name, Supplier<List<X509Certificate>> chain, Optional<X509TrustManager> clientTrust) {
        SSLContext context;
        try {
            context = vault.tlsServerContext(name, chain, clientTrust);
        } catch (RuntimeException e) {
            audit.record("vault.tls-context", name.toString(), Outcome.FAILED, e.getMessage());
            throw e;
        }
        audit.record("vault.tls-context", name.toString(), Outcome.ALLOWED, "TLS server key"
                + chain.get().stream().findFirst().map(c -> " of certificate " + c.getSerialNumber().toString(16)).orElse(", no certificate yet"));
        return context;
    }

    public long signatureCount() {
        return signatures.get();
    }

    /** RSA decryptions and secret-key decryptions alike. */
    public long decryptionCount() {
        return decryptions.get();
    }

    public long encryptionCount() {
        return encryptions.get();
    }

    /** Not audited: a check of an outside key's signature uses none of the vault's keys. */
    @Override
    public ContentVerifierProvider verifier(SubjectPublicKeyInfo key) {
        return vault.verifier(key);
    }

    @Override
    public VaultStatus status() {
        return vault.status();
    }

    @Override
    public void close() {
        vault.close();
    }
}
