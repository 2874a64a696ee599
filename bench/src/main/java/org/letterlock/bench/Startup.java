package org.letterlock.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Start-up time and memory of the server: from launching it to {@code /health/ready} answering 200, and the resident
 * memory of its java process after start and after a light load. Letterlock is started the way users start it,
 * {@code ./letterlock start}; the peer is Payara Micro with a one-resource JAX-RS WAR, started with the launcher's JVM
 * options and Payara flags: the floor Payara itself imposes. Targets: ready in at most 15 s, RSS at most 600 MB.
 */
public final class Startup implements Benchmark {
    static final int RESTARTS = 3;
    static final int LOAD_CALLS = 200;
    static final double READY_TARGET_SECONDS = 15;
    static final long RSS_TARGET_MB = 600;
    static final Duration START_LIMIT = Duration.ofSeconds(180);
    /** How often readiness is polled: finer than the launcher's 250 ms, so the figure is the server's, not the poll's. */
    static final Duration POLL = Duration.ofMillis(20);
    /** How long the API must answer 200 without a break after ready before it counts as steadily up. */
    static final Duration STEADY = Duration.ofSeconds(3);

    static final String LETTERLOCK = "Letterlock";
    static final String PEER = "peer: Payara Micro + 1-resource WAR";
    /** The Payara flags the launcher passes that are not about the WAR, its port or its folders; the peer gets the same. */
    static final List<String> PAYARA_FLAGS = List.of("--nocluster", "--nohazelcast");
    static final List<String> PEER_CLASSES = List.of("org/letterlock/bench/peer/HelloApplication.class", "org/letterlock/bench/peer/HelloResource.class");

    /** The java line of {@code ./letterlock start}, with its backslash continuations joined. */
    private static final Pattern JAVA_LINE = Pattern.compile("(?m)^\\s*java (.*)-jar \"\\$MICRO\"(.*)$");

    /**
     * One start of a server.
     *
     * @param launcherSeconds  from running {@code ./letterlock start} until it returned (NaN for the peer, which has no launcher)
     * @param execSeconds      from running the launcher until the java process started (NaN for the peer)
     * @param readySeconds     from the java process's start until it first answered 200 (Letterlock: /health/ready; peer: /api/hello)
     * @param apiSeconds       from the java process's start until the API answered 200 steadily: the first 200 of a run of 200s
     *                         lasting {@link #STEADY}, asked every {@link #POLL} from ready on (Letterlock: GET /api/admins/me;
     *                         peer: GET /api/hello)
     * @param notReady         what the API answered after ready and before that run, e.g. "503 x2" (empty when only 200s)
     * @param firstCallMillis  Letterlock: how long the first successful GET /api/admins/me took (NaN for the peer)
     * @param loadFailures     answers other than 200 during the load, e.g. "503 x2" (empty when none)
     * @param loadSeconds      the {@link #LOAD_CALLS} GETs one after another
     * @param timeline         milestones from the server's log, as offsets from the process start
     * @param failure          why the start could not be measured (empty when it could)
     */
    record Start(String server, String kind, double launcherSeconds, double execSeconds, double readySeconds, double apiSeconds, String notReady,
                 double firstCallMillis, long rssAfterStartKb, long rssAfterLoadKb, long peakKb, double loadSeconds, String loadFailures,
                 String timeline, String failure) {

        static Start failed(String server, String kind, String failure, String timeline) {
            return new Start(server, kind, Double.NaN, Double.NaN, Double.NaN, Double.NaN, "", Double.NaN, -1, -1, -1, Double.NaN, "", timeline, failure);
        }

        boolean ok() {
            return failure.isEmpty();
        }
    }

    /** A start that went wrong: the server stopped, or never answered as it should. */
    static final class StartFailed extends Exception {
        StartFailed(String message) {
            super(message);
        }
    }

    /** The servers and launchers of the run, stopped by pid also when it fails; set for the length of {@link #run}. */
    private Processes processes;

    @Override
    public String name() {
        return "startup";
    }

