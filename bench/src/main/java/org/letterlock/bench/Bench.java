package org.letterlock.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.letterlock.platform.mail.MailStreams;

/**
 * Runs a named benchmark: {@code bench/run <name> [--seconds N] [--warmup N] [--record]}. With {@code --record} the
 * results are appended to docs/benchmarks.md under a dated heading, with the command that reproduces them and the
 * machine they were measured on.
 */
public final class Bench {
    /** Every benchmark, by name. Add new ones here. */
    static final List<Benchmark> BENCHMARKS = List.of(new VaultSign(), new AuditAppend(), new Startup(), new OcspServe(), new CaIssue(), new CrlSign(), new CaScale(), new EscrowBench(), new KeyserverServe(), new KeyserverScale(), new MailRelay(), new MailCrash(), new MailLarge(), new EnrollBench());

    static final Duration DEFAULT_MEASURE = Duration.ofSeconds(5);
    static final Duration DEFAULT_WARM_UP = Duration.ofSeconds(2);
    static final String RECORD_FILE = "docs/benchmarks.md";

    static final String HEADER = """
            # Benchmarks

            Measured figures for Letterlock, each next to the peer it is compared with. The harness is the `bench` module
            (see `bench/README.md`); nothing here runs in CI.

            Run a benchmark from the repository root with `bench/run <name>`, and add `--record` to append a dated section
            to this file with the exact command, the machine facts and the table. `bench/run` with no name lists the
            benchmarks; `--seconds N` sets the measuring time per cell (default 5) and `--warmup N` the warm-up (default 2).

            The machine these were measured on is shared and noisy: 2 cores, with Maven builds and other work running beside
            the benchmark, so absolute figures move 20-25% between runs. What counts is the **ratio** to the peer measured
            in the same run (a bare SunPKCS11 loop, `openssl speed`, nginx, ...); compare ratios across runs, not rates.
            Each section records the load average before and after the run.
            """;

    private static final Pattern PLAIN_ARGUMENT = Pattern.compile("[A-Za-z0-9._/=:,+-]+");

    private Bench() {
    }

    /** The parsed command line. */
    record Arguments(String name, Duration measure, Duration warmUp, boolean record) {

