package org.letterlock.keyserver.web;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.LetterlockException;

/**
 * The VKS API of keys.openpgp.org (Hagrid): {@code GET /vks/v1/by-fingerprint/<FPR>}, {@code /by-keyid/<KEYID>},
 * {@code /by-email/<address>} answer the published key armored; {@code POST /vks/v1/upload {"keytext"}} and
 * {@code POST /vks/v1/request-verify {"token", "addresses"}} answer {@code {"key_fpr", "status", "token"}}; errors
 * are {@code {"error": ...}}. The upload token is the key's fingerprint: anyone holding the public key can upload it
 * and get one, and verification mails are rate-limited per address.
 */
@WebServlet(urlPatterns = "/vks/v1/*")
public class VksServlet extends HttpServlet {
    @Inject
    KeyserverRuntime runtime;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        try {
            List<StoredKey> keys;
            if (path.startsWith("/by-fingerprint/")) {
                String fingerprint = path.substring("/by-fingerprint/".length());
                if (!fingerprint.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
                    error(response, 400, "a fingerprint is 40 or 64 upper-case hex digits, without 0x");
                    return;
                }
                Optional<byte[]> armored = runtime.keyserver().armoredKey(fingerprint);
                if (armored.isPresent()) {
                    armoredKeys(response, armored.get());
                    return;
                }
                keys = runtime.keyserver().byId(fingerprint);
            } else if (path.startsWith("/by-keyid/")) {
                String keyId = path.substring("/by-keyid/".length());
                if (!keyId.matches("[0-9A-F]{16}")) {
                    error(response, 400, "a key ID is 16 upper-case hex digits, without 0x");
                    return;
                }
                keys = runtime.keyserver().byId(keyId);
            } else if (path.startsWith("/by-email/")) {
                // getPathInfo() is decoded already: a second decode would turn the '+' of alice+tag@ into a space.
                keys = runtime.keyserver().byAddress(path.substring("/by-email/".length()));
            } else {
                error(response, 404, "VKS serves /vks/v1/by-fingerprint/, /by-keyid/ and /by-email/");
                return;
            }
            if (keys.isEmpty()) {
                error(response, 404, "No key found");
                return;
            }
            armoredKeys(response, OpenPgpKeys.armored(keys.stream().map(StoredKey::publishedKey).toList()).getBytes(StandardCharsets.US_ASCII));
        } catch (LetterlockException e) {
            error(response, e.type().status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            error(response, 400, "malformed request: " + e.getMessage());
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        JsonObject body;
        try (InputStream in = request.getInputStream(); JsonReader reader = Json.createReader(new ByteArrayInputStream(runtime.hkp().readBody(in)))) {
            body = reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            error(response, 400, "send a JSON object");
            return;
        } catch (LetterlockException e) {
            error(response, e.type().status(), e.getMessage());
            return;
        }
        try (org.letterlock.platform.audit.Actor.Scope client = org.letterlock.platform.audit.Actor.as(KeyserverRuntime.clientActor(request.getRemoteAddr()))) {
            switch (path) {
                case "/upload" -> {
                    String keytext = text(body, "keytext").orElseThrow(() -> new IllegalArgumentException("missing keytext"));
                    byte[] keyBytes = keytext.getBytes(StandardCharsets.UTF_8);
                    if (OpenPgpKeys.read(keyBytes, runtime.keyserver().limits()).size() != 1) {
                        error(response, 400, "upload one key at a time");
                        return;
                    }
                    List<Keyserver.Uploaded> uploaded = runtime.keyserver().upload(keyBytes, request.getRemoteAddr());
                    json(response, status(uploaded.get(0).fingerprint(), uploaded.get(0).userIds()));
                }
                case "/request-verify" -> {
                    String token = text(body, "token").orElseThrow(() -> new IllegalArgumentException("missing token"));
                    runtime.keyserver().requireMailBudget(request.getRemoteAddr());
                    StoredKey key = runtime.keyserver().byId(token).stream().findFirst().orElseThrow(() -> new IllegalArgumentException("unknown token"));
                    // The token is the key's fingerprint, which anyone may know: the answer names only what is published and what the
                    // caller named, each unpublished one "pending" whether or not the key has it, so it tells nobody an address.
                    Map<String, Keyserver.Status> answer = new java.util.LinkedHashMap<>();
                    if (body.containsKey("addresses") && body.get("addresses").getValueType() == JsonValue.ValueType.ARRAY) {
                        for (JsonValue value : body.getJsonArray("addresses")) {
                            if (value instanceof JsonString address) {
                                String wanted = address.getString().toLowerCase(Locale.ROOT);
                                key.userIds().stream().filter(u -> !u.published() && u.address().equals(Optional.of(wanted))).findFirst()
                                        .ifPresent(u -> runtime.keyserver().requestVerification(key.fingerprint(), wanted));
                                answer.put(wanted, Keyserver.Status.PENDING);
                            }
                        }
                    }
                    StoredKey current = runtime.keyserver().byId(token).get(0);
                    current.userIds().stream().filter(StoredKey.UserId::published).forEach(u -> answer.put(u.text(), Keyserver.Status.PUBLISHED));
                    json(response, status(current.fingerprint(), answer));
                }
                default -> error(response, 404, "VKS takes POST /vks/v1/upload and /vks/v1/request-verify");
            }
        } catch (LetterlockException e) {
            error(response, e.type().status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            error(response, 400, e.getMessage());
        }
    }

    /** Hagrid's answer: status per address (not per user ID), the fingerprint, and the token for request-verify. */
    private static JsonObject status(String fingerprint, Map<String, Keyserver.Status> userIds) {
        JsonObjectBuilder status = Json.createObjectBuilder();
        userIds.forEach((userId, state) -> OpenPgpKeys.address(userId).ifPresent(address -> status.add(address, state.name().toLowerCase(Locale.ROOT))));
        return Json.createObjectBuilder().add("key_fpr", fingerprint).add("status", status).add("token", fingerprint).build();
    }

    private static Optional<String> text(JsonObject body, String name) {
        return body.containsKey(name) && body.get(name).getValueType() == JsonValue.ValueType.STRING ? Optional.of(body.getString(name)) : Optional.empty();
    }

    private static void json(HttpServletResponse response, JsonObject object) throws IOException {
        byte[] bytes = object.toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static void armoredKeys(HttpServletResponse response, byte[] armored) throws IOException {
        response.setStatus(200);
        response.setContentType("application/pgp-keys");
        response.setHeader("Access-Control-Allow-Origin", "*");
        response.setContentLength(armored.length);
        response.getOutputStream().write(armored);
    }

    private static void error(HttpServletResponse response, int status, String message) throws IOException {
        byte[] bytes = Json.createObjectBuilder().add("error", message).build().toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
