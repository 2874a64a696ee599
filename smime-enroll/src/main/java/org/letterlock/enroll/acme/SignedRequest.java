package org.letterlock.enroll.acme;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * A request body in the flattened JWS JSON serialization (RFC 8555 section 6.2), parsed but not yet verified: the
 * protected header's alg, nonce, url and either jwk or kid, the payload (empty for POST-as-GET) and the signature.
 */
record SignedRequest(String alg, String nonce, String url, Optional<String> kid, Optional<JsonObject> jwk, byte[] payload, byte[] signingInput,
                     byte[] signature) {
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

    static SignedRequest parse(byte[] body) {
        return parse(body, "the JWS", true);
    }

    /**
     * The inner JWS of a key change (RFC 8555 section 7.3.5), from the outer JWS's payload: signed by the new key, which
     * it carries as {@code jwk}, and without a nonce. Its {@code nonce} here is empty.
     */
    static SignedRequest parseKeyChange(byte[] payload) {
        SignedRequest inner = parse(payload, "the key change's inner JWS", false);
        if (inner.jwk().isEmpty()) {
            throw AcmeProblem.malformed("the key change's inner JWS must carry the new key as jwk, not kid");
        }
        return inner;
    }

    private static SignedRequest parse(byte[] body, String what, boolean outer) {
        JsonObject jws = AcmeJson.parse(body, outer ? "the request body" : what);
        String protectedPart = text(jws, "protected", what);
        String payloadPart = text(jws, "payload", what);
        String signaturePart = text(jws, "signature", what);
        if (jws.containsKey("header")) {
            throw AcmeProblem.malformed(what + " must have no unprotected header");
        }
        String headerName = what + " protected header";
        JsonObject header = AcmeJson.parse(decode(protectedPart, "protected"), headerName);
        String alg = text(header, "alg", headerName);
        AccountKey.requireSupported(alg);
        boolean hasKid = header.containsKey("kid");
        boolean hasJwk = header.containsKey("jwk");
        if (hasKid == hasJwk) {
            throw AcmeProblem.malformed(headerName + " must have exactly one of jwk and kid");
        }
        Optional<JsonObject> jwk = Optional.empty();
        if (hasJwk) {
            if (header.get("jwk").getValueType() != JsonValue.ValueType.OBJECT) {
                throw AcmeProblem.malformed(headerName + "'s jwk is not a JSON object");
            }
            jwk = Optional.of(header.getJsonObject("jwk"));
        }
        if (!outer && header.containsKey("nonce")) {
            throw AcmeProblem.malformed(headerName + " must have no nonce");
        }
        return new SignedRequest(alg, outer ? text(header, "nonce", headerName) : "", text(header, "url", headerName),
                hasKid ? Optional.of(text(header, "kid", headerName)) : Optional.empty(), jwk, decode(payloadPart, "payload"),
                (protectedPart + "." + payloadPart).getBytes(StandardCharsets.US_ASCII), decode(signaturePart, "signature"));
    }

    /** POST-as-GET (RFC 8555 section 6.3): an empty payload. */
    boolean postAsGet() {
        return payload.length == 0;
    }

    JsonObject payloadObject() {
        return AcmeJson.parse(payload, "the JWS payload");
    }

    private static String text(JsonObject object, String name, String where) {
        JsonValue value = object.get(name);
        if (!(value instanceof JsonString text)) {
            throw AcmeProblem.malformed(where + " has no string member \"" + name + "\"");
        }
        return text.getString();
    }

    /** The URL decoder refuses any character outside the base64url alphabet but takes padding, which JWS forbids. */
    private static byte[] decode(String part, String name) {
        if (part.indexOf('=') >= 0) {
            throw AcmeProblem.malformed("the JWS " + name + " is not base64url without padding");
        }
        try {
            return BASE64URL.decode(part);
        } catch (IllegalArgumentException e) {
            throw AcmeProblem.malformed("the JWS " + name + " is not base64url: " + e.getMessage());
        }
    }
}
