package org.letterlock.escrow;

import java.time.Instant;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.vault.KeyUri;

/**
 * A recovery key: the vault RSA key archives are sealed to, its kra-transport certificate (what clients encrypt their
 * keys to), and the vault key that signs archive rows. Retired keys still open the archives sealed to them.
 */
public record RecoveryKey(String id, State state, KeyUri key, X509CertificateHolder certificate, KeyUri integrityKey, Instant createdAt) {

    public enum State { ACTIVE, RETIRED }
}
