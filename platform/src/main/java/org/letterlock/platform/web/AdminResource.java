package org.letterlock.platform.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.AdminAccount;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.Role;

/** Administrator accounts. Only a {@code ca-admin} manages them; anyone logged in can ask who they are. */
@Path("admins")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    public record NewAccount(String name, List<String> roles, String password) {
    }

    public record AccountView(String name, List<String> roles, String createdAt, boolean disabled, String password) {
        static AccountView of(AdminAccount account, char[] password) {
            return new AccountView(account.name(), account.roles().stream().map(Role::id).toList(), account.createdAt().toString(),
                    account.disabled(), password == null ? null : new String(password));
        }
    }

    @Inject
    PlatformRuntime runtime;
    @Inject
    CredentialCache credentials;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN})
    public Response create(NewAccount request) {
        if (request == null || request.roles() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"name\": ..., \"roles\": [...], \"password\": optional}");
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String role : request.roles()) {
            try {
                roles.add(Role.fromId(role));
            } catch (IllegalArgumentException e) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, e.getMessage());
            }
        }
        AdminAccounts.Created created = runtime.platform().admins().create(request.name(), roles,
                Optional.ofNullable(request.password()).map(String::toCharArray));
        // The password is returned only when Letterlock generated it: this response is the one place it is shown.
        char[] shown = request.password() == null ? created.password() : null;
        return Response.status(Response.Status.CREATED).entity(AccountView.of(created.account(), shown)).build();
    }

    @GET
    @Allow({Role.CA_ADMIN})
    public List<AccountView> list() {
        return runtime.platform().admins().list().stream().map(a -> AccountView.of(a, null)).toList();
    }

    @POST
    @Path("{name}/disable")
    @Allow({Role.CA_ADMIN})
    public AccountView disable(@PathParam("name") String name, @Context SecurityContext caller) {
        if (caller.getUserPrincipal().getName().equals(name)) {
            throw new LetterlockException(ErrorType.CONFLICT, "an administrator cannot disable their own account");
        }
        runtime.platform().admins().disable(name);
        credentials.forget(name);
        return AccountView.of(runtime.platform().admins().find(name).orElseThrow(), null);
    }

    @GET
    @Path("me")
    @Allow({Role.CA_ADMIN, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR, Role.MAILBOX_OWNER})
    public AccountView me(@Context SecurityContext caller) {
        return AccountView.of(runtime.platform().admins().find(caller.getUserPrincipal().getName()).orElseThrow(), null);
    }
}
