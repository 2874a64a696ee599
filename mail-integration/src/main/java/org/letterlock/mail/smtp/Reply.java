package org.letterlock.mail.smtp;

/** A server's reply: its code and its text (continuation lines joined by a space), as a delivery log and a bounce show it. */
public record Reply(int code, String text) {

    public boolean positive() {
        return code >= 200 && code < 400;
    }

    /** A 4xx: the same transaction may succeed later. */
    public boolean transientFailure() {
        return code >= 400 && code < 500;
    }

    @Override
    public String toString() {
        return code + " " + text;
    }

    /** A reply the gateway makes up for a failure that never got one from the hop (connection refused, TLS refused). */
    public static Reply local(int code, String text) {
        return new Reply(code, text);
    }
}
