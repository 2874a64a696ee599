package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StartupTest {

    private static final String LAUNCHER = """
            start_server() {
              printf 'set ...address=%s\\n' "$address" >"$data/payara-preboot.asadmin"
              # shellcheck disable=SC2086
              java -Xmx512m -Xss512k -XX:+UseSerialGC -Xshare:auto ${LETTERLOCK_JAVA_OPTS:-} \\
                -Dletterlock.halt-on-startup-failure=true \\
                -jar "$MICRO" --deploy "$WAR" --contextroot / --port "$port" --nocluster --nohazelcast \\
                --rootdir "$data/payara" --prebootcommandfile "$data/payara-preboot.asadmin" >"$data/logs/console.log" 2>&1 &
              pid=$!
            }
            cli() {
              java ${LETTERLOCK_JAVA_OPTS:-} -jar "$CLI" "$@"
            }
            """;

    @Test
    void takesTheJvmOptionsOfTheLaunchersJavaLine() {
        assertThat(Startup.jvmOptions(LAUNCHER)).containsExactly("-Xmx512m", "-Xss512k", "-XX:+UseSerialGC", "-Xshare:auto");
    }

    @Test
    void refusesALauncherWithoutTheFlagsThePeerCopies() {
        assertThatThrownBy(() -> Startup.jvmOptions(LAUNCHER.replace(" --nohazelcast", ""))).hasMessageContaining("--nohazelcast");
        assertThatThrownBy(() -> Startup.jvmOptions("echo hello\n")).hasMessageContaining("cannot find");
    }

    @Test
    void readsKilobytesFromProcStatus() {
        String status = "Name:\tjava\nVmPeak:\t 3000000 kB\nVmHWM:\t  412345 kB\nVmRSS:\t  398765 kB\nThreads:\t63\n";
        assertThat(Startup.kilobytes(status, "VmRSS")).isEqualTo(398_765);
        assertThat(Startup.kilobytes(status, "VmHWM")).isEqualTo(412_345);
        assertThatThrownBy(() -> Startup.kilobytes(status, "VmSwap")).hasMessageContaining("VmSwap");
    }

    @Test
    void summarisesWhatTheApiAnsweredBeforeItsFirst200() {
        Map<Integer, Integer> counts = new TreeMap<>(Map.of(500, 3, -1, 1));
        assertThat(Startup.statuses(counts)).isEqualTo("no answer x1, 500 x3");
        assertThat(Startup.statuses(new TreeMap<>())).isEmpty();
    }

    @Test
    void comparesEachLetterlockStartWithThePeersSameStartAndTheMedians() {
        List<Startup.Start> starts = List.of(
                start(Startup.LETTERLOCK, "first start, empty data folder", 20, 400),
                start(Startup.PEER, "first start, empty root folder", 10, 200),
                start(Startup.LETTERLOCK, "restart 1", 12, 380),
                start(Startup.PEER, "restart 1", 8, 190),
                start(Startup.PEER, "restart 2", 6, 210),
                start(Startup.LETTERLOCK, "restart 2", 9, 390),
                start(Startup.LETTERLOCK, "restart 3", 15, 385),
                start(Startup.PEER, "restart 3", 7, 200));
        Results results = Startup.results(starts, List.of("-Xmx384m"), "the WAR");
        assertThat(results.rows().get(0)).containsExactly("Letterlock", "first start, empty data folder", "20.5", "20.0", "20.0", "400", "400", "410",
                "200%", "200%");
        assertThat(results.rows().get(1)).startsWith(Startup.PEER).contains("-");
        assertThat(results.rows().get(8)).containsExactly("Letterlock", "median of the restarts", "12.5", "12.0", "12.0", "385", "385", "395", "171%", "193%");
        assertThat(results.rows().get(9)).containsExactly(Startup.PEER, "median of the restarts", "-", "7.0", "7.0", "200", "200", "210", "-", "-");
        assertThat(results.notes().get(0)).startsWith("Target ready <= 15 s on a built tree: met");
        assertThat(results.notes().get(1)).startsWith("Target RSS <= 600 MB: met");
    }

    @Test
    void aFailedRestartIsARowAndMissesTheTarget() {
        List<Startup.Start> starts = List.of(
                start(Startup.LETTERLOCK, "first start, empty data folder", 20, 400),
                start(Startup.PEER, "first start, empty root folder", 10, 200),
                Startup.Start.failed(Startup.LETTERLOCK, "restart 1", "the server process exited 1.2 s after it first answered ready", "WAR deployed 9.0 s"),
                start(Startup.PEER, "restart 1", 8, 190),
                start(Startup.LETTERLOCK, "restart 2", 9, 390),
                start(Startup.PEER, "restart 2", 6, 210));
        Results results = Startup.results(starts, List.of("-Xmx384m"), "the WAR");
        assertThat(results.rows().get(2)).startsWith("Letterlock", "restart 1: FAILED (see notes)", "-");
        assertThat(results.rows().get(6)).startsWith("Letterlock", "median of the restarts", "9.5", "9.0");
        assertThat(results.notes().get(0)).startsWith("Target ready <= 15 s on a built tree: NOT MET: restart 1 failed");
        assertThat(results.notes()).anyMatch(n -> n.startsWith("FAILED: Letterlock, restart 1: the server process exited"));
    }

    private static Startup.Start start(String server, String kind, double ready, long rssMb) {
        boolean letterlock = server.equals(Startup.LETTERLOCK);
        return new Startup.Start(server, kind, letterlock ? ready + 0.5 : Double.NaN, letterlock ? 0.1 : Double.NaN, ready, ready, "",
                letterlock ? 60 : Double.NaN, rssMb * 1024, rssMb * 1024, (rssMb + 10) * 1024, 1.0, "", "first log line 0.5 s", "");
    }
}
