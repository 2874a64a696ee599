package org.letterlock.platform.audit;

/** The narrow view of the audit log that modules record through. Returns once the record is durable. */
public interface AuditRecorder {

    AuditRecord record(AuditEvent event);

    default AuditRecord record(String action, String target, Outcome outcome, String detail) {
        return record(new AuditEvent(Actor.current(), action, target, outcome, detail));
    }
}
