package org.letterlock.keyserver.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.LetterlockException;

/**
 * HKP as gpg's dirmngr speaks it (draft-gallagher-openpgp-hkp): {@code GET /pks/lookup} with {@code op=get},
 * {@code op=index} and {@code op=vindex} ({@code options=mr} for machine-readable answers, {@code fingerprint=on},
 * {@code exact=on}), searching by {@code 0x} key ID or fingerprint, by address or by text; {@code POST /pks/add} with
 * {@code keytext}. Independent of the HTTP server, so the dedicated port and the servlet answer alike.
 */
public final class HkpProtocol {
    static final String KEYS = "application/pgp-keys";
    static final String TEXT = "text/plain; charset=utf-8";
    private static final java.util.regex.Pattern PRIMARY_FINGERPRINT = java.util.regex.Pattern.compile("(?i)0x([0-9a-f]{40}|[0-9a-f]{64})");

    /** An HTTP answer: status, content type, body. */
    public record Answer(int status, String contentType, byte[] body) {
        static Answer text(int status, String text) {
            return new Answer(status, TEXT, (text + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(HkpProtocol.class.getName());

    private final Keyserver keyserver;

    public HkpProtocol(Keyserver keyserver) {
        this.keyserver = keyserver;
    }

    /** {@code path} starts at {@code /pks}; {@code rawQuery} is as received (percent-encoded); {@code source} is the client's address. */
    public Answer handle(String method, String path, String rawQuery, String contentType, byte[] body, String source) {
        // No one signs in to publish a key: the records of the request name its client.
        try (org.letterlock.platform.audit.Actor.Scope client = org.letterlock.platform.audit.Actor.as(KeyserverRuntime.clientActor(source))) {
            if (path.equals("/pks/lookup")) {
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    return Answer.text(405, "use GET for /pks/lookup");
                }
                return lookup(parameters(rawQuery));
            }
            if (path.equals("/pks/add")) {
                if (!method.equals("POST")) {
                    return Answer.text(405, "use POST for /pks/add");
                }
                return add(contentType, body, source);
            }
            return Answer.text(404, "HKP serves /pks/lookup and /pks/add");
        } catch (LetterlockException e) {
            return Answer.text(e.type().status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return Answer.text(400, "malformed request: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(java.util.logging.Level.SEVERE, "HKP request failed", e);
            return Answer.text(500, "internal error; the server log has it");
        }
    }

    private Answer lookup(Map<String, String> parameters) {
        String op = parameters.getOrDefault("op", "");
        String search = parameters.get("search");
        if (search == null || search.isBlank()) {
            return Answer.text(400, "missing search=");
        }
        boolean machineReadable = parameters.getOrDefault("options", "").contains("mr");
        boolean exact = "on".equalsIgnoreCase(parameters.get("exact"));
        if (op.equals("get") && PRIMARY_FINGERPRINT.matcher(search.trim()).matches()) {
            // gpg's --recv-keys: the one lookup worth answering from memory.
            Optional<byte[]> armored = keyserver.armoredKey(search.trim().substring(2).toUpperCase(java.util.Locale.ROOT));
            if (armored.isPresent()) {
                return armoredAnswer(armored.get(), machineReadable);
            }
        }
        List<StoredKey> found = find(search.trim(), exact);
        switch (op) {
            case "get" -> {
                if (found.isEmpty()) {
                    return Answer.text(404, "No results found");
                }
                return keys(found.stream().map(StoredKey::publishedKey).toList(), machineReadable);
            }
            case "index", "vindex" -> {
                if (found.isEmpty()) {
                    return Answer.text(404, "No results found");
                }
                String index = index(found);
                return machineReadable ? Answer.text(200, index.stripTrailing()) : new Answer(200, "text/html; charset=utf-8", html(index));
            }
            case "" -> {
                return Answer.text(400, "missing op= (get, index or vindex)");
            }
            default -> {
                return Answer.text(501, "op=" + op + " is not implemented; use get, index or vindex");
            }
        }
    }

    private static Answer keys(List<byte[]> published, boolean machineReadable) {
        return armoredAnswer(OpenPgpKeys.armored(published).getBytes(StandardCharsets.US_ASCII), machineReadable);
    }

    private static Answer armoredAnswer(byte[] armored, boolean machineReadable) {
        return machineReadable ? new Answer(200, KEYS, armored) : new Answer(200, "text/html; charset=utf-8", html(new String(armored, StandardCharsets.US_ASCII)));
    }

    /**
     * By 0x key ID or fingerprint, or by exact address. No free-text search: it would list other people's addresses
     * three letters at a time (keys.openpgp.org made the same choice).
     */
    private List<StoredKey> find(String search, boolean exact) {
        if (search.matches("(?i)0x[0-9a-f]+")) {
            return keyserver.byId(search);
        }
        Optional<String> address = OpenPgpKeys.address(search);
        if (address.isPresent()) {
            return keyserver.byAddress(address.get());
        }
        throw new LetterlockException(org.letterlock.platform.error.ErrorType.BAD_REQUEST, "search by mail address, or by 0x fingerprint or key ID");
    }

    /** The largest request body worth reading: a form-encoded key at the configured size limit. */
    public int maxBodyBytes() {
        return 4 * keyserver.limits().maxBytes();
    }

    /** A request body of at most {@link #maxBodyBytes}; a larger one is a 413, not a key cut short. */
    public byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(maxBodyBytes());
        if (in.read() != -1) {
            throw new LetterlockException(org.letterlock.platform.error.ErrorType.PAYLOAD_TOO_LARGE, "the request is larger than " + maxBodyBytes()
                    + " bytes; a key may have at most " + keyserver.limits().maxBytes() + " (letterlock.keyserver.max-key-bytes)");
        }
        return body;
    }

    /** The machine-readable index: info, then pub and uid lines per key, as gpg parses them. */
    static String index(List<StoredKey> keys) {
        StringBuilder out = new StringBuilder("info:1:").append(keys.size()).append('\n');
        for (StoredKey key : keys) {
            String flags = (key.revoked() ? "r" : "") + (key.expiresAt().map(e -> e.isBefore(Instant.now())).orElse(false) ? "e" : "");
            out.append("pub:").append(key.fingerprint()).append(':').append(key.algorithm()).append(':').append(key.bits()).append(':')
                    .append(key.keyCreatedAt().getEpochSecond()).append(':').append(key.expiresAt().map(e -> Long.toString(e.getEpochSecond())).orElse(""))
                    .append(':').append(flags).append('\n');
            for (StoredKey.UserId userId : key.publishedUserIds()) {
                out.append("uid:").append(escape(userId.text())).append(':').append(key.keyCreatedAt().getEpochSecond()).append("::").append(flags).append('\n');
            }
        }
        return out.toString();
    }

    /** HKP escapes ':' '%' and anything outside printable ASCII as %XX (UTF-8 bytes). */
    static String escape(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x20 || c > 0x7e || c == ':' || c == '%') {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }

    private Answer add(String contentType, byte[] body, String source) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return Answer.text(415, "send keytext= as application/x-www-form-urlencoded");
        }
        String keytext = parameters(new String(body, StandardCharsets.US_ASCII)).get("keytext");
        if (keytext == null || keytext.isBlank()) {
            return Answer.text(400, "missing keytext=");
        }
        List<Keyserver.Uploaded> uploaded = keyserver.upload(keytext.getBytes(StandardCharsets.UTF_8), source);
        StringBuilder out = new StringBuilder();
        for (Keyserver.Uploaded key : uploaded) {
            out.append("key ").append(key.fingerprint()).append(": stored");
            long pending = key.userIds().values().stream().filter(s -> s == Keyserver.Status.PENDING).count();
            if (pending > 0) {
                out.append("; ").append(pending).append(" user IDs wait for the confirmation mailed to their address");
            }
            out.append('\n');
        }
        return Answer.text(200, out.toString().stripTrailing());
    }

    private static Map<String, String> parameters(String query) {
        Map<String, String> parameters = new HashMap<>();
        if (query == null) {
            return parameters;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            parameters.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
        }
        return parameters;
    }

    private static byte[] html(String content) {
        String escaped = content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return ("<!DOCTYPE html>\n<html><head><title>Letterlock keyserver</title></head><body><pre>\n" + escaped + "</pre></body></html>\n")
                .getBytes(StandardCharsets.UTF_8);
    }
}
