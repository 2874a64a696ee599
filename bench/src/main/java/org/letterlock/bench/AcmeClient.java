package org.letterlock.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.Map;

/**
 * The client side of ACME (RFC 8555) that the enrollment benchmark needs, one per client thread: JWS requests signed
 * with an EC P-256 account key (ES256), the nonce of each answer kept for the next request, keep-alive on the shared
 * HTTP client. acme4j is what the tests use; here a client of our own keeps the load generator's cost per order small
 * and visible, since it runs on the same two cores as the server.
 */
final class AcmeClient {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    /** An answer: its status, body, and the Location header when there is one. */
    record Answer(int status, String body, String location) {
        Map<String, Object> json() {
            return Json.object(body);
        }
    }

    /** Thrown for an answer other than the one expected, with the server's problem document. */
    static final class Refused extends IOException {
        Refused(String what, HttpResponse<String> response) {
            super(what + " answered " + response.statusCode() + ": " + Json.abbreviate(response.body()));
        }
    }

    private final HttpClient http;
    private final Map<String, Object> directory;
    private String nonce;

    AcmeClient(HttpClient http, Map<String, Object> directory) {
        this.http = http;
        this.directory = directory;
    }

    static Map<String, Object> directory(HttpClient http, URI url) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new Refused("GET " + url, response);
        }
        return Json.object(response.body());
    }

    /** A new account for {@code key}; returns its URL, the key id of later requests. */
    String newAccount(Es256Signer key, String contact) throws IOException, InterruptedException {
        String url = Json.string(directory, "newAccount");
        String payload = "{\"termsOfServiceAgreed\":true,\"contact\":[" + Json.quote("mailto:" + contact) + "]}";
        Answer answer = signed(url, key, "\"jwk\":" + jwk(key.publicKey()), payload, 201);
        return answer.location();
    }

    Answer newOrder(Es256Signer key, String account, String mailbox) throws IOException, InterruptedException {
        String payload = "{\"identifiers\":[{\"type\":\"email\",\"value\":" + Json.quote(mailbox) + "}]}";
        return post(Json.string(directory, "newOrder"), key, account, payload, 201);
    }

    /** A POST with a JSON payload (an empty string: POST-as-GET) under the account's key id. */
    Answer post(String url, Es256Signer key, String account, String payload, int expected) throws IOException, InterruptedException {
        return signed(url, key, kid(account), payload, expected);
    }

    private Answer signed(String url, Es256Signer key, String keyMember, String payload, int expected) throws IOException, InterruptedException {
        if (nonce == null) {
            HttpResponse<Void> fresh = http.send(HttpRequest.newBuilder(URI.create(Json.string(directory, "newNonce")))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            nonce = fresh.headers().firstValue("Replay-Nonce").orElseThrow(() -> new IOException("newNonce answered " + fresh.statusCode() + " without a Replay-Nonce"));
        }
        String header = "{\"alg\":\"ES256\",\"nonce\":" + Json.quote(nonce) + ",\"url\":" + Json.quote(url) + "," + keyMember + "}";
        String protectedPart = base64url(header.getBytes(StandardCharsets.UTF_8));
        String payloadPart = payload.isEmpty() ? "" : base64url(payload.getBytes(StandardCharsets.UTF_8));
        String body = "{\"protected\":" + Json.quote(protectedPart) + ",\"payload\":" + Json.quote(payloadPart) + ",\"signature\":"
                + Json.quote(base64url(key.sign((protectedPart + "." + payloadPart).getBytes(StandardCharsets.US_ASCII)))) + "}";
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/jose+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        nonce = response.headers().firstValue("Replay-Nonce").orElse(null);
        if (response.statusCode() != expected) {
            throw new Refused("POST " + url, response);
        }
        return new Answer(response.statusCode(), response.body(), response.headers().firstValue("Location").orElse(null));
    }

    private static String kid(String account) {
        return "\"kid\":" + Json.quote(account);
    }

    /** The JWK of an EC P-256 public key (RFC 7518 section 6.2.1), members in the order RFC 7638 hashes them. */
    static String jwk(ECPublicKey key) {
        return "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + base64url(coordinate(key.getW().getAffineX())) + "\",\"y\":\""
                + base64url(coordinate(key.getW().getAffineY())) + "\"}";
    }

    /** The RFC 7638 thumbprint of the key, as RFC 8823's key authorization uses it. */
    static String thumbprint(ECPublicKey key) {
        return base64url(sha256(jwk(key).getBytes(StandardCharsets.US_ASCII)));
    }

    /** RFC 8823 section 3.1: base64url(SHA-256(token-part1 || token-part2 "." thumbprint)). */
    static String challengeResponse(String tokenPart1, String tokenPart2, ECPublicKey accountKey) {
        return base64url(sha256((tokenPart1 + tokenPart2 + "." + thumbprint(accountKey)).getBytes(StandardCharsets.US_ASCII)));
    }

    static String base64url(byte[] bytes) {
        return BASE64URL.encodeToString(bytes);
    }

    private static byte[] coordinate(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, fixed, 32 - copy, copy);
        return fixed;
    }

    static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
