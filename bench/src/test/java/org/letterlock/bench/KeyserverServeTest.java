package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyserverServeTest {

    /** SearchRate 7.0.3's CSV as it printed it against slapd: one warm-up interval, then measured ones. */
    static final String SEARCH_RATE = """
            Recent Searches/Sec,Recent Avg Dur ms,Recent Entries/Srch,Recent Errors/Sec,Overall Searches/Sec,Overall Avg Dur ms
            5219.017,1.520,1.000,0.000,warming up,warming up
            Warm-up completed.  Beginning overall statistics collection.
            6766.120,1.178,1.000,0.000,6766.120,1.178
            8000.000,1.000,0.500,2.000,7383.582,1.080
            """;

    @Test
    void searchRateIsReadWithoutItsWarmUp() {
        KeyserverPeers.SearchRateResult result = KeyserverPeers.parseSearchRate(SEARCH_RATE, 2);
        assertThat(result.searches()).isEqualTo(13_532 + 16_000);
        assertThat(result.seconds()).isEqualTo(4.0);
        assertThat(result.perSecond()).isEqualTo(7_383.0);
        assertThat(result.averageMillis()).isBetween(1.08, 1.09);
        assertThat(result.entriesPerSearch()).isBetween(0.72, 0.73);
        assertThat(result.errors()).isEqualTo(4);
        assertThatThrownBy(() -> KeyserverPeers.parseSearchRate("Recent Searches/Sec\nconnection refused\n", 2)).hasMessageContaining("no measured interval");
    }

    @Test
    void aDirectoryFailsWhenASearchMissesItsEntryOrErrs() {
        KeyserverPeers.SearchRateResult clean = new KeyserverPeers.SearchRateResult(1000, 1, 1.0, 1.0, 0);
        KeyserverPeers.SearchRateResult missing = new KeyserverPeers.SearchRateResult(1000, 1, 1.0, 0.9, 0);
        assertThat(new KeyserverServe.Searches("x", List.of(clean)).failed()).isFalse();
        assertThat(new KeyserverServe.Searches("x", List.of(clean, missing)).failed()).isTrue();
        assertThat(new KeyserverServe.Searches("x", List.of(new KeyserverPeers.SearchRateResult(1000, 1, 1.0, 1.0, 3))).failed()).isTrue();
    }

    @Test
    void theImportSummaryIsReadFromTheCommandLine() {
        KeyserverServe.Import imported = KeyserverServe.parseImport("""
                [##############################] 100%
                read 100,000 keys in 52.3 s (1,912 keys/s): 99,998 stored, 2 rejected; stripped 0 third-party certifications and 0 invalid signatures
                """);
        assertThat(imported.read()).isEqualTo(100_000);
        assertThat(imported.stored()).isEqualTo(99_998);
        assertThat(imported.rejected()).isEqualTo(2);
        assertThat(imported.perSecond()).isBetween(1912.0, 1912.1);
        assertThatThrownBy(() -> KeyserverServe.parseImport("letterlock: cannot read x")).hasMessageContaining("no summary");
    }

    @Test
    void verdictsCompareWithThePeerOfTheSameRun() {
        Wrk.Result sks = new Wrk.Result(10_000, 1, Map.of(99, 2.0), 0, 0, 0, 0, 0);
        Wrk.Result fast = new Wrk.Result(25_000, 1, Map.of(99, 3.0), 0, 0, 0, 0, 0);
        Wrk.Result slow = new Wrk.Result(15_000, 1, Map.of(99, 3.0), 0, 0, 0, 0, 0);
        Results results = KeyserverServe.results(new KeyserverServe.Import(100_000, 40, 100_000, 0),
                List.of(OcspServe.Row.http(KeyserverServe.SKS, "get", sks), OcspServe.Row.http(KeyserverServe.HKP_PORT, "get", fast),
                        OcspServe.Row.http(KeyserverServe.HKP_SERVLET, "get", slow)),
                List.of(new KeyserverServe.Searches(KeyserverServe.SLAPD, List.of(new KeyserverPeers.SearchRateResult(10_000, 1, 1, 1, 0))),
                        new KeyserverServe.Searches(KeyserverServe.LDAP, List.of(new KeyserverPeers.SearchRateResult(6_000, 1, 1, 1, 0)))),
                new java.util.LinkedHashMap<>());
        assertThat(results.rows().get(0).get(4)).contains("met").doesNotContain("NOT");
        assertThat(results.rows().get(2).get(4)).startsWith("2.50x SKS").endsWith(": met");
        assertThat(results.rows().get(3).get(4)).startsWith("1.50x SKS").endsWith("NOT met");
        assertThat(results.rows().get(5).get(4)).endsWith("NOT met");
    }
}
