package org.letterlock.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Payara Micro start-up spends its time, read from the timestamps of its log ({@code <data>/logs/console.log}):
 * the moments the JVM, Payara's core, CDI, Letterlock's platform and the deployment finish, as offsets from the start of
 * the process.
 */
public final class PayaraLog {
    /** A log line's header: {@code [2026-11-28T14:57:30.404+0000] [] [INFO] [] [logger] [tid: ...] [timeMillis: N] [levelValue: N] message}. */
    private static final Pattern ENTRY = Pattern.compile(
            "^\\[[^\\]]*\\] \\[[^\\]]*\\] \\[[^\\]]*\\] \\[[^\\]]*\\] \\[([^\\]]*)\\] \\[tid: [^\\]]*\\] \\[timeMillis: (\\d+)\\] \\[levelValue: \\d+\\] ?(.*)$");
    private static final Pattern COLOUR = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Pattern CORE_TOTAL = Pattern.compile("total\\(([\\d,]+)ms\\)");

    private PayaraLog() {
    }

    /** One log entry: when, which logger, and the first line of its message. */
    public record Entry(long epochMillis, String logger, String message) {
    }

    /** A moment of the start-up, in epoch milliseconds. */
    public record Milestone(String label, long epochMillis) {
    }

    /** What to look for: the n-th entry (1 = first) that matches, under a label. */
    private record Sign(String label, int occurrence, Predicate<Entry> matches) {
        Sign(String label, Predicate<Entry> matches) {
            this(label, 1, matches);
        }
    }

    private static final List<Sign> SIGNS = List.of(
            new Sign("first log line", e -> true),
            new Sign("Payara core up", e -> e.message().contains("startup time : Embedded")),
            // On a restart Payara first loads the application its root folder's domain.xml remembers, then deploys --deploy again.
            new Sign("application remembered in the root folder loaded", e -> e.message().matches("Loading application \\S+ done in .*")),
            new Sign("deployment starts", e -> e.message().startsWith("No deployment transformer")),
            new Sign("CDI (Weld) starts", e -> e.message().startsWith("WELD-000900")),
            new Sign("health checks registered", e -> e.message().startsWith("Registered ") && e.message().contains("as a HealthCheck")),
            new Sign("SoftHSM2 token created", e -> e.message().startsWith("created SoftHSM2 token")),
            new Sign("vault open, schema check (Flyway) starts", e -> e.logger().startsWith("org.flywaydb")),
            new Sign("first administrator created", e -> e.message().startsWith("first administrator")),
            new Sign("Letterlock platform started", e -> e.message().startsWith("Letterlock started")),
            new Sign("web module up", e -> e.message().startsWith("Loading application [")),
            new Sign("platform shutdown failed (WELD-000019)", e -> e.message().startsWith("WELD-000019")),
            new Sign("Letterlock platform started again", 2, e -> e.message().startsWith("Letterlock started")),
            new Sign("Letterlock cannot start", e -> e.message().startsWith("Letterlock cannot start")),
            new Sign("WAR deployed", e -> e.message().contains("was successfully deployed in")),
            new Sign("web module up again", 2, e -> e.message().startsWith("Loading application [")),
            new Sign("Payara Micro ready", e -> e.logger().equals("PayaraMicro") && e.message().contains(" ready in ")));

    /** The entries of a Payara Micro log; continuation lines of multi-line messages are skipped. */
    public static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher matcher = ENTRY.matcher(COLOUR.matcher(line).replaceAll(""));
            if (matcher.matches()) {
                entries.add(new Entry(Long.parseLong(matcher.group(2)), matcher.group(1), matcher.group(3).strip()));
            }
        }
        return entries;
    }

    /** The start-up's milestones found in the entries, in the order they happened. */
    public static List<Milestone> milestones(List<Entry> entries) {
        List<Milestone> found = new ArrayList<>();
        for (Sign sign : SIGNS) {
            entries.stream().filter(sign.matches()).skip(sign.occurrence() - 1L).findFirst()
                    .ifPresent(e -> found.add(new Milestone(label(sign.label(), e), e.epochMillis())));
        }
        found.sort(Comparator.comparingLong(Milestone::epochMillis));
        return found;
    }

    /** Payara's own count of its core start is worth keeping next to the label. */
    private static String label(String label, Entry entry) {
        Matcher total = CORE_TOTAL.matcher(entry.message());
        return label.equals("Payara core up") && total.find() ? label + " (Payara counts " + total.group(1) + " ms)" : label;
    }

    /**
     * The milestones as offsets from the process start, in order, with the moment the server answered (when {@code answered} is not null), e.g.
     * {@code "first log line 0.6 s, Payara core up 7.3 s, ..., /health/ready 200 14.2 s"}.
     */
    public static String timeline(List<Milestone> milestones, long processStartMillis, String answered, long answeredMillis) {
        List<Milestone> all = new ArrayList<>(milestones);
        if (answered != null) {
            all.add(new Milestone(answered, answeredMillis));
        }
        all.sort(Comparator.comparingLong(Milestone::epochMillis));
        List<String> parts = new ArrayList<>();
        for (Milestone milestone : all) {
            parts.add(milestone.label() + " " + offset(milestone.epochMillis() - processStartMillis));
        }
        return String.join(", ", parts);
    }

    private static String offset(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