    @Override
    public String summary() {
        return "Seconds from launching the server to /health/ready 200 and RSS of its java process after start and after "
                + LOAD_CALLS + " authenticated GETs, " + RESTARTS + " restarts on an initialised data folder and a first start on an empty one, "
                + "next to Payara Micro serving a one-resource JAX-RS WAR with the same JVM options.";
    }

    @Override
    public String timing(Options options) {
        return "1 first start and " + RESTARTS + " restarts of each server, alternating; --seconds and --warmup do not apply";
    }

    @Override
    public Results run(Options options) throws Exception {
        Path root = options.root();
        Path launcher = LetterlockServer.launcher(root);
        Path deploy = root.resolve("deploy").resolve("target");
        Path micro = deploy.resolve("payara-micro.jar");
        LetterlockServer.ensureArtefacts(root, options);
        List<String> jvmOptions = jvmOptions(Files.readString(launcher));

        Path base = options.dataDir().resolve("startup");
        Path letterlockDir = base.resolve("letterlock");
        Path peerDir = base.resolve("peer");
        // Both first starts need empty folders; the restarts then reuse what the first start made.
        AuditAppend.deleteTree(letterlockDir);
        AuditAppend.deleteTree(peerDir);
        Files.createDirectories(peerDir);
        Path war = writePeerWar(base.resolve("hello.war"));

        List<Start> starts = new ArrayList<>();
        processes = new Processes("startup");
        try {
            starts.add(attempt(LETTERLOCK, "first start, empty data folder", letterlockDir, options,
                    () -> startLetterlock("first start, empty data folder", launcher, letterlockDir, options)));
            starts.add(attempt(PEER, "first start, empty root folder", peerDir, options,
                    () -> startPeer("first start, empty root folder", micro, war, jvmOptions, peerDir, options)));
            // Alternating A B, B A, A B, so that a build starting on the shared machine slows both servers alike.
            for (int i = 1; i <= RESTARTS; i++) {
                String kind = "restart " + i;
                if (i % 2 == 1) {
                    starts.add(attempt(LETTERLOCK, kind, letterlockDir, options, () -> startLetterlock(kind, launcher, letterlockDir, options)));
                }
                starts.add(attempt(PEER, kind, peerDir, options, () -> startPeer(kind, micro, war, jvmOptions, peerDir, options)));
                if (i % 2 == 0) {
                    starts.add(attempt(LETTERLOCK, kind, letterlockDir, options, () -> startLetterlock(kind, launcher, letterlockDir, options)));
                }
            }
        } finally {
            processes.close();
        }
        return results(starts, jvmOptions, "deploy/target/letterlock-server.war of " + Files.getLastModifiedTime(deploy.resolve("letterlock-server.war"))
                .toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    /** The JVM options {@code ./letterlock start} gives Payara Micro: the {@code -X} options of its java line. */
    static List<String> jvmOptions(String launcherScript) {
        Matcher line = JAVA_LINE.matcher(launcherScript.replace("\\\n", " "));
        if (!line.find()) {
            throw new IllegalStateException("cannot find the java ... -jar \"$MICRO\" line in ./letterlock; the startup peer copies its JVM options");
        }
        List<String> options = new ArrayList<>();
        for (String token : line.group(1).trim().split("\\s+")) {
            if (token.startsWith("-X")) {
                options.add(token);
            }
        }
        for (String flag : PAYARA_FLAGS) {
            if (!line.group(2).contains(flag)) {
                throw new IllegalStateException("./letterlock no longer passes " + flag + " to Payara Micro; update Startup.PAYARA_FLAGS so the peer matches");
            }
        }
        return options;
    }

    /** A field of /proc/PID/status in kB, e.g. {@code VmRSS:    123456 kB}. */
    static long kilobytes(String status, String field) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(field) + ":\\s+(\\d+) kB$").matcher(status);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + field + " in /proc/<pid>/status");
        }
        return Long.parseLong(matcher.group(1));
    }

    private static String procStatus(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "status"));
    }

    /** One start to measure; a {@link StartFailed} becomes a failed row with the log's timeline, and the next start goes ahead. */
    @FunctionalInterface
    private interface Attempt {
        Start run() throws Exception;
    }

    private Start attempt(String server, String kind, Path dir, Options options, Attempt attempt) throws Exception {
        options.progress().println("  " + server + ", " + kind + " ...");
        try {
            Start start = attempt.run();
            progress(options, start);
            return start;
        } catch (StartFailed e) {
            processes.stopAll();
            options.progress().println("    FAILED: " + e.getMessage());
            List<PayaraLog.Milestone> milestones = PayaraLog.milestones(PayaraLog.parse(readIfExists(dir.resolve("logs").resolve("console.log"))));
            String timeline = milestones.isEmpty() ? "nothing logged"
                    : "(offsets from the first log line) " + PayaraLog.timeline(milestones, milestones.get(0).epochMillis(), null, 0);
            return Start.failed(server, kind, e.getMessage(), timeline);
        }
    }

    private Start startLetterlock(String kind, Path launcher, Path dir, Options options) throws Exception {
        Files.createDirectories(dir);
        int port = Processes.freePort();
        Map<String, String> environment = LetterlockServer.launcherEnvironment(dir, port);
        Path launcherLog = dir.resolveSibling("launcher.log");
        Path pidFile = dir.resolve("letterlock.pid");
        Files.deleteIfExists(pidFile);

        long launched = System.currentTimeMillis();
        long launchedNanos = System.nanoTime();
        Process script = processes.start(List.of(launcher.toString(), "start"), launcher.getParent(), environment, launcherLog);
        ProcessHandle server = null;
        long readyMillis = -1;
        long launcherNanos = -1;
        long rssAtReady = -1;
        // Poll readiness ourselves while the launcher polls too: the launcher's return time is what users see, ours is the server's.
        while (readyMillis < 0 || launcherNanos < 0) {
            if (System.nanoTime() - launchedNanos > START_LIMIT.toNanos()) {
                throw new StartFailed("not ready after " + START_LIMIT.toSeconds() + " s; see " + dir.resolve("logs/console.log"));
            }
            if (server == null && Files.exists(pidFile)) {
                server = track(Long.parseLong(Files.readString(pidFile).strip()));
            }
            if (server != null && !server.isAlive() && readyMillis < 0) {
                throw new StartFailed("the server process exited before it answered /health/ready 200; see " + dir.resolve("logs/console.log"));
            }
            if (launcherNanos < 0 && !script.isAlive()) {
                launcherNanos = System.nanoTime();
                if (script.exitValue() != 0) {
                    throw new StartFailed("./letterlock start exited with " + script.exitValue() + "; see " + launcherLog + " and "
                            + dir.resolve("logs/console.log"));
                }
            }
            if (readyMillis < 0 && server != null && LetterlockServer.status(port, "/health/ready", null) == 200) {
                readyMillis = System.currentTimeMillis();
                rssAtReady = kilobytes(procStatus(server.pid()), "VmRSS");
            }
            Thread.sleep(POLL.toMillis());
        }
        long processStart = processStart(server);

        String authorization = LetterlockServer.credential(Files.readString(dir.resolve("secrets").resolve("admin-credential"))).basic();
        Settling api = settle(server, port, "/api/admins/me", authorization, readyMillis, processStart);
        Load load = load(port, "/api/admins/me", authorization);
        String status = procStatus(server.pid());
        String timeline = PayaraLog.timeline(PayaraLog.milestones(PayaraLog.parse(readIfExists(dir.resolve("logs/console.log")))),
                processStart, "/health/ready 200", readyMillis);

        Process stop = processes.start(List.of(launcher.toString(), "stop"), launcher.getParent(), environment, launcherLog);
        if (!stop.waitFor(60, TimeUnit.SECONDS)) {
            stop.destroyForcibly();
        }
        processes.stop(stop.toHandle());
        processes.stop(script.toHandle());
        processes.stop(server);

        Start result = new Start(LETTERLOCK, kind, (launcherNanos - launchedNanos) / 1e9, (processStart - launched) / 1e3,
                (readyMillis - processStart) / 1e3, (api.steadyMillis() - processStart) / 1e3, statuses(api.before()), api.firstCallMillis(),
                rssAtReady, kilobytes(status, "VmRSS"), kilobytes(status, "VmHWM"), load.seconds(), statuses(load.failures()), timeline, "");
        return result;
    }

    private Start startPeer(String kind, Path micro, Path war, List<String> jvmOptions, Path dir, Options options) throws Exception {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        int port = Processes.freePort();
        // The same listener address the launcher sets, so the peer too listens on loopback.
        Path preboot = dir.resolve("payara-preboot.asadmin");
        Files.writeString(preboot, "set configs.config.server-config.network-config.network-listeners.network-listener.http-listener.address=127.0.0.1\n");
        List<String> command = new ArrayList<>();
        command.add("java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", micro.toString(), "--deploy", war.toString(), "--contextroot", "/", "--port", Integer.toString(port)));
        command.addAll(PAYARA_FLAGS);
        command.addAll(List.of("--prebootcommandfile", preboot.toString(),
                "--logtofile", logs.resolve("server.log").toString()));

        Path console = logs.resolve("console.log");
        Files.deleteIfExists(console);
        Process process = processes.start(command, dir, LetterlockServer.cleanEnvironment(), console);
        ProcessHandle server = process.toHandle();
        long processStart = processStart(server);
        long readyMillis = -1;
        long rssAtReady = -1;
        while (readyMillis < 0) {
            if (!process.isAlive()) {
                throw new StartFailed("the peer stopped during start-up with " + process.exitValue() + "; see " + console);
            }
            if (System.currentTimeMillis() - processStart > START_LIMIT.toMillis()) {
                throw new StartFailed("the peer did not answer after " + START_LIMIT.toSeconds() + " s; see " + console);
            }
            if (LetterlockServer.status(port, "/api/hello", null) == 200) {
                readyMillis = System.currentTimeMillis();
                rssAtReady = kilobytes(procStatus(server.pid()), "VmRSS");
            } else {
                Thread.sleep(POLL.toMillis());
            }
        }
        Settling api = settle(server, port, "/api/hello", null, readyMillis, processStart);
        Load load = load(port, "/api/hello", null);
        String status = procStatus(server.pid());
        String timeline = PayaraLog.timeline(PayaraLog.milestones(PayaraLog.parse(readIfExists(console))), processStart, "GET /api/hello 200", readyMillis);
        processes.stop(server);

        Start result = new Start(PEER, kind, Double.NaN, Double.NaN, (readyMillis - processStart) / 1e3, (api.steadyMillis() - processStart) / 1e3,
                statuses(api.before()), Double.NaN, rssAtReady, kilobytes(status, "VmRSS"), kilobytes(status, "VmHWM"), load.seconds(),
                statuses(load.failures()), timeline, "");
        return result;
    }

    /**
     * What an endpoint did once the server said it was ready.
     *
     * @param steadyMillis    when it answered the first 200 of a run of 200s lasting {@link #STEADY}, in epoch milliseconds
     * @param firstCallMillis how long its first successful call took
     * @param before          what it answered, other than 200, before that run (status: count; -1 no answer)
     */
    record Settling(long steadyMillis, double firstCallMillis, Map<Integer, Integer> before) {
    }

    /**
     * Asks the endpoint every {@link #POLL} until it has answered 200 for {@link #STEADY} without a break. A server that says
     * it is ready should answer at once; whether it does is measured, not assumed.
     */
    private Settling settle(ProcessHandle server, int port, String path, String authorization, long readyMillis, long processStart)
            throws InterruptedException, StartFailed {
        Map<Integer, Integer> before = new TreeMap<>();
        double firstCallMillis = Double.NaN;
        long streakStart = -1;
        while (streakStart < 0 || System.currentTimeMillis() - streakStart < STEADY.toMillis()) {
            String since = String.format(Locale.ROOT, "%.1f s after it first answered ready (%.1f s after the process started)",
                    (System.currentTimeMillis() - readyMillis) / 1e3, (readyMillis - processStart) / 1e3);
            if (!server.isAlive()) {
                throw new StartFailed("the server process exited " + since + "; GET " + path + " had answered " + statuses(before)
                        + (Double.isNaN(firstCallMillis) ? "" : " and 200 at times"));
            }
            if (System.currentTimeMillis() - readyMillis > START_LIMIT.toMillis()) {
                throw new StartFailed("GET " + path + " did not answer 200 steadily " + since + ": " + statuses(before));
            }
            long call = System.nanoTime();
            int status = LetterlockServer.status(port, path, authorization);
            if (status == 200) {
                if (Double.isNaN(firstCallMillis)) {
                    firstCallMillis = (System.nanoTime() - call) / 1e6;
                }
                if (streakStart < 0) {
                    streakStart = System.currentTimeMillis();
                }
            } else {
                before.merge(status, 1, Integer::sum);
                streakStart = -1;
            }
            Thread.sleep(POLL.toMillis());
        }
        return new Settling(streakStart, firstCallMillis, before);
    }

    /** What came back before a 200, e.g. "500 x3, no answer x1" (-1 is a refused or failed connection). */
    static String statuses(Map<Integer, Integer> counts) {
        List<String> parts = new ArrayList<>();
        counts.forEach((status, count) -> parts.add((status < 0 ? "no answer" : Integer.toString(status)) + " x" + count));
        return String.join(", ", parts);
    }

    private static void progress(Options options, Start start) {
        options.progress().printf(Locale.ROOT, "    ready %.1f s after the process started%s%s; RSS %d MB after start, %d MB after %d GETs (peak %d MB)%n",
                start.readySeconds(), Double.isNaN(start.launcherSeconds()) ? "" : String.format(Locale.ROOT, ", launcher returned after %.1f s", start.launcherSeconds()),
                start.notReady().isEmpty() ? "" : String.format(Locale.ROOT, ", API steadily 200 after %.1f s (before: %s)", start.apiSeconds(), start.notReady()),
                start.rssAfterStartKb() / 1024, start.rssAfterLoadKb() / 1024, LOAD_CALLS, start.peakKb() / 1024);
    }

    /** Remembers the server process the launcher forked, by its pid. */
    private ProcessHandle track(long pid) throws StartFailed {
        return processes.track(pid).orElseThrow(() -> new StartFailed("the server process " + pid + " is already gone"));
    }

    /** When the process started, in epoch milliseconds (Linux counts it in clock ticks: 10 ms). */
    private static long processStart(ProcessHandle process) {
        return process.info().startInstant().map(Instant::toEpochMilli)
                .orElseThrow(() -> new IllegalStateException("cannot read the start time of process " + process.pid()));
    }

    /** The light load's outcome: how long it took and any answer other than 200 (status: count). */
    record Load(double seconds, Map<Integer, Integer> failures) {
    }

    /** The light load: {@link #LOAD_CALLS} GETs one after another on one keep-alive connection. */
    private Load load(int port, String path, String authorization) {
        Map<Integer, Integer> failures = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < LOAD_CALLS; i++) {
            int status = LetterlockServer.status(port, path, authorization);
            if (status != 200) {
                failures.merge(status, 1, Integer::sum);
            }
        }
        return new Load((System.nanoTime() - start) / 1e9, failures);
    }

    /** The peer's WAR: the two compiled classes of {@code org.letterlock.bench.peer}, taken from this jar. */
    static Path writePeerWar(Path war) throws IOException {
        Files.createDirectories(war.getParent());
        try (OutputStream file = Files.newOutputStream(war); ZipOutputStream zip = new ZipOutputStream(file)) {
            Set<String> folders = new LinkedHashSet<>();
            for (String name : PEER_CLASSES) {
                String path = "WEB-INF/classes/" + name;
                for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                    if (folders.add(path.substring(0, slash + 1))) {
                        zip.putNextEntry(new ZipEntry(path.substring(0, slash + 1)));
                        zip.closeEntry();
                    }
                }
                try (InputStream in = Startup.class.getClassLoader().getResourceAsStream(name)) {
                    if (in == null) {
                        throw new IllegalStateException(name + " is missing from the bench jar");
                    }
                    zip.putNextEntry(new ZipEntry(path));
                    in.transferTo(zip);
                    zip.closeEntry();
                }
            }
        }
        return war;
    }

    private static String readIfExists(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    static Results results(List<Start> starts, List<String> jvmOptions, String war) {
        List<List<String>> rows = new ArrayList<>();
        for (Start start : starts) {
            Optional<Start> peer = start.server().equals(LETTERLOCK)
                    ? starts.stream().filter(s -> s.server().equals(PEER) && s.ok() && pair(s.kind()).equals(pair(start.kind()))).findFirst()
                    : Optional.empty();
            rows.add(row(start, peer));
        }
        List<Start> letterlockStarts = starts.stream().filter(s -> s.server().equals(LETTERLOCK)).toList();
        List<Start> letterlockRestarts = restarts(starts, LETTERLOCK);
        List<Start> peerRestarts = restarts(starts, PEER);
        List<Start> failed = starts.stream().filter(s -> !s.ok()).toList();
        List<String> notes = new ArrayList<>();

        Optional<Start> letterlockMedian = letterlockRestarts.isEmpty() ? Optional.empty() : Optional.of(medianStart(LETTERLOCK, letterlockRestarts));
        Optional<Start> peerMedian = peerRestarts.isEmpty() ? Optional.empty() : Optional.of(medianStart(PEER, peerRestarts));
        letterlockMedian.ifPresent(m -> rows.add(row(m, peerMedian)));
        peerMedian.ifPresent(m -> rows.add(row(m, Optional.empty())));

        List<String> failedLetterlock = letterlockStarts.stream().filter(s -> !s.ok()).map(Start::kind).toList();
        Start first = letterlockStarts.get(0);
        String firstStart = first.ok() ? String.format(Locale.ROOT, "First start on an empty data folder: %.1f s, %.1f s and %.1f s.",
                first.launcherSeconds(), first.readySeconds(), first.apiSeconds()) : "";
        if (letterlockMedian.isPresent()) {
            Start median = letterlockMedian.get();
            boolean met = failedLetterlock.isEmpty() && median.launcherSeconds() <= READY_TARGET_SECONDS && median.readySeconds() <= READY_TARGET_SECONDS;
            notes.add(String.format(Locale.ROOT, "Target ready <= %.0f s on a built tree: %s (median of the %d measured restart(s): `./letterlock start` "
                            + "returned after %.1f s; the java process answered /health/ready 200 %.1f s after it started, and GET /api/admins/me "
                            + "steadily 200 from %.1f s). %s",
                    READY_TARGET_SECONDS, met ? "met" : "NOT MET" + (failedLetterlock.isEmpty() ? "" : ": " + String.join(", ", failedLetterlock) + " failed"),
                    letterlockRestarts.size(), median.launcherSeconds(), median.readySeconds(), median.apiSeconds(), firstStart));
        } else {
            notes.add(String.format(Locale.ROOT, "Target ready <= %.0f s on a built tree: NOT MET: no restart of Letterlock could be measured (%s failed). %s",
                    READY_TARGET_SECONDS, String.join(", ", failedLetterlock), firstStart));
        }
        List<Start> measured = letterlockStarts.stream().filter(Start::ok).toList();
        if (!measured.isEmpty()) {
            long maxRssMb = measured.stream().mapToLong(s -> Math.max(s.rssAfterLoadKb(), s.rssAfterStartKb())).max().orElse(0) / 1024;
            long maxPeakMb = measured.stream().mapToLong(Start::peakKb).max().orElse(0) / 1024;
            notes.add(String.format(Locale.ROOT, "Target RSS <= %d MB: %s (Letterlock's highest RSS after start or after the load, in any measured start: "
                    + "%d MB; peak RSS, VmHWM, at most %d MB).", RSS_TARGET_MB, maxRssMb <= RSS_TARGET_MB ? "met" : "NOT MET", maxRssMb, maxPeakMb));
        }
        if (letterlockMedian.isPresent() && peerMedian.isPresent()) {
            Start l = letterlockMedian.get();
            Start p = peerMedian.get();
            notes.add("Letterlock / peer, medians of the measured restarts: /health/ready " + Results.percent(l.readySeconds() / p.readySeconds())
                    + " of the peer's first 200, steady API " + Results.percent(l.apiSeconds() / p.apiSeconds()) + " of the peer's; RSS after start "
                    + Results.percent((double) l.rssAfterStartKb() / p.rssAfterStartKb()) + ", after the load "
                    + Results.percent((double) l.rssAfterLoadKb() / p.rssAfterLoadKb()) + ", peak " + Results.percent((double) l.peakKb() / p.peakKb()) + ".");
        }
        for (Start start : failed) {
            notes.add("FAILED: " + start.server() + ", " + start.kind() + ": " + start.failure() + ". Its log: " + start.timeline() + ".");
        }
        List<String> early = starts.stream().filter(s -> s.ok() && !s.notReady().isEmpty())
                .map(s -> String.format(Locale.ROOT, "%s %s: %s, steady %.1f s after ready", s.server(), s.kind(), s.notReady(), s.apiSeconds() - s.readySeconds()))
                .toList();
        notes.add("After ready, the API was asked every " + POLL.toMillis() + " ms until it had answered 200 for " + STEADY.toSeconds()
                + " s without a break (Letterlock GET /api/admins/me, peer GET /api/hello). " + (early.isEmpty()
                ? "In every measured start it answered only 200s."
                : "Answers other than 200 after ready (-1: no answer): " + String.join("; ", early) + "."));
        List<String> loadFailures = starts.stream().filter(s -> !s.loadFailures().isEmpty()).map(s -> s.server() + " " + s.kind() + ": " + s.loadFailures()).toList();
        if (!loadFailures.isEmpty()) {
            notes.add("Answers other than 200 during the load: " + String.join("; ", loadFailures) + ".");
        }
        // The first start of each server, and its first restart that could be measured.
        List<Start> profiled = new ArrayList<>();
        for (String server : List.of(LETTERLOCK, PEER)) {
            starts.stream().filter(s -> s.server().equals(server) && s.ok() && s.kind().startsWith("first start")).findFirst().ifPresent(profiled::add);
            restarts(starts, server).stream().findFirst().ifPresent(profiled::add);
        }
        for (Start start : profiled) {
            notes.add("Where the time goes, " + start.server() + ", " + start.kind() + " (offsets from the process start, from the timestamps in "
                    + "<folder>/logs/console.log): " + start.timeline() + ".");
        }
        if (!measured.isEmpty()) {
            notes.add("The launcher took " + joined(measured, s -> String.format(Locale.ROOT, "%.2f s", s.execSeconds()))
                    + " from being run to starting java, and returns at its next readiness probe (every 250 ms). RSS after start is read when "
                    + "/health/ready (peer: /api/hello) first answered 200, RSS after the load after the steadiness polling and the " + LOAD_CALLS
                    + " GETs. The first successful GET /api/admins/me took " + joined(measured, s -> String.format(Locale.ROOT, "%.0f ms", s.firstCallMillis()))
                    + " (a login pays Argon2 once, then is cached), the " + LOAD_CALLS + " GETs after it "
                    + joined(measured, s -> String.format(Locale.ROOT, "%.1f s", s.loadSeconds())) + "; the peer's " + LOAD_CALLS + " GET /api/hello took "
                    + joined(starts.stream().filter(s -> s.server().equals(PEER) && s.ok()).toList(), s -> String.format(Locale.ROOT, "%.1f s", s.loadSeconds()))
                    + ".");
        }
        notes.add("Letterlock: `LETTERLOCK_DATA_DIR=bench/target/bench-data/startup/letterlock LETTERLOCK_HTTP_PORT=<free port> LETTERLOCK_NO_BUILD=1 "
                + "./letterlock start` (then `./letterlock stop`) with " + war + ", default configuration: H2 file database and the SoftHSM2 token in the data folder; "
                + "LETTERLOCK_* variables of the calling shell are not passed on. Readiness is polled every " + POLL.toMillis() + " ms beside the "
                + "launcher's own probes; 'process start' is the java process's start time from /proc (10 ms resolution). RSS is VmRSS of that "
                + "process from /proc/<pid>/status; the load is " + LOAD_CALLS + " authenticated GET /api/admins/me, one after another on one connection.");
        notes.add("Peer: `java " + String.join(" ", jvmOptions) + " -jar deploy/target/payara-micro.jar --deploy hello.war --contextroot / --port <free port> "
                + String.join(" ", PAYARA_FLAGS) + " --prebootcommandfile <folder>/payara-preboot.asadmin --logtofile "
                + "<folder>/logs/server.log`: the launcher's JVM options (read from ./letterlock) and Payara flags, its listener address (127.0.0.1), "
                + "a WAR with one JAX-RS application and one resource (GET /api/hello, text/plain), no beans.xml, no libraries; ready = first 200 "
                + "from /api/hello; its load is " + LOAD_CALLS + " GET /api/hello. The servers were started alternately (first starts, then "
                + "restarts A B, B A, A B), each stopped before the next started.");
        return new Results(List.of("server", "start", "launcher returned, s", "process start to ready, s", "to steady API 200, s", "RSS after start, MB",
                "RSS after " + LOAD_CALLS + " GETs, MB", "peak RSS, MB", "ready vs peer", "RSS after GETs vs peer"), rows, notes);
    }

    private static List<Start> restarts(List<Start> starts, String server) {
        return starts.stream().filter(s -> s.server().equals(server) && s.ok() && s.kind().startsWith("restart")).toList();
    }

    /** A summary row: the median of each figure over the restarts. */
    private static Start medianStart(String server, List<Start> restarts) {
        return new Start(server, "median of the restarts", medianOf(restarts, Start::launcherSeconds), medianOf(restarts, Start::execSeconds),
                medianOf(restarts, Start::readySeconds), medianOf(restarts, Start::apiSeconds), "", medianOf(restarts, Start::firstCallMillis),
                (long) medianOf(restarts, s -> (double) s.rssAfterStartKb()), (long) medianOf(restarts, s -> (double) s.rssAfterLoadKb()),
                (long) medianOf(restarts, s -> (double) s.peakKb()), medianOf(restarts, Start::loadSeconds), "", "", "");
    }

    private static double medianOf(List<Start> starts, ToDoubleFunction<Start> figure) {
        return median(starts.stream().map(figure::applyAsDouble).toList());
    }

    private static String joined(List<Start> starts, Function<Start, String> format) {
        return String.join(", ", starts.stream().map(format).toList());
    }

    /** Which peer start a Letterlock start is compared with: first with first, restart n with restart n. */
    private static String pair(String kind) {
        return kind.startsWith("first start") ? "first start" : kind;
    }

    private static List<String> row(Start start, Optional<Start> peer) {
        if (!start.ok()) {
            return List.of(start.server(), start.kind() + ": FAILED (see notes)", Results.NONE, Results.NONE, Results.NONE, Results.NONE,
                    Results.NONE, Results.NONE, Results.NONE, Results.NONE);
        }
        return List.of(start.server(), start.kind(), seconds(start.launcherSeconds()), seconds(start.readySeconds()), seconds(start.apiSeconds()),
                Long.toString(start.rssAfterStartKb() / 1024), Long.toString(start.rssAfterLoadKb() / 1024), Long.toString(start.peakKb() / 1024),
                peer.map(p -> Results.percent(start.readySeconds() / p.readySeconds())).orElse(Results.NONE),
                peer.map(p -> Results.percent((double) start.rssAfterLoadKb() / p.rssAfterLoadKb())).orElse(Results.NONE));
    }

    private static String seconds(double seconds) {
        return Double.isNaN(seconds) ? Results.NONE : String.format(Locale.ROOT, "%.1f", seconds);
    }

    static double median(List<Double> values) {
        return values.isEmpty() ? Double.NaN : AuditAppend.median(values);
    }
}
