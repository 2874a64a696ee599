package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrkTest {

    // wrk 4.1 against openssl ocsp (HTTP/1.0, a connection per response), with --latency.
    static final String CLEAN = """
            Running 3s test @ http://127.0.0.1:8888/
              2 threads and 16 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     2.02ms  308.82us   6.83ms   92.88%
                Req/Sec     3.88k   131.58     4.30k    80.00%
              Latency Distribution
                 50%  812.00us
                 75%    2.08ms
                 90%    2.20ms
                 99%    1.01s
              23199 requests in 3.01s, 16.66MB read
            Requests/sec:   7711.25
            Transfer/sec:      5.54MB
            """;

    static final String NOT_FOUND = """
            Running 1s test @ http://127.0.0.1:18889
              2 threads and 16 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   460.66us  805.61us   8.17ms   89.99%
                Req/Sec    28.07k     7.31k   45.37k    85.71%
              Latency Distribution
                 50%  154.00us
                 75%  373.00us
                 90%    1.27ms
                 99%    4.12ms
              58662 requests in 1.10s, 17.23MB read
              Non-2xx or 3xx responses: 58662
            Requests/sec:  53437.62
            Transfer/sec:     15.70MB
            """;

    static final String REFUSED = """
            Running 1s test @ http://127.0.0.1:18889
              2 threads and 16 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     0.00us    0.00us   0.00us    -nan%
                Req/Sec     0.00      0.00     0.00      -nan%
              Latency Distribution
                 50%    0.00us
                 75%    0.00us
                 90%    0.00us
                 99%    0.00us
              0 requests in 1.10s, 0.00B read
              Socket errors: connect 3, read 1, write 74011, timeout 2
            Requests/sec:      0.00
            Transfer/sec:       0.00B
            """;

    @Test
    void readsRequestsDurationAndLatencyPercentilesInEveryUnit() {
        Wrk.Result result = Wrk.parse(CLEAN);
        assertThat(result.requests()).isEqualTo(23_199);
        assertThat(result.seconds()).isEqualTo(3.01, within(1e-9));
        assertThat(result.perSecond()).isEqualTo(23_199 / 3.01, within(1e-6));
        assertThat(result.latencyMillis()).containsOnlyKeys(50, 75, 90, 99);
        assertThat(result.latency(50)).isEqualTo(0.812, within(1e-9));
        assertThat(result.latency(75)).isEqualTo(2.08, within(1e-9));
        assertThat(result.latency(99)).isEqualTo(1010, within(1e-9));
        assertThat(result.failed()).isFalse();
        assertThat(result.errors()).isEmpty();
        assertThat(Wrk.millis("1.50", "m")).isEqualTo(90_000);
        assertThatThrownBy(() -> Wrk.millis("1", "d")).hasMessageContaining("unit");
    }

    @Test
    void aRunWithAnswersOf400OrMoreHasFailed() {
        Wrk.Result result = Wrk.parse(NOT_FOUND);
        assertThat(result.non2xx()).isEqualTo(58_662);
        assertThat(result.failed()).isTrue();
        assertThat(result.errors()).isEqualTo("58,662 answers with status >= 400");
    }

    @Test
    void aRunWithSocketErrorsOrNoAnswersHasFailed() {
        Wrk.Result result = Wrk.parse(REFUSED);
        assertThat(result.failed()).isTrue();
        assertThat(result.errors()).isEqualTo("no answers, 3 connect errors, 1 read errors, 74,011 write errors, 2 timeouts (> 5 s)");
    }

    @Test
    void refusesOutputWithoutATotal() {
        assertThatThrownBy(() -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")).hasMessageContaining("requests in");
    }

    @Test
    void combinesSlicesAddingUpAndKeepingTheWorstPercentile() {
        Wrk.Result a = new Wrk.Result(1000, 1.0, Map.of(50, 1.0, 99, 5.0), 0, 0, 0, 0, 0);
        Wrk.Result b = new Wrk.Result(3000, 2.0, Map.of(50, 2.0, 99, 4.0), 2, 0, 1, 0, 0);
        Wrk.Result both = Wrk.Result.combine(List.of(a, b));
        assertThat(both.requests()).isEqualTo(4000);
        assertThat(both.seconds()).isEqualTo(3.0);
        assertThat(both.perSecond()).isEqualTo(4000 / 3.0, within(1e-9));
        assertThat(both.latencyMillis()).isEqualTo(Map.of(50, 2.0, 99, 5.0));
        assertThat(both.non2xx()).isEqualTo(2);
        assertThat(both.readErrors()).isEqualTo(1);
        assertThat(both.failed()).isTrue();
        Meter.Rate rate = a.rate();
        assertThat(rate.operations()).isEqualTo(1000);
        assertThat(rate.nanos()).isEqualTo(1_000_000_000L);
        assertThat(rate.cpuNanos()).isNegative();
    }

    @Test
    void runsWholeSecondsWithKeepAliveConnectionsAndTheScriptsArguments() {
        List<String> command = Wrk.command(3, Path.of("/d/wrk.lua"), "http://127.0.0.1:8080", "POST", "/ocsp", "application/ocsp-request",
                Path.of("/d/bodies.hex"), 1234);
        assertThat(command).containsExactly("wrk", "-t2", "-c16", "-d3s", "--latency", "--timeout", "5s", "-s", "/d/wrk.lua", "http://127.0.0.1:8080",
                "--", "POST", "/ocsp", "application/ocsp-request", "/d/bodies.hex", "2", "1234");
        assertThat(Wrk.seconds(400_000_000L)).isEqualTo(1);
        assertThat(Wrk.seconds(1_500_000_000L)).isEqualTo(2);
        assertThat(Wrk.seconds(2_400_000_000L)).isEqualTo(2);
    }

    @Test
    void theScriptSkipsTheStartUpProbeAndWalksTheFileFromTheStartInTurns() {
        assertThat(Wrk.SCRIPT).contains("wrk.resolve = function(host, service) wrk.addrs = wrk.lookup(host, service) end");
        assertThat(Wrk.SCRIPT).contains("i = (start + id - 1) % n").contains("i = (i + step) % n").contains("step = tonumber(args[5])");
        assertThat(Wrk.SCRIPT).contains("string.char(tonumber(h, 16))");
    }

    @Test
    void writesBodiesAsHexLinesAndPathsOnePerLine(@TempDir Path dir) throws IOException {
        Wrk.writeBodies(dir.resolve("b.hex"), List.of(new byte[] {0x30, 0x03, (byte) 0xff}, new byte[] {0x0a}));
        assertThat(Files.readString(dir.resolve("b.hex"))).isEqualTo("3003ff\n0a\n");
        Wrk.writePaths(dir.resolve("p.txt"), List.of("MEUw%2BQ%3D%3D", "abc"));
        assertThat(Files.readString(dir.resolve("p.txt"))).isEqualTo("MEUw%2BQ%3D%3D\nabc\n");
        assertThatThrownBy(() -> Wrk.writePaths(dir.resolve("q.txt"), List.of("a b"))).hasMessageContaining("spaces");
        assertThat(Wrk.writeScript(dir.resolve("lua/wrk.lua"))).hasContent(Wrk.SCRIPT);
    }
}
