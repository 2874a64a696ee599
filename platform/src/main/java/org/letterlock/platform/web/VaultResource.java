package org.letterlock.platform.web;

import org.letterlock.platform.identity.Role;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.VaultStatus;

/** What the vault holds, by name only. */
@Path("vault")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class VaultResource {

    public record VaultView(VaultStatus status, List<String> keys) {
    }

    @Inject
    PlatformRuntime runtime;

    @GET
    @Allow({Role.CA_ADMIN, Role.AUDITOR})
    public VaultView describe() {
        return new VaultView(runtime.platform().vault().status(), runtime.platform().vault().keys().stream().map(KeyUri::toString).toList());
    }
}
