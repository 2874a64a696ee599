package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.letterlock.vault.KeySpec;

class CaIssueTest {
    private static final Options OPTIONS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(2), Path.of("/tmp"), new PrintStream(PrintStream.nullOutputStream()),
            Path.of("/tmp"));
    private static final CaIssue.DatabaseCheck CONSISTENT = new CaIssue.DatabaseCheck(12_000, 12_000, 12_001, 12_001, "");

    private static CaIssue.Cell cell(KeySpec key, double rate, Map<Integer, Long> errors, CaIssue.DatabaseCheck check) {
        return new CaIssue.Cell(key, Math.round(rate * 5), rate, errors, errors.isEmpty() ? "" : "POST ... answered 409", 8_000, 12_000, 6_000, "", 80, 0, check);
    }

    @Test
    void theDatabaseMustHoldOneRowPerCreatedAndUniqueSerials() {
        assertThat(CONSISTENT.ok()).isTrue();
        assertThat(CONSISTENT.text()).isEqualTo("ok: 12,000 rows added, 12,000 201s, serials unique");
        CaIssue.DatabaseCheck extra = new CaIssue.DatabaseCheck(12_003, 12_000, 12_004, 12_004, "");
        assertThat(extra.ok()).isFalse();
        assertThat(extra.text()).startsWith("MISMATCH: 12,003 rows added, 12,000 201s");
        CaIssue.DatabaseCheck duplicates = new CaIssue.DatabaseCheck(10, 10, 11, 9, "");
        assertThat(duplicates.text()).isEqualTo("MISMATCH: 10 rows added, 10 201s, 2 DUPLICATE serials");
        CaIssue.DatabaseCheck unread = new CaIssue.DatabaseCheck(0, 10, 0, 0, "relation \"ca_certificate\" does not exist");
        assertThat(unread.ok()).isFalse();
        assertThat(unread.text()).startsWith("NOT CHECKED: relation");
    }

    @Test
    void ecIsJudgedByItsRateAndRsaByTheVault() {
        assertThat(CaIssue.target(cell(KeySpec.EC_P256, 2_400, Map.of(), CONSISTENT))).startsWith("ec-p256: target >= 2,000 certificates/s: met, 2,400 certificates/s");
        assertThat(CaIssue.target(cell(KeySpec.EC_P256, 1_900, Map.of(), CONSISTENT))).contains("NOT MET, 1,900 certificates/s");
        CaIssue.Cell rsa = new CaIssue.Cell(KeySpec.RSA_3072, 1_700, 340, Map.of(), "", 210, 420, 6_000, "", 80, 0, CONSISTENT);
        assertThat(CaIssue.target(rsa)).startsWith("RSA-3072: target >= 80% of the raw RSA-3072 vault signing rate (2 threads, 420/s; 1 thread 210/s): met,")
                .contains("81% of the raw vault rate with 2 threads, 162% of 1 thread");
        CaIssue.Cell slow = new CaIssue.Cell(KeySpec.RSA_3072, 1_500, 300, Map.of(), "", 210, 420, 6_000, "", 80, 0, CONSISTENT);
        assertThat(CaIssue.target(slow)).contains(": NOT MET, 300 certificates/s");
    }

    @Test
    void errorsOrADatabaseMismatchFailTheCell() {
        CaIssue.Cell errors = cell(KeySpec.EC_P256, 2_400, Map.of(409, 3L, -1, 1L), CONSISTENT);
        assertThat(CaIssue.target(errors)).isEqualTo("ec-p256: target >= 2,000 certificates/s: NOT MET, the load had errors (no answer x1, 409 x3).");
        CaIssue.Cell mismatch = cell(KeySpec.EC_P256, 2_400, Map.of(), new CaIssue.DatabaseCheck(5, 4, 5, 5, ""));
        assertThat(CaIssue.target(mismatch)).contains("NOT MET, the database check failed (MISMATCH: 5 rows added, 4 201s");

        Results results = CaIssue.results(List.of(errors, cell(KeySpec.RSA_3072, 330, Map.of(), CONSISTENT)), Map.of("server_version", "15.8"), OPTIONS);
        assertThat(results.rows().get(0)).containsExactly("ec-p256", "FAILED (errors)", "-", "no answer x1, 409 x3", "8,000", "12,000", "-", "6,000",
                "ok: 12,000 rows added, 12,000 201s, serials unique");
        assertThat(results.rows().get(1)).containsExactly("rsa-3072", "330", "48.5", "none", "8,000", "12,000", "3%", "6,000",
                "ok: 12,000 rows added, 12,000 201s, serials unique");
        assertThat(results.notes()).anyMatch(n -> n.startsWith("ec-p256: answers other than 201") && n.endsWith("The first: POST ... answered 409"));
    }
}
