package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CrlSignTest {

    @Test
    void judgesTheTargetBySlowestRunAndComparesMedians() {
        Results fast = CrlSign.results(List.of(900.0, 1100.0, 1000.0), List.of(400.0, 600.0, 500.0), 100_000, 100_000);
        assertThat(fast.rows().get(0)).containsExactly("Letterlock CrlPublisher (PostgreSQL, SoftHSM2 EC P-256)", "100,000", "1,000", "1,100", "2.00x");
        assertThat(fast.notes().get(0)).contains("MET").doesNotContain("NOT MET");

        Results slow = CrlSign.results(List.of(1500.0, 2500.0, 1900.0), List.of(500.0, 500.0, 500.0), 100_000, 100_000);
        assertThat(slow.notes().get(0)).contains("slowest 2,500 ms", "NOT MET");
    }
}
