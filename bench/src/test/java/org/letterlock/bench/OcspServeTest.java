package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OcspServeTest {
    private static final Options OPTIONS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(2), Path.of("/tmp"), new PrintStream(PrintStream.nullOutputStream()),
            Path.of("/tmp"));

    private static OcspServe.Row http(String target, long requests, long non2xx) {
        return OcspServe.Row.http(target, OcspServe.request(target, 110), new Wrk.Result(requests, 1.0, Map.of(50, 1.25, 99, 4.5), non2xx, 0, 0, 0, 0));
    }

    private static OcspServe.Row vault(String target, double rate) {
        return new OcspServe.Row(target, "signatures", null, rate);
    }

    /** The listener's rates are the ones judged; the servlet's are reported beside them. */
    private static List<OcspServe.Row> rows(long listenerGet, long nonce, long nonceErrors) {
        return List.of(http(OcspServe.OPENSSL_1, 7_000, 0), http(OcspServe.OPENSSL_2, 10_000, 0), http(OcspServe.NGINX, 80_000, 0),
                http(OcspServe.LISTENER_GET, listenerGet, 0), http(OcspServe.LISTENER_NONCE, nonce, nonceErrors),
                http(OcspServe.LETTERLOCK_GET, 9_000, 0), http(OcspServe.LETTERLOCK_NONCE, 3_000, 0),
                vault(OcspServe.VAULT_1, 8_000), vault(OcspServe.VAULT_2, 12_000));
    }

    @Test
    void comparesTheCachedGetWithEachPeerAndTheNoncePostWithTheVault() {
        Results results = OcspServe.results(rows(45_000, 10_000, 0), Map.of(), OPTIONS);
        assertThat(results.rows()).extracting(r -> r.get(0)).containsExactly(OcspServe.OPENSSL_1, OcspServe.OPENSSL_2, OcspServe.NGINX,
                OcspServe.LISTENER_GET, OcspServe.LISTENER_NONCE, OcspServe.LETTERLOCK_GET, OcspServe.LETTERLOCK_NONCE, OcspServe.VAULT_1, OcspServe.VAULT_2);
        assertThat(results.rows().get(1)).containsExactly(OcspServe.OPENSSL_2, "GET, 110 serials; HTTP/1.0, a new connection per response", "10,000",
                "1.25", "4.50", "none", "4.50x");
        assertThat(results.rows().get(2).get(6)).isEqualTo("0.56x");
        assertThat(results.rows().get(3).get(6)).isEqualTo("-");
        assertThat(results.rows().get(7)).containsExactly(OcspServe.VAULT_1, "signatures", "8,000", "-", "-", "-", "125%");
        assertThat(results.rows().get(8).get(6)).isEqualTo("83%");
        assertThat(results.notes().get(0)).isEqualTo("Letterlock listener cached GET / openssl ocsp -multi 2 = 4.50x (45,000 / 10,000/s): target >= 3x: met.");
        assertThat(results.notes().get(1)).isEqualTo("Letterlock listener cached GET / nginx static file = 0.56x (45,000 / 80,000/s): target >= 0.5x: met.");
        assertThat(results.notes().get(2)).isEqualTo("On the HTTP port (servlet): cached GET / openssl ocsp -multi 2 = 0.90x, / nginx = 0.11x; nonce POST / vault 2 threads = 25%.");
        assertThat(results.notes().get(3)).startsWith("Letterlock listener nonce POST / raw vault signing, 2 threads = 83% (10,000 / 12,000/s): target >= 80%: met. (against 1 thread: 125%");
    }

    @Test
    void saysWhenATargetIsMissed() {
        Results results = OcspServe.results(rows(20_000, 9_000, 0), Map.of(), OPTIONS);
        assertThat(results.notes().get(0)).endsWith("target >= 3x: NOT MET.");
        assertThat(results.notes().get(1)).endsWith("target >= 0.5x: NOT MET.");
        assertThat(results.notes().get(3)).contains("= 75% (9,000 / 12,000/s): target >= 80%: NOT MET.");
    }

    @Test
    void aLoadWithErrorsIsReportedAsFailedAndNotAsARate() {
        Results results = OcspServe.results(rows(45_000, 10_000, 17), Map.of(), OPTIONS);
        List<String> nonce = results.rows().get(4);
        assertThat(nonce.get(2)).isEqualTo("FAILED (errors)");
        assertThat(nonce.get(5)).isEqualTo("17 answers with status >= 400");
        assertThat(results.rows().get(7).get(6)).isEqualTo("-");
        assertThat(results.notes().get(3)).startsWith("Letterlock listener nonce POST / raw vault signing, 2 threads: target >= 80%: CANNOT BE JUDGED, "
                + OcspServe.LISTENER_NONCE + " had errors.");
        assertThat(results.notes()).anyMatch(n -> n.startsWith("RUNS WITH ERRORS") && n.contains(OcspServe.LISTENER_NONCE + ": 17 answers"));
    }
}
