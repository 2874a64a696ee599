package org.letterlock.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP load generator {@code wrk} (Debian package {@code wrk}, 4.1): keep-alive connections, a Lua script that
 * cycles through pre-built requests read from a file, and its report read back: requests, duration, latency
 * percentiles and every kind of error it counts. wrk counts answers with a status of 400 or more ("Non-2xx or 3xx
 * responses") and connect, read, write and timeout errors; a run with any of them is {@link Result#failed() failed}
 * and reported as such, never as a rate.
 */
public final class Wrk {
    static final int THREADS = 2;
    static final int CONNECTIONS = 16;
    /** A request slower than this counts as a timeout error. */
    static final int TIMEOUT_SECONDS = 5;
    static final List<Integer> PERCENTILES = List.of(50, 75, 90, 99);

    /**
     * The script every run uses. Arguments: method, path (prefix for GET), content type, the file of requests, the
     * number of threads, and where in the file to start. GET: each line is appended to the path. POST: each line is a
     * body in hex. Thread t of T takes lines start+t, start+t+T, start+t+2T, ... so that together the threads walk the
     * file from {@code start} on and two of them never send the same line at the same time. Requests are formatted
     * once, in init, before wrk starts its clock.
     *
     * <p>An optional seventh argument {@code once} makes each thread send each of its lines (from {@code start} to the end
     * of the file) once and then stop, without wrapping round: for requests that must not repeat, such as OCSP requests
     * for serials whose responses are not cached yet (the responder caches them once asked). A connection that asks for
     * a request after its thread ran out gets the thread's last one again while the thread stops.
     *
     * <p>{@code wrk.resolve} is overridden to skip wrk's start-up probe (a connection opened and closed without a request),
     * which leaves OpenSSL 3.0's {@code openssl ocsp} responder spinning (openssl/openssl#31129).
     */
    static final String SCRIPT = """
            -- Written by the bench harness (org.letterlock.bench.Wrk); see bench/README.md.
            wrk.resolve = function(host, service) wrk.addrs = wrk.lookup(host, service) end
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("id", threads)
            end
            local requests = {}
            local n = 0
            local i = 0
            local step = 1
            local left = -1
            local last = nil
            function init(args)
              local method, path, ctype, file = args[1], args[2], args[3], args[4]
              step = tonumber(args[5])
              local start = tonumber(args[6])
              for line in io.lines(file) do
                if method == "GET" then
                  requests[#requests + 1] = wrk.format("GET", path .. line, {})
                else
                  local body = line:gsub("..", function(h) return string.char(tonumber(h, 16)) end)
                  requests[#requests + 1] = wrk.format(method, path, {["Content-Type"] = ctype}, body)
                end
              end
              n = #requests
              i = (start + id - 1) % n
              if args[7] == "once" then
                left = 0
                local k = start + id - 1
                while k < n do
                  left = left + 1
                  k = k + step
                end
              end
            end
            function request()
              if left == 0 then
                wrk.thread:stop()
                return last or requests[1]
              end
              if left > 0 then
                left = left - 1
              end
              local r = requests[i + 1]
              i = (i + step) % n
              last = r
              return r
            end
            """;

    /** What one run of wrk reported. */
    public record Result(long requests, double seconds, Map<Integer, Double> latencyMillis, long non2xx, long connectErrors, long readErrors,
                         long writeErrors, long timeouts) {
        public Result {
            latencyMillis = Map.copyOf(latencyMillis);
        }

        public double perSecond() {
            return seconds == 0 ? 0 : requests / seconds;
        }

        public boolean failed() {
            return non2xx + connectErrors + readErrors + writeErrors + timeouts > 0 || requests == 0;
        }

        /** What went wrong, e.g. "12 answers >= 400, 3 read errors"; empty when nothing did. */
        public String errors() {
            List<String> parts = new ArrayList<>();
            if (requests == 0) {
                parts.add("no answers");
            }
            add(parts, non2xx, "answers with status >= 400");
            add(parts, connectErrors, "connect errors");
            add(parts, readErrors, "read errors");
            add(parts, writeErrors, "write errors");
            add(parts, timeouts, "timeouts (> " + TIMEOUT_SECONDS + " s)");
            return String.join(", ", parts);
        }

        private static void add(List<String> parts, long count, String what) {
            if (count > 0) {
                parts.add(String.format(Locale.ROOT, "%,d %s", count, what));
            }
        }

        public double latency(int percentile) {
            return latencyMillis.getOrDefault(percentile, Double.NaN);
        }

        public Meter.Rate rate() {
            return new Meter.Rate(requests, Math.round(seconds * 1e9), perSecond(), -1);
        }

        /**
         * Several runs as one: requests, time and errors added up; each latency percentile the worst of the runs (wrk
         * reports no histogram to merge, and the worst slice is the honest summary).
         */
        public static Result combine(List<Result> runs) {
            long requests = 0;
            double seconds = 0;
            long non2xx = 0;
            long connect = 0;
            long read = 0;
            long write = 0;
            long timeouts = 0;
            Map<Integer, Double> latency = new LinkedHashMap<>();
            for (Result run : runs) {
                requests += run.requests();
                seconds += run.seconds();
                non2xx += run.non2xx();
                connect += run.connectErrors();
                read += run.readErrors();
                write += run.writeErrors();
                timeouts += run.timeouts();
                run.latencyMillis().forEach((p, ms) -> latency.merge(p, ms, Math::max));
            }
            return new Result(requests, seconds, latency, non2xx, connect, read, write, timeouts);
        }
    }

    /** One run of wrk for a load: {@code seconds} long, from line {@code start} of its request file. */
    @FunctionalInterface
    public interface Run {
        Result run(int seconds, long start) throws Exception;
    }

    /** A load measured by wrk: each run starts where the previous stopped in the request file. */
    public static final class Load implements Meter.Timed {
        final List<Result> runs = new ArrayList<>();
        private final Run run;
        private long sent;

        Load(Run run) {
            this.run = run;
        }

        @Override
        public Meter.Rate runFor(long nanos) throws Exception {
            Result result = run.run(seconds(nanos), sent);
            sent += result.requests();
            runs.add(result);
            return result.rate();
        }
    }

    private static final Pattern TOTAL = Pattern.compile("(?m)^\\s*(\\d+) requests in ([\\d.]+)(us|ms|s|m|h),");
    private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s*(\\d+)%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)\\s*$");
    private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses: (\\d+)\\s*$");

    private Wrk() {
    }

    /**
     * The command line: {@code wrk -t2 -c16 -d<seconds>s --latency --timeout 5s -s <script> <url> -- <method> <path>
     * <content type> <file> <threads> <start>}.
     */
    static List<String> command(int seconds, Path script, String url, String method, String path, String contentType, Path requests, long start) {
        return List.of("wrk", "-t" + THREADS, "-c" + CONNECTIONS, "-d" + seconds + "s", "--latency", "--timeout", TIMEOUT_SECONDS + "s",
                "-s", script.toString(), url, "--", method, path, contentType, requests.toString(), Integer.toString(THREADS), Long.toString(start));
    }

    /**
     * {@link #command} with the script's {@code once} argument: every line of the file from {@code start} on is sent once,
     * then wrk stops (or at {@code seconds}, whichever comes first).
     */
    static List<String> commandOnce(int seconds, Path script, String url, String method, String path, String contentType, Path requests, long start) {
        List<String> command = new ArrayList<>(command(seconds, script, url, method, path, contentType, requests, start));
        command.add("once");
        return List.copyOf(command);
    }

    /** Writes the script (the same for every run) to {@code file}. */
    static Path writeScript(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, SCRIPT, StandardCharsets.UTF_8);
        return file;
    }

    /** A file of POST bodies for the script: one body per line, in hex. */
    static void writeBodies(Path file, List<byte[]> bodies) throws IOException {
        HexFormat hex = HexFormat.of();
        StringBuilder text = new StringBuilder();
        for (byte[] body : bodies) {
            text.append(hex.formatHex(body)).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }

    /** A file of GET path suffixes for the script: one per line. */
    static void writePaths(Path file, List<String> paths) throws IOException {
        for (String path : paths) {
            if (path.contains("\n") || path.contains(" ")) {
                throw new IllegalArgumentException("a request path cannot hold spaces or line breaks: " + path);
            }
        }
        Files.writeString(file, String.join("\n", paths) + "\n", StandardCharsets.US_ASCII);
    }

    /** The whole seconds wrk runs for a slice of {@code nanos} (at least 1: wrk takes whole seconds only). */
    static int seconds(long nanos) {
        return (int) Math.max(1, Math.round(nanos / 1e9));
    }

    /**
     * Runs wrk (behind {@code prefix}, e.g. nsenter into a network namespace; empty for none), remembered in
     * {@code processes} while it runs, and reads its report.
     */
    static Result run(Processes processes, List<String> prefix, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(command);
        String output = processes.run(full, java.time.Duration.ofMinutes(10));
        try {
            return parse(output);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage() + "; " + String.join(" ", full) + " said:\n" + output, e);
        }
    }

    /** Reads wrk's report (printed with {@code --latency}). */
    static Result parse(String output) {
        Matcher total = TOTAL.matcher(output);
        if (!total.find()) {
            throw new IllegalArgumentException("no 'N requests in T' line in wrk's output");
        }
        long requests = Long.parseLong(total.group(1));
        double seconds = millis(total.group(2), total.group(3)) / 1000;
        Map<Integer, Double> latency = new LinkedHashMap<>();
        Matcher percentile = PERCENTILE.matcher(output);
        while (percentile.find()) {
            latency.put(Integer.parseInt(percentile.group(1)), millis(percentile.group(2), percentile.group(3)));
        }
        long connect = 0;
        long read = 0;
        long write = 0;
        long timeouts = 0;
        Matcher errors = SOCKET_ERRORS.matcher(output);
        if (errors.find()) {
            connect = Long.parseLong(errors.group(1));
            read = Long.parseLong(errors.group(2));
            write = Long.parseLong(errors.group(3));
            timeouts = Long.parseLong(errors.group(4));
        }
        Matcher non2xx = NON_2XX.matcher(output);
        long status = non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0;
        return new Result(requests, seconds, latency, status, connect, read, write, timeouts);
    }

    /** A wrk duration in milliseconds: {@code 812.00us}, {@code 1.99ms}, {@code 3.01s}, {@code 1.00m}. */
    static double millis(String number, String unit) {
        double value = Double.parseDouble(number);
        return switch (unit) {
            case "us" -> value / 1000;
            case "ms" -> value;
            case "s" -> value * 1000;
            case "m" -> value * 60_000;
            case "h" -> value * 3_600_000;
            default -> throw new IllegalArgumentException("unknown time unit " + unit);
        };
    }
}
