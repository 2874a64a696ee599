package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsObjectsArraysAndScalars() {
        Object value = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": []} ");
        assertThat(value).isEqualTo(Map.of("a", java.util.Arrays.asList(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, null),
                "b", Map.of("c", "d"), "e", List.of()));
    }

    @Test
    void readsEscapes() {
        assertThat(Json.parse("\"-----BEGIN X-----\\nMII\\/a\\u00e9\\\"\\\\\\t\"")).isEqualTo("-----BEGIN X-----\nMII/a\u00e9\"\\\t");
    }

    @Test
    void quotesWhatItReadsBack() {
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\r\nMIIB\"x\\y\u0001\n-----END CERTIFICATE REQUEST-----\n";
        assertThat(Json.quote(pem)).doesNotContain("\n").startsWith("\"").endsWith("\"");
        assertThat(Json.parse(Json.quote(pem))).isEqualTo(pem);
    }

    @Test
    void namesWhatIsMalformed() {
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("expected ':'");
        assertThatThrownBy(() -> Json.parse("[1, 2")).hasMessageContaining("expected ']'");
        assertThatThrownBy(() -> Json.parse("{} x")).hasMessageContaining("text after the value");
        assertThatThrownBy(() -> Json.object("[1]")).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> Json.string(Json.object("{\"a\": 1}"), "a")).hasMessageContaining("expected a string \"a\"");
    }
}
