package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyserverScaleTest {

    private static Wrk.Result run(long requests, double p99) {
        return new Wrk.Result(requests, 10, Map.of(99, p99), 0, 0, 0, 0, 0);
    }

    @Test
    void p99IsComparedWithTheSmallestStore() {
        KeyserverServe.Import imported = new KeyserverServe.Import(10_000, 5, 10_000, 0);
        Results results = KeyserverScale.results(List.of(
                new KeyserverScale.Phase(10_000, imported, run(200_000, 5.0), run(KeyserverScale.COLD, 10.0), "1", "1"),
                new KeyserverScale.Phase(100_000, imported, run(200_000, 5.5), run(KeyserverScale.COLD, 13.0), "1", "1"),
                new KeyserverScale.Phase(1_000_000, imported, run(200_000, 6.5), run(KeyserverScale.COLD - Wrk.CONNECTIONS - 1, 11.0), "1", "1")), new java.util.LinkedHashMap<>());
        assertThat(results.rows().get(0).get(4)).isEqualTo("baseline");
        assertThat(results.rows().get(1).get(4)).isEqualTo("1.10x: within 20%");
        assertThat(results.rows().get(1).get(7)).isEqualTo("1.30x: NOT within 20%");
        assertThat(results.rows().get(2).get(4)).isEqualTo("1.30x: NOT within 20%");
        assertThat(results.rows().get(2).get(5)).endsWith("(INCOMPLETE)");
        assertThat(KeyserverScale.verdict(new Wrk.Result(10, 1, Map.of(99, 1.0), 3, 0, 0, 0, 0), run(1, 1.0), false)).startsWith("no verdict");
    }
}
