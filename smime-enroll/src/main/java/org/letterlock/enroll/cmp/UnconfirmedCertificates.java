package org.letterlock.enroll.cmp;

import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollmentProof;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.Outcome;

/**
 * Revokes certificates whose client never confirmed them (RFC 4210 5.3.18, RFC 9483 4.1.1: without implicitConfirm a
 * certificate is not to be used before certConf): once a transaction's confirmation window closed, a sweep once a
 * minute revokes what it issued (reason cessationOfOperation, as for a certificate the client rejects) and audits it
 * as {@code enroll.cmp.unconfirmed}. The row moves to 'unconfirmed' once its certificates are revoked, so a failed
 * revocation is retried by the next sweep and on a cluster one node audits the transaction.
 */
final class UnconfirmedCertificates {
    private static final Logger LOG = Logger.getLogger(UnconfirmedCertificates.class.getName());
    /** Transactions handled per sweep; the rest wait for the next minute. */
    private static final int BATCH = 100;

    private final EnrollmentServices services;
    private final CmpTransactions transactions;

    UnconfirmedCertificates(EnrollmentServices services, CmpTransactions transactions) {
        this.services = services;
        this.transactions = transactions;
    }

    /** Sweeps once a minute until the returned handle is closed. */
    AutoCloseable schedule() {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cmp-unconfirmed-sweep");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                // The database or the CA may be away for a while: the next sweep tries again.
                LOG.log(Level.WARNING, "revoking unconfirmed CMP certificates failed; retried in a minute", e);
            }
        }, 1, 1, TimeUnit.MINUTES);
        return scheduler::shutdownNow;
    }

    /**
     * Revokes the certificates of every transaction whose window closed; the number of transactions handled. A
     * transaction leaves 'confirm' only once all its certificates are revoked: when the CA or the database fails
     * half-way, the next sweep finds it again and revokes what is left (a certificate revoked already is skipped).
     */
    int sweep() {
        int handled = 0;
        try (Actor.Scope sweeper = Actor.as("enroll/cmp unconfirmed-sweep")) {
            for (CmpTransactions.Transaction transaction : transactions.unconfirmed(BATCH)) {
                try {
                    if (revokeAll(transaction)) {
                        handled++;
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "revoking the unconfirmed certificates of CMP transaction " + transaction.id() + " failed; retried by the next sweep", e);
                }
            }
        }
        return handled;
    }

    /** Revokes the transaction's certificates, then ends it; false when another node ended it first. */
    private boolean revokeAll(CmpTransactions.Transaction transaction) {
        EnrollmentProof proof = new EnrollmentProof(transaction.mailbox(), "cmp", "unconfirmed-" + transaction.id());
        List<BigInteger> serials = List.copyOf(transaction.awaiting().values());
        for (BigInteger serial : serials) {
            if (services.mailboxes().ca().find(serial).map(c -> !c.revoked()).orElse(false)) {
                services.mailboxes().revoke(serial, RevocationReason.CESSATION_OF_OPERATION, proof);
            }
        }
        // Moved only after the revocations: one node audits, and a failure above leaves the transaction for the next sweep.
        if (!transactions.move(transaction.id(), "confirm", "unconfirmed")) {
            return false;
        }
        services.audit().record("enroll.cmp.unconfirmed", "mailbox:" + transaction.mailbox(), Outcome.FAILED, "transaction " + transaction.id()
                + ": certificates " + serials.stream().map(IssuedCertificate::hex).toList() + " were not confirmed within "
                + CmpTransactions.CONFIRM_WINDOW.toMinutes() + " minutes: revoked (cessationOfOperation)");
        return true;
    }
}
