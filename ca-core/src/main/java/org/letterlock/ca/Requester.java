package org.letterlock.ca;

import java.util.Set;
import org.letterlock.platform.identity.Role;

/** Who asks the CA for something: an account name and its roles, as the web layer authenticated it. */
public record Requester(String name, Set<Role> roles) {
    public Requester {
        roles = Set.copyOf(roles);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** The CA itself (first start, responder renewal, escrow inside the server). */
    public static Requester system() {
        return new Requester("system", Set.of());
    }
}
