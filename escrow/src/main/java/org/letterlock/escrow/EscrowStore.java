package org.letterlock.escrow;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Escrow's persistence: recovery keys, archives, recovery requests. H2 and PostgreSQL pass the same conformance suite. */
public interface EscrowStore {

    List<RecoveryKey> recoveryKeys();

    void insertRecoveryKey(RecoveryKey key);

    void setRecoveryKeyState(String id, RecoveryKey.State state);

    /** Fails with a CONFLICT when the certificate has an archive already. */
    void insertArchive(ArchivedKey archive);

    /** Every archive of the mailbox, oldest first. */
    List<ArchivedKey> archives(String mailbox);

    Optional<ArchivedKey> archiveOfCertificate(java.math.BigInteger serial);

    void insertRecovery(RecoveryRequest request);

    Optional<RecoveryRequest> recovery(String id);

    /** Requests in a state (all states when empty), newest first. */
    List<RecoveryRequest> recoveries(Optional<RecoveryRequest.State> state, int limit);

    /**
     * Records an agent's decision while the request is PENDING and not expired at {@code now}; false if it was not (the
     * decision is not stored). A second decision by the same agent fails with a CONFLICT.
     */
    boolean decide(String recoveryId, RecoveryRequest.Decision decision, Instant now);

    /** Moves a request from one state to another; false if it was no longer in {@code from}. */
    boolean transition(String recoveryId, RecoveryRequest.State from, RecoveryRequest.State to, Instant at, Optional<Instant> newExpiry);

    /** Requests in PENDING or RELEASED whose time ran out before {@code now}. */
    List<RecoveryRequest> overdue(Instant now);
}
