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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
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
    public List<RecordView> records(@QueryParam("after") @DefaultValue("0") long after, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "limit must be between 1 and 1000");
        }
        try (Connection connection = runtime.platform().database().dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT seq, recorded_at, actor, action, target, outcome, detail, hash FROM audit_record WHERE seq > ? ORDER BY seq LIMIT ?")) {
            query.setLong(1, after);
            query.setInt(2, limit);
            List<RecordView> records = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    records.add(new RecordView(row.getLong(1), row.getObject(2, OffsetDateTime.class).toInstant().toString(), row.getString(3),
                            row.getString(4), row.getString(5), row.getString(6), row.getString(7), row.getString(8)));
                }
            }
            return records;
        } catch (SQLException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "could not read the audit log: " + e.getMessage(), e);
        }
    }
}
