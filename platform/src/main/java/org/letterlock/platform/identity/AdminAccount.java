package org.letterlock.platform.identity;

import java.time.Instant;
import java.util.Set;

public record AdminAccount(String name, Set<Role> roles, Instant createdAt, boolean disabled) {
    public boolean has(Role role) {
        return !disabled && roles.contains(role);
    }
}
