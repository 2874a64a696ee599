package org.letterlock.platform.audit;

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

    /**
     * Acts as {@code actor} until the returned scope closes, which puts back whoever acted before: for threads that
     * are pooled and serve one client after another.
     */
    public static Scope as(String actor) {
        String before = CURRENT.get();
        CURRENT.set(actor);
        return () -> {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        };
    }

    /** The span of {@link #as}; closing it throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
