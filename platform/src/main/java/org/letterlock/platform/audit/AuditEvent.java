package org.letterlock.platform.audit;

import java.util.Objects;

/**
 * One thing to audit: who did what, on which object, and with what outcome. {@code detail} is free text that must
 * never hold a secret (no PINs, passwords, tokens or key material).
 */
public record AuditEvent(String actor, String action, String target, Outcome outcome, String detail) {
    public AuditEvent {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(outcome, "outcome");
        detail = detail == null ? "" : detail;
        actor = clip(actor, 320);
        action = clip(action, 100);
        target = clip(target, 1000);
        detail = clip(detail, 2000);
    }

    private static String clip(String value, int length) {
        return value.length() <= length ? value : value.substring(0, length - 1) + "…";
    }
}
