package org.letterlock.escrow;

import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.MailboxCertificates;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.AuditedKeyVault;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyDecrypter;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;

/**
 * Escrow's recovery keys: the first start makes one (an RSA-3072 key and an EC integrity key in the vault, a
 * kra-transport certificate from the CA); a rotation makes the next and retires the previous, which still opens and
 * verifies what was sealed to it.
 */
public final class RecoveryKeys {
    static final KeySpec RECOVERY_KEY_SPEC = KeySpec.RSA_3072;
    static final KeySpec INTEGRITY_KEY_SPEC = KeySpec.EC_P256;
    private static final SecureRandom KEY_TAGS = new SecureRandom();
    private static final Logger LOG = Logger.getLogger(RecoveryKeys.class.getName());

    private final EscrowStore store;
    private final AuditedKeyVault vault;
    private final AuditRecorder audit;
    private final MailboxCertificates ca;
    private final Clock clock;
    private final String tokenLabel;
    private volatile List<RecoveryKey> keys;
    private volatile long loadedAt;
    private volatile int untrusted;
    private final java.util.Set<String> reported = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final long RELOAD_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    RecoveryKeys(EscrowStore store, AuditedKeyVault vault, AuditRecorder audit, MailboxCertificates ca, Clock clock, String tokenLabel) {
        this.store = store;
        this.vault = vault;
        this.audit = audit;
        this.ca = ca;
        this.clock = clock;
        this.tokenLabel = tokenLabel;
        this.keys = load();
        try {
            active();
        } catch (LetterlockException e) {
            // An issuing CA that waits for its external root cannot certify a recovery key yet; the first use makes it.
            LOG.warning("escrow has no recovery key yet: " + e.getMessage());
        }
    }

    /** All recovery keys, oldest first. */
    public List<RecoveryKey> all() {
        return keys;
    }

    /** The key new archives are sealed to; made on first use, and looked up again every few seconds so a rotation on another node is followed. */
    public RecoveryKey active() {
        if (System.nanoTime() - loadedAt > RELOAD_NANOS) {
            keys = load();
        }
        Optional<RecoveryKey> current = activeOf(keys);
        return current.isPresent() ? current.get() : activeOrCreated();
    }

