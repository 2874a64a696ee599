package org.letterlock.ca.web;

import jakarta.ws.rs.core.SecurityContext;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.letterlock.ca.Requester;
import org.letterlock.platform.identity.Role;

/** The authenticated caller of a request, as the domain sees them. */
public final class Requesters {
    private Requesters() {
    }

    public static Requester of(SecurityContext security) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        Arrays.stream(Role.values()).filter(r -> security.isUserInRole(r.id())).forEach(roles::add);
        return new Requester(security.getUserPrincipal().getName(), roles);
    }
}
