package org.letterlock.platform.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.vault.VaultStatus;

/** Readiness: the vault is logged in and answers, the database answers, every module's migrations are applied. */
@ApplicationScoped
public class ReadinessChecks {

    @Inject
    PlatformRuntime runtime;

    @jakarta.enterprise.inject.Produces
    @Readiness
    HealthCheck vault() {
        return () -> {
            HealthCheckResponseBuilder check = HealthCheckResponse.named("vault");
            if (!runtime.started()) {
                return check.down().withData("reason", "not started").build();
            }
            try {
                VaultStatus status = runtime.platform().vault().status();
                int keys = runtime.platform().vault().keys().size();
                check.withData("type", status.type()).withData("where", status.description()).withData("keys", keys);
                if (status.developmentOnly()) {
                    check.withData("warning", "development only: do not keep production keys here");
                }
                return check.status(status.ready()).build();
            } catch (RuntimeException e) {
                return check.down().withData("reason", String.valueOf(e.getMessage())).build();
            }
        };
    }

    @jakarta.enterprise.inject.Produces
    @Readiness
    HealthCheck database() {
        return () -> {
            HealthCheckResponseBuilder check = HealthCheckResponse.named("database");
            if (!runtime.started()) {
                return check.down().withData("reason", "not started").build();
            }
            Letterlock platform = runtime.platform();
            boolean reachable = platform.database().reachable();
            check.withData("database", platform.database().product());
            if (!reachable) {
                return check.down().withData("reason", "not reachable").build();
            }
            return check.status(platform.database().migrated()).withData("migrated", platform.database().migrated()).build();
        };
    }

    @jakarta.enterprise.inject.Produces
    @Liveness
    HealthCheck started() {
        return () -> HealthCheckResponse.named("letterlock").status(runtime.started()).build();
    }
}
