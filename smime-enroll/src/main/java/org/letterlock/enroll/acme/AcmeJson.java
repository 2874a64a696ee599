package org.letterlock.enroll.acme;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.spi.JsonProvider;
import java.io.ByteArrayInputStream;

/** JSON in and out through one provider, looked up once instead of per document. */
final class AcmeJson {
    private static final JsonProvider PROVIDER = JsonProvider.provider();

    private AcmeJson() {
    }

    static JsonObjectBuilder object() {
        return PROVIDER.createObjectBuilder();
    }

    static jakarta.json.JsonArrayBuilder array() {
        return PROVIDER.createArrayBuilder();
    }

    /** {@code bytes} as a JSON object, refused as malformed when it is none. */
    static JsonObject parse(byte[] bytes, String what) {
        try (JsonReader reader = PROVIDER.createReader(new ByteArrayInputStream(bytes))) {
            return reader.readObject();
        } catch (JsonException | IllegalStateException | ClassCastException e) {
            throw AcmeProblem.malformed(what + " is not a JSON object");
        }
    }

    static jakarta.json.JsonArray parseArray(String text) {
        try (JsonReader reader = PROVIDER.createReader(new java.io.StringReader(text))) {
            return reader.readArray();
        }
    }
}
