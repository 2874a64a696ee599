package org.letterlock.platform.audit;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** An audit log in a list, for tests of what gets recorded; records numbered from 1 in the order they came. */
public final class ListedAudit implements AuditRecorder {
    private final List<AuditRecord> records = new CopyOnWriteArrayList<>();
    private final AtomicBoolean refusing = new AtomicBoolean();

    @Override
    public synchronized AuditRecord record(AuditEvent event) {
        if (refusing.get()) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the audit log is refusing records (test)");
        }
        AuditRecord record = new AuditRecord(records.size() + 1, Instant.now(), event, AuditRecord.GENESIS_HASH, AuditRecord.GENESIS_HASH);
        records.add(record);
        return record;
    }

    @Override
    public CompletableFuture<AuditRecord> recordAsync(AuditEvent event) {
        try {
            return CompletableFuture.completedFuture(record(event));
        } catch (LetterlockException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The list always has room. */
    @Override
    public CompletableFuture<AuditRecord> recordAsyncIfRoom(AuditEvent event) {
        return recordAsync(event);
    }

    /** While set, every record fails as a log that cannot commit does. */
    public void refuse(boolean refuse) {
        refusing.set(refuse);
    }

    public List<AuditRecord> records() {
        return List.copyOf(records);
    }

    public List<AuditEvent> events() {
        return records.stream().map(AuditRecord::event).toList();
    }

    public List<AuditRecord> withAction(String action) {
        return records.stream().filter(r -> r.event().action().equals(action)).toList();
    }
}
