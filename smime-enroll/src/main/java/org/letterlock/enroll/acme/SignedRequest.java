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
        JsonObject jws = AcmeJson.parse(body, "the request body");
        String protectedPart = text(jws, "protected", "the JWS");
        String payloadPart = text(jws, "payload", "the JWS");
        String signaturePart = text(jws, "signature", "the JWS");
        if (jws.containsKey("header")) {
            throw AcmeProblem.malformed("the JWS must have no unprotected header");
        }
        JsonObject header = AcmeJson.parse(decode(protectedPart, "protected"), "the JWS protected header");
        String alg = text(header, "alg", "the JWS protected header");
        AccountKey.requireSupported(alg);
        boolean hasKid = header.containsKey("kid");
        boolean hasJwk = header.containsKey("jwk");
        if (hasKid == hasJwk) {
            throw AcmeProblem.malformed("the JWS protected header must have exactly one of jwk and kid");
        }
        Optional<JsonObject> jwk = Optional.empty();
        if (hasJwk) {
            if (header.get("jwk").getValueType() != JsonValue.ValueType.OBJECT) {
                throw AcmeProblem.malformed("the JWS protected header's jwk is not a JSON object");
            }
            jwk = Optional.of(header.getJsonObject("jwk"));
        }
        return new SignedRequest(alg, text(header, "nonce", "the JWS protected header"), text(header, "url", "the JWS protected header"),
                hasKid ? Optional.of(text(header, "kid", "the JWS protected header")) : Optional.empty(), jwk, decode(payloadPart, "payload"),
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
