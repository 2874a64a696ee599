package org.letterlock.keyserver.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.web.Allow;
import org.letterlock.platform.web.HtmlPages;
import org.letterlock.platform.web.Public;

/** The links mailed to addresses (publish a key's user IDs, take an address off every key) and administrators' removal of keys. */
@Path("keyserver")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keyserver", description = "Publishing OpenPGP user IDs after their mailbox confirmed them")
public class KeyserverResource {

    @Inject
    KeyserverRuntime runtime;

    @Context
    SecurityContext security;

    public record Verification(String token) {
    }

    public record PublishedView(String fingerprint, List<String> publishedUserIds) {
        static PublishedView of(StoredKey key) {
            return new PublishedView(key.fingerprint(), key.publishedUserIds().stream().map(StoredKey.UserId::text).toList());
        }
    }

    @GET
    @Path("verify")
    @Produces(MediaType.TEXT_HTML)
    @Public
    @Operation(summary = "The page the mailed link opens: a button, so link scanners spend nothing")
    public String confirmationPage(@QueryParam("token") String token) {
        return HtmlPages.confirmation("Publish your key", "verify", token, "Publish my key for this address");
    }

    @POST
    @Path("verify")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    @Public
    @Operation(summary = "Publish the user IDs of the token's address (form post from the page)")
    public String verifyForm(@FormParam("token") String token) {
        StoredKey key = runtime.keyserver().verify(token);
        return HtmlPages.page("Key published", "<p>Key " + HtmlPages.escape(key.fingerprint()) + " can now be found by "
                + HtmlPages.escape(String.join(", ", key.publishedUserIds().stream().map(StoredKey.UserId::text).toList())) + ". You can close this page.</p>");
    }

    @POST
    @Path("verify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Public
    @Operation(summary = "Publish the user IDs of the token's address: {token}")
    public PublishedView verify(Verification request) {
        return PublishedView.of(runtime.keyserver().verify(token(request)));
    }

    public record UnpublishRequest(String address) {
    }

    @POST
    @Path("unpublish")
    @Consumes(MediaType.APPLICATION_JSON)
    @Public
    @Operation(summary = "Mail the address a link that takes it off every published key: {address}; 202 whether or not a key names it")
    public Response requestUnpublish(UnpublishRequest request, @Context jakarta.servlet.http.HttpServletRequest http) {
        if (request == null || request.address() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"address\": ...}");
        }
        runtime.keyserver().requestUnpublish(request.address(), http.getRemoteAddr());
        return Response.accepted(Map.of("detail", "if keys here name this address, a link to remove it was mailed to it")).build();
    }

    @GET
    @Path("unpublish")
    @Produces(MediaType.TEXT_HTML)
    @Public
    @Operation(summary = "The page the unpublish link opens: a button")
    public String unpublishPage(@QueryParam("token") String token) {
        return HtmlPages.confirmation("Remove your address", "unpublish", token, "Remove my address from the keyserver");
    }

    @POST
    @Path("unpublish")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    @Public
    @Operation(summary = "Take the token's address off every key (form post from the page)")
    public String unpublishForm(@FormParam("token") String token) {
        int keys = runtime.keyserver().unpublish(token).size();
        return HtmlPages.page("Address removed", "<p>Your address is no longer published on " + keys + " key" + (keys == 1 ? "" : "s") + ".</p>");
    }

    @POST
    @Path("unpublish/confirm")
    @Consumes(MediaType.APPLICATION_JSON)
    @Public
    @Operation(summary = "Take the token's address off every key: {token}")
    public List<PublishedView> unpublish(Verification request) {
        return runtime.keyserver().unpublish(token(request)).stream().map(PublishedView::of).toList();
    }

    public record Removal(String reason, Boolean block) {
    }

    @POST
    @Path("keys/{fingerprint}/delete")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "Delete a key (and with block: true, refuse its fingerprint from now on): {reason, block}")
    public Response delete(@PathParam("fingerprint") String fingerprint, Removal removal) {
        runtime.keyserver().delete(fingerprint, removal != null && Boolean.TRUE.equals(removal.block()), removal == null ? null : removal.reason(),
                security.getUserPrincipal().getName());
        return Response.noContent().build();
    }

    @GET
    @Path("dane")
    @Produces("text/dns")
    @Allow({Role.CA_ADMIN, Role.AUDITOR})
    @Operation(summary = "A zone-file fragment for ?domain=: OPENPGPKEY records (RFC 7929) of its published addresses, SMIMEA records (RFC 8162) of its verified mailboxes' valid certificates")
    public String dane(@QueryParam("domain") String domain) {
        return runtime.daneZone(domain);
    }

    private static String token(Verification request) {
        if (request == null || request.token() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"token\": ...}");
        }
        return request.token();
    }
}
