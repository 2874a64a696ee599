package org.letterlock.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What every benchmark is run with.
 *
 * @param measure  how long each cell is measured
 * @param warmUp   how long each cell runs before it is measured
 * @param dataDir  a folder the benchmark may keep keys, tokens and other state in between runs
 * @param progress where to say what is being done while it runs
 * @param root     the repository root: where the launcher ({@code ./letterlock}) and the built artefacts are
 */
public record Options(Duration measure, Duration warmUp, Path dataDir, PrintStream progress, Path root) {

    /** Whole seconds, at least one: for peers such as {@code openssl speed} that take only whole seconds. */
    public int measureWholeSeconds() {
        return (int) Math.max(1, Math.round(measure.toMillis() / 1000.0));
    }
}
