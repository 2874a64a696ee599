package org.letterlock.escrow;

import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.letterlock.ca.IssuedCertificate;
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

    RecoveryKeys(EscrowStore store, AuditedKeyVault vault, AuditRecorder audit, MailboxCertificates ca, Clock clock, String tokenLabel) {
        this.store = store;
        this.vault = vault;
        this.audit = audit;
        this.ca = ca;
        this.clock = clock;
        this.tokenLabel = tokenLabel;
        this.keys = store.recoveryKeys();
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

    /** The key new archives are sealed to; made on first use, and looked up again when another node rotated. */
    public RecoveryKey active() {
        Optional<RecoveryKey> current = activeOf(keys);
        return current.isPresent() ? current.get() : activeOrCreated();
    }

    private synchronized RecoveryKey activeOrCreated() {
        keys = store.recoveryKeys();
        return activeOf(keys).orElseGet(() -> create(keys.size() + 1));
    }

    private static Optional<RecoveryKey> activeOf(List<RecoveryKey> keys) {
        return keys.stream().filter(k -> k.state() == RecoveryKey.State.ACTIVE).reduce((first, second) -> second);
    }

    public Optional<RecoveryKey> byId(String id) {
        Optional<RecoveryKey> found = keys.stream().filter(k -> k.id().equals(id)).findFirst();
        if (found.isEmpty()) {
            keys = store.recoveryKeys();
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
        keys = store.recoveryKeys();
        return active();
    }

    private RecoveryKey create(int generation) {
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
        keys = store.recoveryKeys();
        return created;
    }

    byte[] seal(PrivateKeyInfo key, RecoveryKey to) {
        return KeySealer.seal(key, to.certificate());
    }

    /** Signs the archive with its recovery key's integrity key; the key use is recorded with the caller's audit record. */
    byte[] sign(ArchivedKey archive, List<CompletableFuture<AuditRecord>> keyUses) {
        RecoveryKey key = byId(archive.recoveryKeyId()).orElseThrow();
        return ArchiveIntegrity.sign(archive, vault.signerRecordedLater(key.integrityKey(), keyUses));
    }

    /** True when the row is exactly what escrow signed: public key from the vault, never from the database. */
    boolean intact(ArchivedKey archive) {
        Optional<RecoveryKey> key = byId(archive.recoveryKeyId());
        if (key.isEmpty()) {
            return false;
        }
        PublicKey integrity = vault.publicKey(key.get().integrityKey());
        return ArchiveIntegrity.verify(archive, integrity);
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
