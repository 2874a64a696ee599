package org.letterlock.platform.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.letterlock.platform.runtime.Letterlock;

/**
 * Letterlock's own metrics in the OpenMetrics 1.0 text format (counters as {@code _total}, closing {@code # EOF}).
 * Payara's {@code /metrics} serves the Prometheus 0.0.4 text format and refuses {@code application/openmetrics-text},
 * so this endpoint is the one to scrape for OpenMetrics. It names no keys, accounts or addresses.
 */
@Path("metrics")
@RequestScoped
public class OpenMetricsResource {
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    @Inject
    PlatformRuntime runtime;

    @GET
    @Public
    @Produces(OPENMETRICS)
    public String scrape() {
        StringBuilder out = new StringBuilder();
        if (runtime.started()) {
            Letterlock platform = runtime.platform();
            counter(out, "letterlock_audit_records", "Audit records committed by this node.", platform.auditLog().appendedCount());
            counter(out, "letterlock_audit_batches", "Audit transactions (group commits) by this node.", platform.auditLog().batchCount());
            gauge(out, "letterlock_audit_queue_depth", "Audit records waiting for the writer.", platform.auditLog().queuedCount());
            counter(out, "letterlock_vault_signatures", "Signatures made with vault keys, each audited.", platform.vault().signatureCount());
            counter(out, "letterlock_vault_decryptions", "Decryptions with vault keys, each audited.", platform.vault().decryptionCount());
            counter(out, "letterlock_vault_encryptions", "Encryptions with vault secret keys, each audited.", platform.vault().encryptionCount());
            gauge(out, "letterlock_vault_ready", "1 when the key vault is logged in.", platform.vault().status().ready() ? 1 : 0);
        }
        gauge(out, "letterlock_up", "1 when the platform started.", runtime.started() ? 1 : 0);
        gauge(out, "letterlock_jvm_heap_used_bytes", "Heap in use.", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge(out, "letterlock_process_uptime_seconds", "Seconds since the JVM started.", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
        return out.append("# EOF\n").toString();
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# TYPE ").append(name).append(" counter\n")
                .append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append(name).append("_total ").append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        out.append("# TYPE ").append(name).append(" gauge\n")
                .append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append(name).append(' ').append(value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.3f", value)).append('\n');
    }
}
