package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.letterlock.platform.audit.AuditVerification;

class AuditAppendTest {

    @Test
    void takesPostgresqlFromTheEnvironmentAndNamesWhatIsMissing() {
        Map<String, String> complete = Map.of(AuditAppend.PG_URL, "jdbc:postgresql://127.0.0.1:5432/letterlock_test",
                AuditAppend.PG_USER, "letterlock_test", AuditAppend.PG_PASSWORD, "secret");
        assertThat(AuditAppend.postgresEnvironment(complete)).isEqualTo(complete);
        assertThatThrownBy(() -> AuditAppend.postgresEnvironment(Map.of(AuditAppend.PG_URL, "jdbc:postgresql://h/db", AuditAppend.PG_USER, " ")))
                .hasMessageContaining("LETTERLOCK_TEST_PG_USER, LETTERLOCK_TEST_PG_PASSWORD are not set");
        assertThatThrownBy(() -> AuditAppend.postgresEnvironment(Map.of(AuditAppend.PG_URL, "jdbc:h2:mem:x", AuditAppend.PG_USER, "u",
                AuditAppend.PG_PASSWORD, "p"))).hasMessageContaining("jdbc:postgresql:");
    }

    @Test
    void putsTheRunsSchemaIntoTheUrl() {
        assertThat(AuditAppend.withSchema("jdbc:postgresql://127.0.0.1:5432/db", "bench_1a2b")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/db?currentSchema=bench_1a2b");
        assertThat(AuditAppend.withSchema("jdbc:postgresql://h/db?ssl=false", "bench_1a2b")).isEqualTo("jdbc:postgresql://h/db?ssl=false&currentSchema=bench_1a2b");
    }

    @Test
    void reportsRatiosCommitCostAndTheTargetPerPostgresqlCell() {
        AuditVerification intact = new AuditVerification(true, 12_345, 12, 0, "");
        List<AuditAppend.Cell> cells = List.of(
                new AuditAppend.Cell(AuditAppend.H2, "record(), 1 caller", 10_000, 1, 40_000, 100_000, intact, Duration.ofSeconds(1)),
                new AuditAppend.Cell(AuditAppend.POSTGRESQL, "record(), 1 caller", 700, 1, 1_400, 50_000, intact, Duration.ofSeconds(1)),
                new AuditAppend.Cell(AuditAppend.POSTGRESQL, "record(), 64 callers", 12_800, 52, 1_000, 50_000,
                        new AuditVerification(false, 99, 0, 100, "record 100 edited"), Duration.ofSeconds(1)));
        Results results = AuditAppend.results(cells, Map.of("synchronous_commit", "on", "fsync", "on"),
                Map.of(AuditAppend.H2, "H2 2.3.232", AuditAppend.POSTGRESQL, "PostgreSQL 15.18"));
        assertThat(results.rows().get(1)).containsExactly("PostgreSQL", "record(), 1 caller", "700", "1.0", "1.43", "1,400", "50,000", "50%", "1%",
                "intact (12,345 records, 12 checkpoints)");
        assertThat(results.rows().get(2).get(9)).isEqualTo("BROKEN at record 100: record 100 edited");
        assertThat(results.notes().get(0)).startsWith("Target >= 5,000 records/s on PostgreSQL with the chain intact: met by no load; NOT met by "
                + "record(), 1 caller 700/s, record(), 64 callers 12,800/s (chain broken).").contains("NOT INTACT");
    }
}
