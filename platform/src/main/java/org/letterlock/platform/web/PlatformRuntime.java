package org.letterlock.platform.web;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.annotation.RegistryScope;
import org.letterlock.platform.config.ConfigException;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.vault.VaultException;

/**
 * Starts the platform when the application starts, from MicroProfile Config. A start that fails (bad configuration,
 * missing token library, wrong PIN) is logged as one message and stops the process: a Letterlock that cannot reach
 * its keys or its database must not look up.
 */
@ApplicationScoped
public class PlatformRuntime {
    private static final Logger LOG = Logger.getLogger(PlatformRuntime.class.getName());

    @Inject
    Config config;

    @Inject
    Event<PlatformStarted> started;

    @Inject
    @RegistryScope(scope = MetricRegistry.APPLICATION_SCOPE)
    MetricRegistry metrics;

    private volatile Letterlock platform;
    private volatile String startFailure = "starting";

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
        try {
            LetterlockConfig settings = LetterlockConfig.load(key -> config.getOptionalValue(key, String.class));
            Letterlock starting = Letterlock.start(settings);
            registerMetrics(starting);
            LOG.info("Letterlock started: vault " + starting.vault().status().description() + ", database " + starting.database().describe()
                    + starting.initialCredential().map(p -> ", first administrator's credential in " + p).orElse(""));
            if (starting.vault().status().developmentOnly()) {
                LOG.warning("key vault type '" + starting.vault().status().type() + "' is for development and tests only");
            }
            // Ready only once every module on top has started too.
            started.fire(new PlatformStarted(starting));
            platform = starting;
            startFailure = null;
        } catch (ConfigException | VaultException | LetterlockException e) {
            fail(e.getMessage(), null);
        } catch (RuntimeException e) {
            fail("unexpected start-up failure: " + e, e);
        }
    }

    /** Stops the process with one message: a module that cannot start must not leave a half-working server up. */
    public void fail(String message, Throwable cause) {
        startFailure = message;
        LOG.log(Level.SEVERE, "Letterlock cannot start: " + message, cause);
        System.err.println("Letterlock cannot start: " + message);
        Runtime.getRuntime().halt(3);
    }

    private void registerMetrics(Letterlock started) {
        metrics.gauge("letterlock_audit_records_appended", started.auditLog(), log -> log.appendedCount());
        metrics.gauge("letterlock_audit_batches_committed", started.auditLog(), log -> log.batchCount());
    }

    /** The running platform; a 503 problem while it is not started. */
    public Letterlock platform() {
        Letterlock running = platform;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "Letterlock is not started: " + startFailure);
        }
        return running;
    }

    public boolean started() {
        return platform != null;
    }

    @PreDestroy
    void stop() {
        Letterlock running = platform;
        platform = null;
        startFailure = "stopped";
        if (running != null) {
            try {
                running.close();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "Letterlock did not close cleanly", e);
            }
        }
    }
}
