package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTest {

    @Test
    void parsesTheCommandLine() {
        Bench.Arguments arguments = Bench.Arguments.parse(List.of("vault-sign", "--seconds", "1.5", "--warmup", "0", "--record"));
        assertThat(arguments.name()).isEqualTo("vault-sign");
        assertThat(arguments.measure()).isEqualTo(Duration.ofMillis(1500));
        assertThat(arguments.warmUp()).isZero();
        assertThat(arguments.record()).isTrue();

        Bench.Arguments defaults = Bench.Arguments.parse(List.of("vault-sign"));
        assertThat(defaults.measure()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.warmUp()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.record()).isFalse();
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> Bench.Arguments.parse(List.of("vault-sign", "--seconds"))).hasMessageContaining("needs a number");
        assertThatThrownBy(() -> Bench.Arguments.parse(List.of("vault-sign", "--seconds", "0"))).hasMessageContaining("above 0");
        assertThatThrownBy(() -> Bench.Arguments.parse(List.of("vault-sign", "--fast"))).hasMessageContaining("--fast");
        assertThatThrownBy(() -> Bench.Arguments.parse(List.of("a", "b"))).hasMessageContaining("'b'");
    }

    @Test
    void reproducesTheCommandWithShellQuoting() {
        assertThat(Bench.command(new String[] {"vault-sign", "--seconds", "3", "--record"})).isEqualTo("bench/run vault-sign --seconds 3 --record");
        assertThat(Bench.command(new String[] {"it's odd"})).isEqualTo("bench/run 'it'\\''s odd'");
    }

    @Test
    void startsTheRecordWithTheHeaderAndAppendsSections(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("docs/benchmarks.md");
        Bench.append(file, "## one\n");
        Bench.append(file, "## two\n");
        String text = Files.readString(file);
        assertThat(text).startsWith("# Benchmarks\n").endsWith("\n## one\n\n## two\n");
    }

    @Test
    void everyBenchmarkHasAUniqueName() {
        assertThat(Bench.BENCHMARKS.stream().map(Benchmark::name)).doesNotHaveDuplicates().allMatch(name -> name.matches("[a-z0-9-]+"));
    }
}
