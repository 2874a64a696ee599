package org.letterlock.platform.identity;

import java.util.Arrays;
import java.util.Locale;

/**
 * Account roles. Kept apart on purpose: no role implies another. {@code mailbox-owner} is the people whose mail is
 * protected: they act only on mailboxes registered to their account name.
 */
public enum Role {
    CA_ADMIN("ca-admin"),
    RA_OFFICER("ra-officer"),
    RECOVERY_AGENT("recovery-agent"),
    AUDITOR("auditor"),
    MAILBOX_OWNER("mailbox-owner");

    private final String id;

    Role(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Role fromId(String id) {
        if (id == null) {
            throw new IllegalArgumentException("a role must be one of " + Arrays.stream(values()).map(Role::id).toList());
        }
        String wanted = id.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(r -> r.id.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown role '" + id + "'; roles are "
                        + Arrays.stream(values()).map(Role::id).toList()));
    }
}
