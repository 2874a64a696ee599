package org.letterlock.escrow;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.MailboxCertificates;
import org.letterlock.platform.runtime.Letterlock;

/** Escrow on a started platform and CA: its recovery keys, the archive side, the recovery side, and the expiry sweep. */
public final class Escrow implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Escrow.class.getName());

    private final RecoveryKeys recoveryKeys;
    private final KeyEscrow keys;
    private final KeyRecovery recovery;
    private final ScheduledExecutorService scheduler;

    private Escrow(RecoveryKeys recoveryKeys, KeyEscrow keys, KeyRecovery recovery) {
        this.recoveryKeys = recoveryKeys;
        this.keys = keys;
        this.recovery = recovery;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "letterlock-escrow");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                recovery.expireOverdue();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "expiring recovery requests failed; retried in a minute", e);
            }
        }, 1, 1, TimeUnit.MINUTES);
    }

    /** First start makes the recovery key; every start opens what is there. */
    public static Escrow start(Letterlock platform, MailboxCertificates ca, EscrowStore store) {
        RecoveryKeys recoveryKeys = new RecoveryKeys(store, platform.vault(), platform.auditLog(), ca, platform.clock(), platform.config().vault().tokenLabel());
        KeyEscrow keys = new KeyEscrow(platform.config().escrow(), store, recoveryKeys, ca, platform.auditLog(), platform.clock());
        KeyRecovery recovery = new KeyRecovery(platform.config().escrow(), store, recoveryKeys, keys, ca, platform.admins(), platform.identities(), platform.mail(),
                platform.auditLog(), platform.clock());
        return new Escrow(recoveryKeys, keys, recovery);
    }

    public RecoveryKeys recoveryKeys() {
        return recoveryKeys;
    }

    public KeyEscrow keys() {
        return keys;
    }

    public KeyRecovery recovery() {
        return recovery;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        keys.close();
    }
}
