package org.letterlock.platform.audit;

/**
 * The verifier's finding.
 *
 * @param intact               true when every record and checkpoint checked out
 * @param recordsChecked       records read
 * @param checkpointsVerified  checkpoints whose signature and chain hash matched
 * @param firstBadSeq          the first record that was edited, deleted or reordered (0 when intact)
 * @param problem              what is wrong there, in words (empty when intact)
 */
public record AuditVerification(boolean intact, long recordsChecked, long checkpointsVerified, long firstBadSeq, String problem) {

    static AuditVerification ok(long records, long checkpoints) {
        return new AuditVerification(true, records, checkpoints, 0, "");
    }

    static AuditVerification broken(long records, long checkpoints, long seq, String problem) {
        return new AuditVerification(false, records, checkpoints, seq, problem);
    }
}
