package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CaScaleTest {
    private static final Options OPTIONS = new Options(Duration.ofSeconds(10), Duration.ofSeconds(20), Path.of("/tmp"),
            new PrintStream(PrintStream.nullOutputStream()), Path.of("/tmp"));

    private static Wrk.Result wrk(long requests, double seconds, double p50, double p99, long non2xx) {
        return new Wrk.Result(requests, seconds, Map.of(50, p50, 75, p50, 90, p99, 99, p99), non2xx, 0, 0, 0, 0);
    }

    private static CaScale.Issuance issuance(double rate, Map<Integer, Long> errors) {
        return new CaScale.Issuance(Math.round(rate * 10), rate, Math.round(rate * 30), errors, errors.isEmpty() ? "" : "POST ... answered 500", 0);
    }

    private static CaScale.Phase phase(String name, double issue, double cachedRate, double cachedP99, long uncachedRequests, double uncachedP99) {
        return new CaScale.Phase(name, name.equals("10k") ? 10_000 : 1_000_000, name.equals("10k") ? 40_000 : 1_030_000,
                wrk(Math.round(cachedRate * 10), 10, 0.8, cachedP99, 0), new CaScale.Uncached(wrk(uncachedRequests, 2, 3, uncachedP99, 0), 8_880),
                issuance(issue, Map.of()), "1.00 1.00 1.00", "2.00 1.50 1.10");
    }

    @Test
    void ratesAreJudgedAtEightyPercentAndLatenciesAtOneTwentyPercent() {
        assertThat(CaScale.judge("Issuance", 1_000, 850, false, false, "certificates/s"))
                .isEqualTo("Issuance = 85% (850 / 1,000 certificates/s): target within 20% (>= 80%): met.");
        assertThat(CaScale.judge("Issuance", 1_000, 790, false, false, "certificates/s")).endsWith("(>= 80%): NOT MET.");
        assertThat(CaScale.judge("Issuance", 1_000, 1_300, false, false, "certificates/s")).endsWith("met.").doesNotContain("NOT");
        assertThat(CaScale.judge("p99", 2.0, 2.4, false, true, "ms")).isEqualTo("p99 = 1.20x (2.40 / 2.00 ms): target within 20% (<= 1.20x): met.");
        assertThat(CaScale.judge("p99", 2.0, 2.5, false, true, "ms")).endsWith("NOT MET.");
        assertThat(CaScale.judge("p99", 2.0, 1.0, false, true, "ms")).endsWith(": met.");
        assertThat(CaScale.judge("p99", 2.0, 1.0, true, true, "ms")).endsWith("CANNOT BE JUDGED, a run had errors.");
        assertThat(CaScale.judge("p99", Double.NaN, 1.0, false, true, "ms")).endsWith("CANNOT BE JUDGED, not measured.");
    }

    @Test
    void ratiosAreLargeOverSmall() {
        assertThat(CaScale.ratio(1_000, 900, false, "%")).isEqualTo("90%");
        assertThat(CaScale.ratio(2.0, 3.0, false, "x")).isEqualTo("1.50x");
        assertThat(CaScale.ratio(2.0, 3.0, true, "x")).isEqualTo(Results.NONE);
        assertThat(CaScale.ratio(0, 3.0, false, "x")).isEqualTo(Results.NONE);
    }

    @Test
    void theTableHasBothPhasesAndTheirRatioAndTheVerdicts() {
        Results results = CaScale.results(List.of(phase("10k", 1_000, 16_000, 8.0, 8_000, 20.0), phase("1M", 900, 15_000, 10.5, 7_000, 30.0)),
                Map.of("database", "ok: 1,061,110 rows"), OPTIONS);
        assertThat(results.rows()).hasSize(3);
        assertThat(results.rows().get(0)).containsExactly("10k", "10,000 / 40,000", "1,000", "16,000", "0.80", "8.00", "4,000", "20.00",
                "1.00 1.00 1.00 -> 2.00 1.50 1.10");
        assertThat(results.rows().get(2)).containsExactly("1M / 10k", "-", "90%", "94%", "1.00x", "1.31x", "88%", "1.50x", "-");
        assertThat(results.notes().get(0)).startsWith("Issuance rate at 1M / at 10k = 90%").endsWith(": met.");
        assertThat(results.notes().get(1)).startsWith("OCSP cached GET p99 at 1M / at 10k = 1.31x").endsWith("NOT MET.");
        assertThat(results.notes().get(2)).startsWith("Shown, not judged: OCSP uncached GET p99");
        assertThat(results.notes()).anyMatch(n -> n.startsWith("Database after the run: ok: 1,061,110 rows. The server's own rows"));
        assertThat(results.markdown()).contains("| phase | certificates in the store |");
    }

    @Test
    void errorsMakeTheCellFailedAndTheTargetUnjudgeable() {
        CaScale.Phase small = phase("10k", 1_000, 16_000, 8.0, 8_000, 20.0);
        CaScale.Phase broken = new CaScale.Phase("1M", 1_000_000, 1_000_100, wrk(100, 10, 1, 9, 3), small.uncached(),
                issuance(10, Map.of(500, 4L, -1, 1L)), "1", "2");
        Results results = CaScale.results(List.of(small, broken), Map.of(), OPTIONS);
        assertThat(results.rows().get(1).get(2)).isEqualTo("FAILED (no answer x1, 500 x4)");
        assertThat(results.rows().get(1).get(3)).isEqualTo("FAILED (3 answers with status >= 400)");
        assertThat(results.rows().get(1).get(5)).isEqualTo(Results.NONE);
        assertThat(results.rows().get(2).get(2)).isEqualTo(Results.NONE);
        assertThat(results.notes().get(0)).endsWith("CANNOT BE JUDGED, a run had errors.");
        assertThat(results.notes().get(1)).endsWith("CANNOT BE JUDGED, a run had errors.");
        assertThat(results.notes()).anyMatch(n -> n.startsWith("1M: issuance answers other than 201"));
        assertThat(results.notes()).anyMatch(n -> n.startsWith("Database after the run: not checked."));
    }

    @Test
    void anUncachedRunThatAskedEverySerialIsALowerBound() {
        CaScale.Uncached all = new CaScale.Uncached(wrk(8_870, 2, 3, 20, 0), 8_880);
        CaScale.Uncached some = new CaScale.Uncached(wrk(6_000, 2, 3, 20, 0), 8_880);
        assertThat(all.ranOut()).isTrue();
        assertThat(some.ranOut()).isFalse();
        assertThat(CaScale.wrkRate(all.wrk(), all.ranOut())).isEqualTo(">= 4,435");
        assertThat(CaScale.wrkRate(some.wrk(), some.ranOut())).isEqualTo("3,000");
    }

    @Test
    void theDatabaseCheckCountsApiIssuesAndInsertedRows() {
        CaIssue.DatabaseCheck ok = new CaIssue.DatabaseCheck(1_030_003, 1_030_003, 1_030_003, 1_030_003, "");
        assertThat(CaScale.databaseText(ok, 3, 30_110, 999_890)).isEqualTo("ok: 1,030,003 rows; expected 1,030,003 (3 the server's own at start + "
                + "30,110 201s from the API + 999,890 inserted with SQL), serials unique");
        CaIssue.DatabaseCheck off = new CaIssue.DatabaseCheck(1_030_001, 1_030_000, 1_030_001, 1_029_999, "");
        assertThat(CaScale.databaseText(off, 0, 30_110, 999_890)).startsWith("MISMATCH: 1,030,001 rows").endsWith("2 DUPLICATE serials");
    }

    @Test
    void bulkRowsHaveSerialsTheStoreCanFindAndTheIssuingCasProfile() {
        String sql = CaScale.insertSql();
        assertThat(sql).contains("'c' || substr(md5(g::text || ':' || random()::text), 1, 31)").contains("'mailbox-signing'")
                .contains("generate_series(?::bigint, ?::bigint)").contains("now() + interval '365 days'");
    }

    @Test
    void theOnceScriptStopsEachThreadAtTheEndOfItsLines() {
        assertThat(Wrk.SCRIPT).contains("if args[7] == \"once\" then").contains("wrk.thread:stop()");
        List<String> once = Wrk.commandOnce(2, Path.of("/d/wrk.lua"), "http://127.0.0.1:1", "GET", "/ocsp/", "-", Path.of("/d/u.txt"), 0);
        assertThat(once).endsWith("/d/u.txt", "2", "0", "once");
        assertThat(once.subList(0, once.size() - 1)).isEqualTo(Wrk.command(2, Path.of("/d/wrk.lua"), "http://127.0.0.1:1", "GET", "/ocsp/", "-",
                Path.of("/d/u.txt"), 0));
    }
}
