package org.letterlock.escrow.web;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.logging.Logger;
import org.letterlock.ca.web.CaRuntime;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.store.JdbcEscrowStore;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;
import org.letterlock.vault.VaultException;

/** Starts escrow once the CA has started (its recovery certificate comes from the CA); a failure stops the server with one message. */
@ApplicationScoped
public class EscrowRuntime {
    private static final Logger LOG = Logger.getLogger(EscrowRuntime.class.getName());

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    CaRuntime caRuntime;

    private volatile Escrow escrow;

    /** After the CA, whose recovery certificate escrow needs on first start. */
    void onPlatformStarted(@Observes @Priority(CaRuntime.ORDER + 100) PlatformStarted event) {
        try {
            Escrow started = Escrow.start(event.platform(), caRuntime.ca(), new JdbcEscrowStore(event.platform().database().dataSource()));
            escrow = started;
            LOG.info("escrow started: recovery key " + started.recoveryKeys().active().id());
        } catch (VaultException | LetterlockException e) {
            platformRuntime.fail("escrow: " + e.getMessage(), null);
        } catch (RuntimeException e) {
            platformRuntime.fail("escrow: unexpected start-up failure: " + e, e);
        }
    }

    public Escrow escrow() {
        Escrow running = escrow;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "escrow is not started");
        }
        return running;
    }

    @PreDestroy
    void stop() {
        Escrow running = escrow;
        escrow = null;
        if (running != null) {
            running.close();
        }
    }
}
