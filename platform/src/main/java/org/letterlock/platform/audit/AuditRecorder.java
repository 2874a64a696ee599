package org.letterlock.platform.audit;

import java.util.concurrent.CompletableFuture;

/** The narrow view of the audit log that modules record through. Returns once the record is durable. */
public interface AuditRecorder {

    AuditRecord record(AuditEvent event);

    /** Queues the event; the future completes when it is committed. The log commits events in the order they came. */
    CompletableFuture<AuditRecord> recordAsync(AuditEvent event);

    default AuditRecord record(String action, String target, Outcome outcome, String detail) {
        return record(new AuditEvent(Actor.current(), action, target, outcome, detail));
    }
}
