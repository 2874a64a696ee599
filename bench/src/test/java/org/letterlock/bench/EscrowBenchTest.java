package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.letterlock.vault.KeySpec;

class EscrowBenchTest {
    private static final Options OPTIONS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(2), Path.of("/tmp"), new PrintStream(PrintStream.nullOutputStream()),
            Path.of("/tmp"));
    private static final CaIssue.DatabaseCheck CONSISTENT = new CaIssue.DatabaseCheck(500, 500, 500, 500, "");

    private static EscrowBench.Cell cell(KeySpec spec, int pool, double rate, Map<Integer, Long> errors, CaIssue.DatabaseCheck check) {
        return new EscrowBench.Cell(spec, pool, 40.0, Math.round(rate * 5), rate, errors, errors.isEmpty() ? "" : "POST ... answered 500", 200, 10_000, 4_000, check);
    }

    @Test
    void theP256TargetIsMetOnlyWithoutErrorsAndWithAConsistentDatabase() {
        Results met = EscrowBench.results(List.of(cell(KeySpec.EC_P256, 16, 1_200, Map.of(), CONSISTENT)), null, 4.0, Map.of(), OPTIONS);
        assertThat(met.notes()).anyMatch(n -> n.startsWith("EC P-256: target >= 1,000 mailboxes/s: met, 1,200/s"));
        assertThat(met.rows().get(0)).containsExactly("ec-p256", "-", "40", "1,200", "200", "600%", "10,000", "4,000", "none", "ok: 500 rows added, 500 201s, serials unique");
        Results slow = EscrowBench.results(List.of(cell(KeySpec.EC_P256, 16, 300, Map.of(), CONSISTENT)), null, 4.0, Map.of(), OPTIONS);
        assertThat(slow.notes()).anyMatch(n -> n.contains("NOT MET, 300/s"));
        Results errors = EscrowBench.results(List.of(cell(KeySpec.EC_P256, 16, 1_200, Map.of(500, 2L), CONSISTENT)), null, 4.0, Map.of(), OPTIONS);
        assertThat(errors.rows().get(0).get(3)).isEqualTo("FAILED (errors)");
        assertThat(errors.notes()).anyMatch(n -> n.contains("NOT MET")).anyMatch(n -> n.contains("answers other than 201: 500 x2"));
        Results mismatch = EscrowBench.results(List.of(cell(KeySpec.EC_P256, 16, 1_200, Map.of(), new CaIssue.DatabaseCheck(3, 4, 3, 3, ""))), null, 4.0, Map.of(),
                OPTIONS);
        assertThat(mismatch.notes()).anyMatch(n -> n.contains("NOT MET"));
    }

    @Test
    void recoveryIsJudgedByItsSlowestRound() {
        EscrowBench.Recovery fast = new EscrowBench.Recovery(List.of(50.0, 60.0), List.of(300.0, 420.0), List.of(350.0, 480.0), 10, 30_000);
        Results results = EscrowBench.results(List.of(cell(KeySpec.RSA_3072, 0, 3.5, Map.of(), CONSISTENT)), fast, 4.2, Map.of(), OPTIONS);
        assertThat(results.rows().get(0).subList(0, 4)).containsExactly("rsa-3072", "0", "40", "3.5");
        assertThat(results.notes()).anyMatch(n -> n.contains("approval + download median 415 ms, slowest 480 ms. Target < 1000 ms after the last approval: met"));
        assertThat(results.notes()).anyMatch(n -> n.contains("openssl genpkey RSA-3072 with 2 processes in this run: 4.2 keys/s"));
        EscrowBench.Recovery slow = new EscrowBench.Recovery(List.of(50.0), List.of(1_100.0), List.of(1_150.0), 10, 30_000);
        assertThat(EscrowBench.results(List.of(), slow, 4.2, Map.of(), OPTIONS).notes()).anyMatch(n -> n.endsWith("NOT MET."));
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(EscrowBench.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(EscrowBench.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
    }
}
