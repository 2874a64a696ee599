package org.letterlock.vault;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The name of a key: an RFC 7512 PKCS#11 URI such as {@code pkcs11:token=letterlock;object=audit-2026}.
 * Only the path attributes that name a key are kept ({@code token}, {@code object}, {@code id}, {@code type});
 * query attributes such as {@code pin-source} are refused because PINs come from configuration, never from a key name.
 */
public final class KeyUri {
    private static final String SCHEME = "pkcs11:";
    private final String token;
    private final String object;

    private KeyUri(String token, String object) {
        this.token = token;
        this.object = object;
    }

    public static KeyUri of(String token, String object) {
        requireText("token", token);
        requireText("object", object);
        return new KeyUri(token, object);
    }

    public static KeyUri parse(String uri) {
        if (uri == null || !uri.startsWith(SCHEME)) {
            throw new IllegalArgumentException("a key name must be a PKCS#11 URI starting with 'pkcs11:', got '" + uri + "'");
        }
        String rest = uri.substring(SCHEME.length());
        if (rest.contains("?")) {
            throw new IllegalArgumentException("key name '" + uri + "' has query attributes; PINs and module paths belong in configuration");
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String part : rest.split(";", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("key name '" + uri + "' has a malformed attribute '" + part + "'");
            }
            String name = part.substring(0, eq);
            if (attributes.put(name, percentDecode(part.substring(eq + 1), uri)) != null) {
                throw new IllegalArgumentException("key name '" + uri + "' repeats attribute '" + name + "'");
            }
        }
        String type = attributes.remove("type");
        if (type != null && !type.equals("private") && !type.equals("public") && !type.equals("cert")) {
            throw new IllegalArgumentException("key name '" + uri + "' has unsupported type '" + type + "'");
        }
        attributes.remove("id");
        String token = attributes.remove("token");
        String object = attributes.remove("object");
        if (!attributes.isEmpty()) {
            throw new IllegalArgumentException("key name '" + uri + "' has unsupported attributes " + attributes.keySet());
        }
        if (token == null || object == null) {
            throw new IllegalArgumentException("key name '" + uri + "' must name both token= and object=");
        }
        return of(token, object);
    }

    public String token() {
        return token;
    }

    public String object() {
        return object;
    }

    private static void requireText(String attribute, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a key name needs a non-empty " + attribute);
        }
    }

    private static String percentDecode(String value, String uri) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length()) {
                    throw new IllegalArgumentException("key name '" + uri + "' has a truncated %-escape");
                }
                try {
                    out.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("key name '" + uri + "' has a malformed %-escape");
                }
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String percentEncode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return SCHEME + "token=" + percentEncode(token) + ";object=" + percentEncode(object);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeyUri that && token.equals(that.token) && object.equals(that.object);
    }

    @Override
    public int hashCode() {
        return Objects.hash(token, object);
    }
}
