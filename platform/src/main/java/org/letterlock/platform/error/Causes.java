package org.letterlock.platform.error;

/** The innermost message of an exception chain: what actually went wrong, for one-line error details. */
public final class Causes {
    private Causes() {
    }

    public static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
