package org.letterlock.platform.web;

import org.letterlock.platform.identity.Role;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailboxIdentity;

/**
 * Mailbox identities. Officers register an address for its owner; the owner proves it by the mailed token. The
 * link in the mail opens a page with a button, because mail scanners follow links: only the POST spends the token.
 */
@Path("identities")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class IdentityResource {

    public record Registration(String address, String owner) {
    }

    public record Verification(String token) {
    }

    public record Transfer(String owner) {
    }

    public record IdentityView(String address, String owner, boolean verified, String createdAt, String verifiedAt) {
        static IdentityView of(MailboxIdentity identity) {
            return new IdentityView(identity.address(), identity.owner(), identity.verified(), identity.createdAt().toString(),
                    identity.verifiedAt().map(Object::toString).orElse(null));
        }
    }

    @Inject
    PlatformRuntime runtime;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN, Role.RA_OFFICER})
    public Response register(Registration request) {
        if (request == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"address\": ..., \"owner\": ...}");
        }
        MailboxIdentity identity = runtime.platform().identities().register(request.address(), request.owner());
        return Response.status(Response.Status.ACCEPTED).entity(IdentityView.of(identity)).build();
    }

    @GET
    @Path("{address}")
    @Allow({Role.CA_ADMIN, Role.RA_OFFICER, Role.AUDITOR})
    public IdentityView find(@PathParam("address") String address) {
        return runtime.platform().identities().find(address).map(IdentityView::of)
                .orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "no identity " + address));
    }

    /** Gives the mailbox to another owner; its verification and certificates stay. */
    @PUT
    @Path("{address}/owner")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN, Role.RA_OFFICER})
    public IdentityView transfer(@PathParam("address") String address, Transfer request) {
        if (request == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"owner\": ...}");
        }
        return IdentityView.of(runtime.platform().identities().transfer(address, request.owner()));
    }

    @POST
    @Path("verify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Public
    public IdentityView verify(Verification request) {
        if (request == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"token\": ...}");
        }
        return IdentityView.of(runtime.platform().identities().verify(request.token()));
    }

    @POST
    @Path("verify")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    @Public
    public String verifyForm(@FormParam("token") String token) {
        MailboxIdentity identity = runtime.platform().identities().verify(token);
        return HtmlPages.page("Address confirmed", "<p>" + HtmlPages.escape(identity.address()) + " is confirmed. You can close this page.</p>");
    }

    @GET
    @Path("verify")
    @Produces(MediaType.TEXT_HTML)
    @Public
    public String confirmationPage(@QueryParam("token") String token) {
        return HtmlPages.confirmation("Confirm your address", "verify", token, "Confirm my address");
    }
}
