package org.letterlock.platform.web;

import org.letterlock.platform.identity.Role;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.letterlock.platform.audit.AuditVerification;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** The audit log for auditors: read it, verify the chain, force a signed checkpoint. */
@Path("audit")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Allow({Role.AUDITOR})
public class AuditResource {

    public record RecordView(long seq, String recordedAt, String actor, String action, String target, String outcome, String detail, String hash) {
    }

    @Inject
    PlatformRuntime runtime;

    @GET
    @Path("verify")
    public AuditVerification verify() {
        AuditVerification result = runtime.platform().auditVerifier().verify();
        runtime.platform().auditLog().record("audit.verify", "audit-log", Outcome.ALLOWED, result.intact() ? "intact" : "broken at " + result.firstBadSeq());
        return result;
    }

    @POST
    @Path("checkpoint")
    public AuditVerification checkpoint() {
        runtime.platform().auditLog().record("audit.checkpoint", "audit-log", Outcome.ALLOWED, "");
        runtime.platform().auditLog().checkpointNow();
        return runtime.platform().auditVerifier().verify();
    }

    @GET
    @Path("records")
    public List<RecordView> records(@QueryParam("after") @DefaultValue("0") String after, @QueryParam("limit") @DefaultValue("100") String limit) {
        long afterSeq = number("after", after, 0, Long.MAX_VALUE);
        int count = (int) number("limit", limit, 1, 1000);
        return runtime.platform().auditLog().read(afterSeq, count).stream()
                .map(r -> new RecordView(r.seq(), r.recordedAt().toString(), r.event().actor(), r.event().action(), r.event().target(),
                        r.event().outcome().name(), r.event().detail(), r.hash()))
                .toList();
    }

    private static long number(String name, String value, long min, long max) {
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below, with the range
        }
        throw new LetterlockException(ErrorType.BAD_REQUEST, name + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
    }
}
