package org.letterlock.platform.error;

/** The one typed error of Letterlock's domain code. Its detail is shown to the caller, so it never holds secrets. */
public class LetterlockException extends RuntimeException {
    private final ErrorType type;

    public LetterlockException(ErrorType type, String detail) {
        super(detail);
        this.type = type;
    }

    public LetterlockException(ErrorType type, String detail, Throwable cause) {
        super(detail, cause);
        this.type = type;
    }

    public ErrorType type() {
        return type;
    }

    public String detail() {
        return getMessage();
    }
}
