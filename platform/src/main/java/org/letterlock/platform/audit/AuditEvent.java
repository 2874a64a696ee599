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

    /**
     * Control characters are written as {@code \\uXXXX} before anything is hashed: they cannot forge line breaks in an
     * exported log, and PostgreSQL, which refuses NUL, cannot fail a whole group-commit batch over one caller's text.
     */
    private static String clip(String value, int length) {
        StringBuilder clean = new StringBuilder(value.length());
        value.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                clean.append(String.format("\\u%04x", c));
            } else {
                clean.appendCodePoint(c);
            }
        });
        String text = clean.toString();
        return text.length() <= length ? text : text.substring(0, length - 1) + "…";
    }
}
