package org.letterlock.platform.error;

/** The kinds of failure a caller can meet, each with the HTTP status and problem type it maps to (once, in the web adapter). */
public enum ErrorType {
    BAD_REQUEST(400, "bad-request", "Bad request"),
    UNAUTHORIZED(401, "unauthorized", "Authentication required"),
    FORBIDDEN(403, "forbidden", "Not allowed"),
    NOT_FOUND(404, "not-found", "Not found"),
    CONFLICT(409, "conflict", "Conflict"),
    GONE(410, "gone", "No longer available"),
    PAYLOAD_TOO_LARGE(413, "payload-too-large", "Request too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "Unsupported media type"),
    TOO_MANY_REQUESTS(429, "too-many-requests", "Too many requests"),
    INTERNAL(500, "internal", "Internal error"),
    UNAVAILABLE(503, "unavailable", "Service unavailable");

    private final int status;
    private final String slug;
    private final String title;

    ErrorType(int status, String slug, String title) {
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    public int status() {
        return status;
    }

    /** The RFC 9457 problem type URI. */
    public String typeUri() {
        return "urn:letterlock:problem:" + slug;
    }

    public String title() {
        return title;
    }
}
