package org.letterlock.platform.audit;

/** Where an audit log stands, so a test reads only the records its own step wrote. */
public final class AuditPositions {
    private AuditPositions() {
    }

    /** The sequence number of the newest record, 0 for an empty log. */
    public static long newest(AuditLog log) {
        return log.read(0, Integer.MAX_VALUE).stream().mapToLong(AuditRecord::seq).max().orElse(0);
    }
}
