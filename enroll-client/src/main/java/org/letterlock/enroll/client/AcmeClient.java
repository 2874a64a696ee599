package org.letterlock.enroll.client;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;

/**
 * The ACME (RFC 8555) calls letterlock-enroll makes to get a signing certificate for an email identifier, proven by
 * RFC 8823's email-reply-00 challenge. The account key (ES256) is made for one run and thrown away: Letterlock takes
 * the reply to the challenge mail, not the account, as the proof of the mailbox, so there is nothing to keep.
 */
final class AcmeClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String JOSE = "application/jose+json";

    private final HttpClient http;
    private final KeyPair accountKey;
    private final URI directoryUrl;
    private final JsonObject directory;
    private String nonce;
    private URI account;

    private AcmeClient(HttpClient http, KeyPair accountKey, URI directoryUrl, JsonObject directory) {
        this.http = http;
        this.accountKey = accountKey;
        this.directoryUrl = directoryUrl;
        this.directory = directory;
    }

    /** The email-reply-00 challenge of an order: where to respond, who sends the mail, and token-part2. */
    record Challenge(URI url, String from, String tokenPart2) {
    }

    /** An order for one email identifier, with its one challenge. */
    record Order(URI url, URI finalizeUrl, Challenge challenge) {
    }

    /** A failure the ACME server answered with a problem document (RFC 8555 section 6.7). */
    static final class Refused extends IOException {
        private final String type;

        Refused(String step, int status, String type, String detail) {
            super("ACME " + step + " refused (HTTP " + status + (type.isEmpty() ? "" : ", " + type.replace("urn:ietf:params:acme:error:", "")) + "): " + detail);
            this.type = type;
        }

        boolean badNonce() {
            return type.equals("urn:ietf:params:acme:error:badNonce");
        }
    }

    /** Reads the directory at {@code directoryUrl} and makes a new account with a fresh key. */
    static AcmeClient register(URI directoryUrl, X509TrustManager trust) throws IOException, GeneralSecurityException {
        https(directoryUrl, directoryUrl.toString(), "directory");
        HttpClient http = HttpClient.newBuilder().sslContext(TrustAnchor.tls(trust)).connectTimeout(TIMEOUT).build();
        HttpResponse<byte[]> answer = checked(fetch(http, HttpRequest.newBuilder(directoryUrl).GET()), "directory");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        AcmeClient client = new AcmeClient(http, generator.generateKeyPair(), directoryUrl, json("directory", answer.body()));
        client.account = client.location("newAccount", client.post("newAccount", client.resource("newAccount"),
                Json.createObjectBuilder().add("termsOfServiceAgreed", true).build().toString()));
        return client;
    }

    /** A new order for {@code address}, and its challenge. Letterlock mails the challenge as it makes the order. */
    Order order(String address) throws IOException, GeneralSecurityException {
        String payload = Json.createObjectBuilder().add("identifiers", Json.createArrayBuilder()
                .add(Json.createObjectBuilder().add("type", "email").add("value", address))).build().toString();
        HttpResponse<byte[]> answer = post("newOrder", resource("newOrder"), payload);
        JsonObject order = json("newOrder", answer.body());
        URI url = location("newOrder", answer);
        JsonValue authorizations = order.get("authorizations");
        if (!(authorizations instanceof jakarta.json.JsonArray list) || list.size() != 1 || !(list.get(0) instanceof JsonString authorizationUrl)) {
            throw new IOException("ACME newOrder: the order has no single authorization for " + address);
        }
        JsonObject authorization = json("authorization", postAsGet("authorization", https(url, authorizationUrl.getString(), "authorization URL")).body());
        JsonValue challenges = authorization.get("challenges");
        for (JsonValue candidate : challenges instanceof jakarta.json.JsonArray offered ? offered : List.<JsonValue>of()) {
            if (!(candidate instanceof JsonObject challenge)) {
                continue;
            }
            if ("email-reply-00".equals(challenge.getString("type", ""))) {
                return new Order(url, link(order, "finalize", "finalize URL"), new Challenge(link(challenge, "url", "challenge URL"), field(challenge, "from"),
                        field(challenge, "token")));
            }
        }
        throw new IOException("the ACME server offers no email-reply-00 challenge for " + address + " (RFC 8823)");
    }

    /** Tells the server the reply is (or is about to be) on its way (RFC 8555 section 7.5.1). */
    void respond(Challenge challenge) throws IOException, GeneralSecurityException {
        post("challenge", challenge.url(), "{}");
    }

    /**
     * RFC 8823 section 3.1: base64url(SHA-256(key authorization)), the key authorization being token-part1 ||
     * token-part2 "." base64url(JWK thumbprint of the account key).
     */
    String challengeResponse(String tokenPart1, Challenge challenge) throws GeneralSecurityException {
        String keyAuthorization = tokenPart1 + challenge.tokenPart2() + "." + BASE64URL.encodeToString(thumbprint());
        return BASE64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(keyAuthorization.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Waits until the order is ready for its CSR: the reply has reached the server and proved the mailbox. */
    void awaitReady(Order order, Instant deadline) throws IOException, GeneralSecurityException {
        JsonObject state = await("order", order.url(), "ready", deadline);
        if (!"ready".equals(state.getString("status", ""))) {
            throw new IOException("the order is " + state.getString("status", "?") + " instead of ready");
        }
    }

    /** Finalizes the order with {@code csr} (DER) and downloads the certificate chain: the signing certificate first. */
    List<X509Certificate> finalizeOrder(Order order, byte[] csr, Instant deadline) throws IOException, GeneralSecurityException {
        JsonObject state = json("finalize", post("finalize", order.finalizeUrl(), Json.createObjectBuilder().add("csr", BASE64URL.encodeToString(csr)).build().toString()).body());
        if (!"valid".equals(state.getString("status", ""))) {
            state = await("order", order.url(), "valid", deadline);
        }
        HttpResponse<byte[]> chain = postAsGet("certificate", link(state, "certificate", "certificate URL"));
        try {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(chain.body())).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certificates.isEmpty()) {
                throw new IOException("ACME certificate: the answer holds no certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IOException("ACME certificate: the answer is not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    /** Polls {@code url} (POST-as-GET) until its status is {@code wanted}, invalid, or the deadline passes; honours Retry-After. */
    private JsonObject await(String step, URI url, String wanted, Instant deadline) throws IOException, GeneralSecurityException {
        while (true) {
            HttpResponse<byte[]> answer = postAsGet(step, url);
            JsonObject state = json(step, answer.body());
            String status = state.getString("status", "");
            if (status.equals(wanted)) {
                return state;
            }
            if (status.equals("invalid")) {
                throw new IOException("the ACME " + step + " turned invalid" + (state.get("error") instanceof JsonObject error ? ": " + problemDetail(error) : ""));
            }
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || left.isZero()) {
                throw new IOException("the ACME " + step + " is still " + status + " at the deadline (see --challenge-timeout)");
            }
            // As long as the server asks (RFC 8555 section 8.2), at least a second, and never past the deadline.
            Duration asked = answer.headers().firstValue("Retry-After").flatMap(AcmeClient::retryAfter).orElse(Duration.ofSeconds(1));
            sleep(java.util.Collections.min(List.of(left, asked.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : asked)));
        }
    }

    private HttpResponse<byte[]> postAsGet(String step, URI url) throws IOException, GeneralSecurityException {
        return post(step, url, "");
    }

    /** A JWS POST (RFC 8555 section 6.2), retried once on badNonce with the nonce that answer carried (section 6.5). */
    private HttpResponse<byte[]> post(String step, URI url, String payload) throws IOException, GeneralSecurityException {
        for (int attempt = 0; ; attempt++) {
            if (nonce == null) {
                send(HttpRequest.newBuilder(resource("newNonce")).method("HEAD", HttpRequest.BodyPublishers.noBody()), "newNonce");
                if (nonce == null) {
                    throw new IOException("the ACME server gave no Replay-Nonce");
                }
            }
            String signed = jws(url, payload);
            nonce = null;
            try {
                return send(HttpRequest.newBuilder(url).header("Content-Type", JOSE).POST(HttpRequest.BodyPublishers.ofString(signed)), step);
            } catch (Refused e) {
                if (attempt > 0 || !e.badNonce()) {
                    throw e;
                }
            }
        }
    }

    /** Sends {@code request}, keeping the Replay-Nonce of every answer (errors carry one too) for the next POST. */
    private HttpResponse<byte[]> send(HttpRequest.Builder request, String step) throws IOException {
        HttpResponse<byte[]> answer = fetch(http, request);
        answer.headers().firstValue("Replay-Nonce").ifPresent(fresh -> nonce = fresh);
        return checked(answer, step);
    }

    private static HttpResponse<byte[]> fetch(HttpClient http, HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** {@code answer} if it is a success (2xx); else its problem document (or body) as a {@link Refused}. */
    private static HttpResponse<byte[]> checked(HttpResponse<byte[]> answer, String step) throws Refused {
        if (answer.statusCode() / 100 == 2) {
            return answer;
        }
        String type = "";
        String detail = new String(answer.body(), StandardCharsets.UTF_8).strip();
        if (answer.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")) {
            try {
                JsonObject problem = json(step, answer.body());
                type = problem.getString("type", "");
                detail = problemDetail(problem);
            } catch (IOException notJson) {
                // The body as it came is the best description there is.
            }
        }
        throw new Refused(step, answer.statusCode(), type, detail);
    }

    /** Flattened JWS (RFC 7515) signed with the account key: {@code jwk} for newAccount, the account URL as {@code kid} after. */
    private String jws(URI url, String payload) throws GeneralSecurityException {
        var header = Json.createObjectBuilder().add("alg", "ES256").add("nonce", nonce).add("url", url.toString());
        if (account == null) {
            header.add("jwk", jwk());
        } else {
            header.add("kid", account.toString());
        }
        String protectedHeader = BASE64URL.encodeToString(header.build().toString().getBytes(StandardCharsets.UTF_8));
        String encodedPayload = BASE64URL.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        // JWS wants r || s (RFC 7518 section 3.4), the P1363 form, not DER.
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        signer.initSign(accountKey.getPrivate());
        signer.update((protectedHeader + "." + encodedPayload).getBytes(StandardCharsets.US_ASCII));
        return Json.createObjectBuilder().add("protected", protectedHeader).add("payload", encodedPayload)
                .add("signature", BASE64URL.encodeToString(signer.sign())).build().toString();
    }

    /** The account key as a JWK with its members in lexicographic order, which is also the thumbprint's input (RFC 7638). */
    private String jwkText() {
        ECPublicKey key = (ECPublicKey) accountKey.getPublic();
        return "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + coordinate(key.getW().getAffineX()) + "\",\"y\":\"" + coordinate(key.getW().getAffineY()) + "\"}";
    }

    private JsonObject jwk() {
        try (JsonReader reader = Json.createReader(new StringReader(jwkText()))) {
            return reader.readObject();
        }
    }

    private byte[] thumbprint() throws GeneralSecurityException {
        return MessageDigest.getInstance("SHA-256").digest(jwkText().getBytes(StandardCharsets.UTF_8));
    }

    /** A P-256 coordinate as 32 octets, base64url (RFC 7518 section 6.2.1.2). */
    private static String coordinate(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] fixed = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, fixed, 32 - length, length);
        return BASE64URL.encodeToString(fixed);
    }

    private URI resource(String name) throws IOException {
        return https(directoryUrl, field(directory, name), "directory " + name);
    }

    private static URI location(String step, HttpResponse<?> answer) throws IOException {
        return https(answer.uri(), answer.headers().firstValue("Location").orElseThrow(() -> new IOException("ACME " + step + ": the answer has no Location")),
                step + " Location");
    }

    /** A URL the server gave, resolved against where it came from; ACME is HTTPS only (RFC 8555 section 6.1). */
    private static URI https(URI base, String value, String what) throws IOException {
        URI url;
        try {
            url = base.resolve(value);
        } catch (IllegalArgumentException e) {
            throw new IOException("the ACME server's " + what + " is not a URL: " + value);
        }
        if (!"https".equalsIgnoreCase(url.getScheme())) {
            throw new IOException("the ACME server's " + what + " is not an https URL: " + url);
        }
        return url;
    }

    private URI link(JsonObject object, String name, String what) throws IOException {
        return https(directoryUrl, field(object, name), what);
    }

    private static String field(JsonObject object, String name) throws IOException {
        JsonValue value = object.get(name);
        if (!(value instanceof JsonString text)) {
            throw new IOException("the ACME server's answer lacks " + name);
        }
        return text.getString();
    }

    /** The terms of service the directory names (RFC 8555 section 7.1.1), which newAccount agrees to. */
    Optional<String> termsOfService() {
        return directory.get("meta") instanceof JsonObject meta && meta.get("termsOfService") instanceof JsonString terms ? Optional.of(terms.getString()) : Optional.empty();
    }

    private static JsonObject json(String step, byte[] body) throws IOException {
        try (JsonReader reader = Json.createReader(new ByteArrayInputStream(body))) {
            return reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            throw new IOException("ACME " + step + ": the answer is not a JSON object", e);
        }
    }

    private static String problemDetail(JsonObject problem) {
        return problem.getString("detail", problem.getString("type", "no detail"));
    }

    /** Retry-After as delay-seconds or as an HTTP-date (RFC 9110 section 10.2.3). */
    static Optional<Duration> retryAfter(String value) {
        String text = value.strip();
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
        } catch (NumberFormatException notSeconds) {
            try {
                return Optional.of(Duration.between(Instant.now(), java.time.ZonedDateTime.parse(text, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()));
            } catch (java.time.format.DateTimeParseException neither) {
                return Optional.empty();
            }
        }
    }

    private static void sleep(Duration pause) throws IOException {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
