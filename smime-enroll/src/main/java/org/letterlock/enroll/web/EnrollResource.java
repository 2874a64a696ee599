package org.letterlock.enroll.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.enroll.EnrollmentSecrets;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.web.Allow;

/** Enrollment secrets an ra-officer makes and hands over (the mailed kind is asked for on the enrollment listener). */
@Path("enroll")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "enroll", description = "Enrollment secrets: the proof of mailbox ownership for EST and CMP")
public class EnrollResource {

    @Inject
    EnrollRuntime runtime;

    @Context
    SecurityContext security;

    public record SecretRequest(String mailbox) {
    }

    public record Secret(String id, String mailbox, String secret, Instant expiresAt, String enrollUrl) {
    }

    @POST
    @Path("secrets")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.RA_OFFICER})
    @Operation(summary = "A one-time enrollment secret for a mailbox, shown once: hand it to the mailbox's holder, who enrolls with it over EST or CMP")
    public Response issue(SecretRequest request) {
        if (request == null || request.mailbox() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"mailbox\": \"...\"}");
        }
        EnrollmentSecrets.NewSecret made = runtime.services().secrets().issue(request.mailbox(), security.getUserPrincipal().getName());
        return Response.status(201).entity(new Secret(made.id(), made.mailbox(), new String(made.secret()), made.expiresAt(),
                runtime.services().baseUrl().toString())).build();
    }
}
