package org.letterlock.platform.audit;

import java.util.concurrent.CompletableFuture;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** The narrow view of the audit log that modules record through. Returns once the record is durable. */
public interface AuditRecorder {

    AuditRecord record(AuditEvent event);

    /** Queues the event; the future completes when it is committed. The log commits events in the order they came. */
    CompletableFuture<AuditRecord> recordAsync(AuditEvent event);

    /**
     * As {@link #recordAsync}, for a thread that must not wait (a network thread): when the log has no room for the
     * event now, the future fails at once instead of the caller waiting for room.
     */
    CompletableFuture<AuditRecord> recordAsyncIfRoom(AuditEvent event);

    default AuditRecord record(String action, String target, Outcome outcome, String detail) {
        return record(new AuditEvent(Actor.current(), action, target, outcome, detail));
    }

    /** Records a refusal (denied for 401/403, failed otherwise) and returns the error to throw. */
    default LetterlockException refusal(String action, String target, ErrorType type, String message) {
        record(action, target, type == ErrorType.FORBIDDEN || type == ErrorType.UNAUTHORIZED ? Outcome.DENIED : Outcome.FAILED, message);
        return new LetterlockException(type, message);
    }
}
