package org.letterlock.bench;

/**
 * One named benchmark. Add a benchmark by writing a class that implements this and listing it in {@link Bench#BENCHMARKS}.
 * A benchmark measures Letterlock and, in the same run, the peer it is compared with, so its results can be read as
 * ratios on a shared, noisy machine.
 */
public interface Benchmark {

    /** The name on the command line, e.g. {@code vault-sign}. */
    String name();

    /** One line saying what is measured and against which peer. */
    String summary();

    /** Runs the benchmark; progress goes to {@link Options#progress()}, the figures into the returned results. */
    Results run(Options options) throws Exception;

    /**
     * How long each figure was measured, for the record's "Reproduce" line, e.g. "5 s per cell after a 2 s warm-up".
     * Benchmarks that do not use {@code --seconds} and {@code --warmup} say what they do instead.
     */
    default String timing(Options options) {
        return Bench.seconds(options.measure()) + " s per cell after a " + Bench.seconds(options.warmUp()) + " s warm-up";
    }
}
