package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultsTest {
    final Results results = new Results(List.of("back-end", "threads", "signatures/s", "ratio"),
            List.of(List.of("pkcs11", "1", "8,700", "97%"), List.of("openssl speed -multi 2", "2", "50,200", Results.NONE)),
            List.of("a note"));

    @Test
    void formatsRatesAndPercentages() {
        assertThat(Results.rate(12625.4)).isEqualTo("12,625");
        assertThat(Results.rate(203.46)).isEqualTo("203");
        assertThat(Results.rate(98.76)).isEqualTo("98.8");
        assertThat(Results.percent(0.954)).isEqualTo("95%");
    }

    @Test
    void rendersMarkdownWithFigureColumnsRightAligned() {
        assertThat(results.markdown()).isEqualTo("""
                | back-end | threads | signatures/s | ratio |
                |---|---:|---:|---:|
                | pkcs11 | 1 | 8,700 | 97% |
                | openssl speed -multi 2 | 2 | 50,200 | - |

                - a note
                """);
    }

    @Test
    void rendersAlignedText() {
        assertThat(results.text().lines().toList()).startsWith(
                "back-end                threads  signatures/s  ratio",
                "----------------------  -------  ------------  -----",
                "pkcs11                        1         8,700    97%",
                "openssl speed -multi 2        2        50,200      -");
    }

    @Test
    void refusesRaggedRows() {
        assertThatThrownBy(() -> new Results(List.of("a", "b"), List.of(List.of("1")), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
