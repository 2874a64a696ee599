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
        List<Decision> decisions,
        Optional<Seal> requestSeal,
        Optional<Seal> releaseSeal) {

    public enum State {
        /** Waiting for approvals. */
        PENDING,
        /** Approved by enough agents; the requester may download once. */
        RELEASED,
        DENIED,
        EXPIRED,
        DELIVERED
    }

    /** An agent's decision, sealed over {@link ArchiveIntegrity#decisionContent} when it was recorded. */
    public record Decision(String agent, boolean approved, Optional<String> comment, Instant at, Optional<Seal> seal) {
        public Decision withSeal(Seal sealed) {
            return new Decision(agent, approved, comment, at, Optional.of(sealed));
        }
    }

    /**
     * An integrity key's signature, and which recovery key's integrity key made it: over the request as made
     * ({@link ArchiveIntegrity#requestContent}), each decision, and the release ({@link ArchiveIntegrity#releaseContent}).
     */
    public record Seal(String recoveryKeyId, byte[] signature) {
    }

    public RecoveryRequest {
        decisions = List.copyOf(decisions);
    }

    public long approvals() {
        return decisions.stream().filter(Decision::approved).count();
    }

    /** The agents who approved, sorted. */
    public List<String> approvers() {
        return decisions.stream().filter(Decision::approved).map(Decision::agent).sorted().toList();
    }

    public RecoveryRequest withDecisions(List<Decision> all) {
        return new RecoveryRequest(id, mailbox, reason, requestedBy, state, approvalsNeeded, createdAt, expiresAt, closedAt, all, requestSeal, releaseSeal);
    }

    public RecoveryRequest withRequestSeal(Seal sealed) {
        return new RecoveryRequest(id, mailbox, reason, requestedBy, state, approvalsNeeded, createdAt, expiresAt, closedAt, decisions, Optional.of(sealed), releaseSeal);
    }
}
