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

    /** Requests in a state (all states when empty) and by a requester (anyone when empty), newest first. */
    List<RecoveryRequest> recoveries(Optional<RecoveryRequest.State> state, Optional<String> requestedBy, int limit);

    /**
     * Records an agent's decision and its effect in one transaction with the request row locked: a denial ends the
     * request (DENIED); an approval releases it (RELEASED, expiring at {@code releaseExpiry}) once it has its approvals
     * and no denial, with the seal {@code sealRelease} makes over the request as released, in the same transaction (a
     * release is never stored unsealed, nor sealed over other approvals than those stored). Empty when the request was
     * not PENDING and unexpired at {@code now} (nothing recorded); a second decision by the same agent fails with a
     * CONFLICT; whatever {@code sealRelease} throws leaves nothing recorded.
     */
    Optional<RecoveryRequest.State> decide(String recoveryId, RecoveryRequest.Decision decision, Instant now, Instant releaseExpiry,
                                           java.util.function.Function<RecoveryRequest, RecoveryRequest.Seal> sealRelease);

    /** RELEASED and unexpired at {@code now} becomes DELIVERED; false if it was not. */
    boolean deliver(String recoveryId, Instant now);

    /** Moves a request from one state to another; false if it was no longer in {@code from}. */
    boolean transition(String recoveryId, RecoveryRequest.State from, RecoveryRequest.State to, Instant at);

    /** Requests in PENDING or RELEASED whose time ran out before {@code now}. */
    List<RecoveryRequest> overdue(Instant now);
}
