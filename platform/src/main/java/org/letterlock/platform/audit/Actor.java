package org.letterlock.platform.audit;

import java.util.function.Supplier;

/** Who is acting on the current thread: set by the web layer after authentication, "system" otherwise. */
public final class Actor {
    public static final String SYSTEM = "system";
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private Actor() {
    }

    public static String current() {
        String actor = CURRENT.get();
        return actor == null ? SYSTEM : actor;
    }

    public static void set(String actor) {
        CURRENT.set(actor);
    }

    public static void clear() {
        CURRENT.remove();
    }

    public static <T> T as(String actor, Supplier<T> action) {
        String previous = CURRENT.get();
        CURRENT.set(actor);
        try {
            return action.get();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
