package org.letterlock.enroll.acme;

import jakarta.json.JsonObjectBuilder;
import java.util.Map;

/**
 * A refusal in ACME's own error form: an RFC 8555 section 6.7 problem document of type
 * {@code urn:ietf:params:acme:error:<type>}, answered as {@code application/problem+json}.
 */
public final class AcmeProblem extends RuntimeException {
    private final String type;
    private final int status;
    private final Map<String, String> extra;

    AcmeProblem(String type, int status, String detail) {
        this(type, status, detail, Map.of());
    }

    AcmeProblem(String type, int status, String detail, Map<String, String> extra) {
        super(detail, null, false, false);
        this.type = type;
        this.status = status;
        this.extra = extra;
    }

    static AcmeProblem malformed(String detail) {
        return new AcmeProblem("malformed", 400, detail);
    }

    static AcmeProblem unauthorized(String detail) {
        return new AcmeProblem("unauthorized", 403, detail);
    }

    /** The problem type's short name, as in RFC 8555 section 6.7. */
    public String type() {
        return type;
    }

    public int status() {
        return status;
    }

    public String json() {
        JsonObjectBuilder problem = AcmeJson.object().add("type", "urn:ietf:params:acme:error:" + type).add("detail", getMessage()).add("status", status);
        // Extra members are JSON arrays (badSignatureAlgorithm's "algorithms").
        extra.forEach((name, value) -> problem.add(name, AcmeJson.parseArray(value)));
        return problem.build().toString();
    }
}