    private synchronized RecoveryKey activeOrCreated() {
        keys = load();
        Optional<RecoveryKey> current = activeOf(keys);
        if (current.isPresent()) {
            return current.get();
        }
        if (untrusted > 0) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "a stored recovery key does not match the vault or the CA; escrow will not seal to it "
                    + "(the audit log's escrow.integrity records say which)");
        }
        return create(keys.size() + 1);
    }

    private static Optional<RecoveryKey> activeOf(List<RecoveryKey> keys) {
        return keys.stream().filter(k -> k.state() == RecoveryKey.State.ACTIVE).reduce((first, second) -> second);
    }

    /**
     * The stored recovery keys that check out against the vault and the CA; a row whose certificate, key or token was
     * changed in the database is left out (and recorded once), so nothing is ever sealed to a key the vault does not hold.
     */
    private List<RecoveryKey> load() {
        List<RecoveryKey> stored = store.recoveryKeys();
        List<RecoveryKey> trusted = new ArrayList<>();
        for (RecoveryKey key : stored) {
            Optional<String> problem = problem(key);
            if (problem.isEmpty()) {
                trusted.add(key);
            } else if (reported.add(key.id() + ": " + problem.get())) {
                LOG.severe("recovery key " + key.id() + " is not used: " + problem.get());
                audit.record("escrow.integrity", "recovery-key:" + key.id(), Outcome.FAILED, problem.get());
            }
        }
        untrusted = stored.size() - trusted.size();
        loadedAt = System.nanoTime();
        return trusted;
    }

    private Optional<String> problem(RecoveryKey key) {
        if (!key.key().token().equals(tokenLabel) || !key.integrityKey().token().equals(tokenLabel)) {
            return Optional.of("it names keys on a token other than '" + tokenLabel + "'");
        }
        if (!vault.contains(key.key()) || !vault.contains(key.integrityKey())) {
            return Optional.of("its keys are not in the vault");
        }
        if (!java.util.Arrays.equals(vault.publicKey(key.key()).getEncoded(), Certificates.der(key.certificate().getSubjectPublicKeyInfo()))) {
            return Optional.of("its certificate is not for its vault key");
        }
        Optional<IssuedCertificate> issued = ca.find(key.certificate().getSerialNumber());
        if (issued.isEmpty() || !issued.get().profile().equals(Profiles.KRA_TRANSPORT.name())
                || !java.util.Arrays.equals(issued.get().der(), Certificates.der(key.certificate()))) {
            return Optional.of("its certificate is not a kra-transport certificate of this CA");
        }
        return Optional.empty();
    }

    public Optional<RecoveryKey> byId(String id) {
        Optional<RecoveryKey> found = keys.stream().filter(k -> k.id().equals(id)).findFirst();
        if (found.isEmpty()) {
            keys = load();
            found = keys.stream().filter(k -> k.id().equals(id)).findFirst();
        }
        return found;
    }

    /** Makes the next recovery key; new archives are sealed to it from now on. */
    public synchronized RecoveryKey rotate() {
        RecoveryKey previous = active();
        RecoveryKey next = create(keys.size() + 1);
        store.setRecoveryKeyState(previous.id(), RecoveryKey.State.RETIRED);
        audit.record("escrow.recovery-key.retire", "recovery-key:" + previous.id(), Outcome.ALLOWED, "replaced by " + next.id());
        keys = load();
        return active();
    }

    private RecoveryKey create(int generation) {
        // Before any key is made: otherwise each call while the CA cannot certify (anyone's GET of the transport certificate) leaves two on the token.
        ca.requireIssuing();
        String id = "recovery-" + generation;
        String tag = clock.instant().getEpochSecond() + "-" + Integer.toHexString(KEY_TAGS.nextInt(0x1000000));
        KeyUri key = KeyUri.of(tokenLabel, "escrow-" + id + "-" + tag);
        KeyUri integrity = KeyUri.of(tokenLabel, "escrow-integrity-" + generation + "-" + tag);
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, RECOVERY_KEY_SPEC).getEncoded());
        vault.createKey(integrity, INTEGRITY_KEY_SPEC);
        IssuedCertificate certificate = ca.issueRecoveryCertificate(publicKey, "Letterlock key recovery " + generation);
        RecoveryKey created = new RecoveryKey(id, RecoveryKey.State.ACTIVE, key, certificate.holder(), integrity, clock.instant());
        store.insertRecoveryKey(created);
        audit.record("escrow.recovery-key.create", "recovery-key:" + id, Outcome.ALLOWED, "transport certificate " + certificate.serialHex());
        keys = load();
        return created;
    }

    byte[] seal(PrivateKeyInfo key, RecoveryKey to) {
        return KeySealer.seal(key, to.certificate());
    }

    /** Signs the archive with its recovery key's integrity key; the key use is recorded with the caller's audit record. */
    byte[] sign(ArchivedKey archive, List<CompletableFuture<AuditRecord>> keyUses) {
        RecoveryKey key = byId(archive.recoveryKeyId()).orElseThrow();
        return ArchiveIntegrity.sign(ArchiveIntegrity.signedContent(archive), vault.signerRecordedLater(key.integrityKey(), keyUses));
    }

    /** True when the row is exactly what escrow signed: public key from the vault, never from the database. */
    boolean intact(ArchivedKey archive) {
        return verifies(archive.recoveryKeyId(), ArchiveIntegrity.signedContent(archive), archive.signature());
    }

    /** Seals {@code content} (a request, a decision, a release) with the active recovery key's integrity key. */
    RecoveryRequest.Seal seal(byte[] content) {
        RecoveryKey key = active();
        return new RecoveryRequest.Seal(key.id(), ArchiveIntegrity.sign(content, vault.signer(key.integrityKey())));
    }

    /** True when {@code seal} is present and verifies over {@code content} with the public key in the vault. */
    boolean sealed(Optional<RecoveryRequest.Seal> seal, byte[] content) {
        return seal.map(s -> verifies(s.recoveryKeyId(), content, s.signature())).orElse(false);
    }

    private boolean verifies(String recoveryKeyId, byte[] content, byte[] signature) {
        Optional<RecoveryKey> key = byId(recoveryKeyId);
        if (key.isEmpty()) {
            return false;
        }
        PublicKey integrity = vault.publicKey(key.get().integrityKey());
        return ArchiveIntegrity.verify(content, signature, integrity);
    }

    PrivateKeyInfo unseal(ArchivedKey archive) {
        RecoveryKey key = byId(archive.recoveryKeyId()).orElseThrow();
        return KeySealer.unseal(archive.sealed(), key.certificate(), decrypter(key));
    }

    /** A key a client encrypted to the active transport certificate. */
    PrivateKeyInfo openSubmitted(byte[] cms) {
        RecoveryKey key = active();
        return KeySealer.openSubmitted(cms, key.certificate(), decrypter(key));
    }

    private KeyDecrypter decrypter(RecoveryKey key) {
        return vault.decrypter(key.key()).orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE,
                "the vault cannot decrypt with recovery key " + key.id() + " (" + key.key() + ")"));
    }
}
