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
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.web.HtmlPages;
import org.letterlock.platform.web.Public;

/** The link mailed for each address of an uploaded key: it publishes that address's user IDs. */
@Path("keyserver")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keyserver", description = "Publishing OpenPGP user IDs after their mailbox confirmed them")
public class KeyserverResource {

    @Inject
    KeyserverRuntime runtime;

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
        if (request == null || request.token() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"token\": ...}");
        }
        return PublishedView.of(runtime.keyserver().verify(request.token()));
    }
}