        static Arguments parse(List<String> args) {
            String name = null;
            Duration measure = DEFAULT_MEASURE;
            Duration warmUp = DEFAULT_WARM_UP;
            boolean record = false;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--seconds" -> measure = seconds(arg, args, ++i, false);
                    case "--warmup" -> warmUp = seconds(arg, args, ++i, true);
                    case "--record" -> record = true;
                    default -> {
                        if (arg.startsWith("-") || name != null) {
                            throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                        }
                        name = arg;
                    }
                }
            }
            return new Arguments(name, measure, warmUp, record);
        }

        private static Duration seconds(String option, List<String> args, int index, boolean zeroAllowed) {
            if (index >= args.size()) {
                throw new IllegalArgumentException(option + " needs a number of seconds");
            }
            double seconds;
            try {
                seconds = Double.parseDouble(args.get(index));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a number of seconds, got '" + args.get(index) + "'");
            }
            if (seconds < 0 || (seconds == 0 && !zeroAllowed) || seconds > 3600) {
                throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? "0" : "above 0") + " to 3600 seconds, got " + args.get(index));
            }
            return Duration.ofNanos(Math.round(seconds * 1e9));
        }
    }

    public static void main(String[] args) throws Exception {
        // The load generators that write and read mail (ACME replies, the SMTP sinks) share the cores with the server.
        MailStreams.nameProvider();
        PrintStream out = System.out;
        Arguments arguments;
        try {
            arguments = Arguments.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        if (arguments.name() == null || arguments.name().equals("list") || arguments.name().equals("help")) {
            usage(out);
            return;
        }
        Optional<Benchmark> found = BENCHMARKS.stream().filter(b -> b.name().equals(arguments.name())).findFirst();
        if (found.isEmpty()) {
            System.err.println("bench: no benchmark named '" + arguments.name() + "'");
            usage(System.err);
            System.exit(2);
            return;
        }
        Benchmark benchmark = found.get();
        Path root = Path.of(System.getProperty("bench.root", "")).toAbsolutePath();
        Path dataDir = Path.of(System.getProperty("bench.data", root.resolve("bench/target/bench-data").toString())).toAbsolutePath();
        Files.createDirectories(dataDir);
        Options options = new Options(arguments.measure(), arguments.warmUp(), dataDir, out, root);

        String command = command(args);
        Machine machine = Machine.describe(root);
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        String loadBefore = Machine.loadAverage();
        out.println(command);
        out.println(benchmark.summary());
        out.println(machine.processors() + " cores (" + machine.cpu() + "); " + machine.java() + "; " + machine.openssl()
                + "; load average " + loadBefore);
        long start = System.nanoTime();
        Results results;
        try {
            results = benchmark.run(options);
        } catch (IllegalStateException e) {
            // Benchmarks say what is missing (a variable, a server, an artefact) in the message; a stack trace only when there is a cause.
            System.err.println("bench: " + benchmark.name() + ": " + e.getMessage());
            if (e.getCause() != null) {
                e.printStackTrace();
            }
            System.exit(1);
            return;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        String loadAfter = Machine.loadAverage();
        out.println();
        out.print(results.text());
        out.println();
        out.println("took " + minutes(took) + "; load average " + loadBefore + " before, " + loadAfter + " after");
        if (arguments.record()) {
            Path file = root.resolve(RECORD_FILE);
            String section = section(benchmark, command, benchmark.timing(options), machine, started, loadBefore, loadAfter, took, results);
            append(file, section);
            out.println("recorded in " + file);
        }
    }

    /** The dated Markdown section {@code --record} appends. */
    static String section(Benchmark benchmark, String command, String timing, Machine machine, ZonedDateTime started,
                          String loadBefore, String loadAfter, Duration took, Results results) {
        return "## " + benchmark.name() + ", " + started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)) + "\n\n"
                + benchmark.summary() + "\n\n"
                + "Reproduce from the repository root: `" + command + "` (" + timing + "; took " + minutes(took) + ").\n\n"
                + "- Machine: " + machine.processors() + " cores (nproc), " + machine.cpu() + "; load average (1, 5, 15 min) "
                + loadBefore + " before, " + loadAfter + " after\n"
                + "- Java: " + machine.java() + "\n"
                + "- OpenSSL: " + machine.openssl() + "\n"
                + "- Commit: " + machine.commit() + "\n\n"
                + results.markdown();
    }

    static void append(Path file, String section) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder text = new StringBuilder();
        if (!Files.exists(file)) {
            text.append(HEADER);
        } else {
            String existing = Files.readString(file, StandardCharsets.UTF_8);
            if (!existing.isEmpty() && !existing.endsWith("\n")) {
                text.append('\n');
            }
        }
        text.append('\n').append(section);
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The command line that reproduces the run, as typed at the repository root. */
    static String command(String[] args) {
        StringBuilder command = new StringBuilder("bench/run");
        for (String arg : args) {
            command.append(' ').append(PLAIN_ARGUMENT.matcher(arg).matches() ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return command.toString();
    }

    static String seconds(Duration duration) {
        double seconds = duration.toNanos() / 1e9;
        return seconds == Math.rint(seconds) ? Long.toString((long) seconds) : Double.toString(seconds);
    }

    private static String minutes(Duration duration) {
        long seconds = Math.round(duration.toMillis() / 1000.0);
        return seconds >= 60 ? (seconds / 60) + " min " + (seconds % 60) + " s" : seconds + " s";
    }

    private static void usage(PrintStream out) {
        out.println("usage: bench/run <benchmark> [--seconds N] [--warmup N] [--record]");
        out.println("  --seconds N  measure each cell for N seconds (default " + DEFAULT_MEASURE.toSeconds() + ")");
        out.println("  --warmup N   run each cell N seconds before measuring (default " + DEFAULT_WARM_UP.toSeconds() + ")");
        out.println("  --record     append the results to " + RECORD_FILE);
        out.println("benchmarks:");
        for (Benchmark benchmark : BENCHMARKS) {
            out.printf(Locale.ROOT, "  %-12s %s%n", benchmark.name(), benchmark.summary());
        }
    }
}
