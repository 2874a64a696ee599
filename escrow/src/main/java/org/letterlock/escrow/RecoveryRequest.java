package org.letterlock.escrow;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A request to recover a mailbox's decryption keys, and the agents' decisions on it so far. */
public record RecoveryRequest(
        String id,
        String mailbox,
        String reason,
        String requestedBy,
        State state,
        int approvalsNeeded,
        Instant createdAt,
        Instant expiresAt,
        Optional<Instant> closedAt,
        List<Decision> decisions) {

    public enum State {
        /** Waiting for approvals. */
        PENDING,
        /** Approved by enough agents; the requester may download once. */
        RELEASED,
        DENIED,
        EXPIRED,
        DELIVERED
    }

    public record Decision(String agent, boolean approved, Optional<String> comment, Instant at) {
    }

    public RecoveryRequest {
        decisions = List.copyOf(decisions);
    }

    public long approvals() {
        return decisions.stream().filter(Decision::approved).count();
    }
}
