package org.letterlock.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Letterlock server started the way users start it, {@code ./letterlock start} from the repository root, on a data
 * folder and a free port of the benchmark's own, with only the configuration the benchmark gives it (LETTERLOCK_*
 * variables of the calling shell are not passed on). Its java process is remembered in the benchmark's
 * {@link Processes} by pid, so it is stopped also when the run fails. The static parts are shared with {@link Startup},
 * which times the start itself.
 */
public final class LetterlockServer {
    static final Duration START_LIMIT = Duration.ofSeconds(180);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    /** An administrator's name and password, e.g. the first administrator's from {@code <data>/secrets/admin-credential}. */
    public record Credential(String username, String password) {
        /** The value of an Authorization header for HTTP Basic. */
        public String basic() {
            return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private final Path root;
    private final Path dir;
    private final int port;
    private final Map<String, String> environment;
    private final Path launcherLog;
    private final Processes processes;
    private final ProcessHandle process;
    private final Credential admin;

    private LetterlockServer(Path root, Path dir, int port, Map<String, String> environment, Path launcherLog, Processes processes,
                             ProcessHandle process, Credential admin) {
        this.root = root;
        this.dir = dir;
        this.port = port;
        this.environment = environment;
        this.launcherLog = launcherLog;
        this.processes = processes;
        this.process = process;
        this.admin = admin;
    }

    /**
     * Starts a server on {@code dir} (created when missing; an empty folder is a first start) and returns once
     * {@code ./letterlock start} has returned and /health/ready answers 200. {@code config} is extra LETTERLOCK_*
     * environment (database, key specs, ...) and may name other variables the configuration refers to, e.g. a password
     * for {@code env:NAME}. Fails with the end of the server's log when it does not come up.
     */
    public static LetterlockServer start(Path root, Path dir, Map<String, String> config, Processes processes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int port = Processes.freePort();
        Map<String, String> environment = launcherEnvironment(dir, port);
        environment.put("LETTERLOCK_PUBLIC_URL", "http://127.0.0.1:" + port);
        environment.putAll(config);
        Path launcherLog = dir.resolveSibling(dir.getFileName() + "-launcher.log");
        Path pidFile = dir.resolve("letterlock.pid");
        Files.deleteIfExists(pidFile);
        Process launcher = processes.start(List.of(launcher(root).toString(), "start"), root, environment, launcherLog);
        if (!launcher.waitFor(START_LIMIT.toSeconds() + 10, TimeUnit.SECONDS)) {
            processes.stop(launcher.toHandle());
            trackPidFile(pidFile, processes);
            processes.stopAll();
            throw new IllegalStateException("./letterlock start did not return in " + START_LIMIT.toSeconds() + " s; see " + dir.resolve("logs/console.log"));
        }
        processes.stop(launcher.toHandle());
        // Remembered before anything else is checked, so that a server left running by a failed start is stopped too.
        ProcessHandle process = trackPidFile(pidFile, processes);
        if (launcher.exitValue() != 0) {
            throw new IllegalStateException("./letterlock start exited with " + launcher.exitValue() + ":\n" + tail(launcherLog, 15)
                    + "\nlast lines of " + dir.resolve("logs/console.log") + ":\n" + tail(dir.resolve("logs/console.log"), 30));
        }
        if (process == null) {
            throw new IllegalStateException("the server started by ./letterlock start is gone; see " + dir.resolve("logs/console.log"));
        }
        if (status(port, "/health/ready", null) != 200) {
            throw new IllegalStateException("./letterlock start returned but /health/ready does not answer 200; see " + dir.resolve("logs/console.log"));
        }
        Credential admin = credential(Files.readString(dir.resolve("secrets").resolve("admin-credential")));
        return new LetterlockServer(root, dir, port, environment, launcherLog, processes, process, admin);
    }

    private static ProcessHandle trackPidFile(Path pidFile, Processes processes) throws IOException {
        if (!Files.exists(pidFile)) {
            return null;
        }
        return processes.track(Long.parseLong(Files.readString(pidFile).strip())).orElse(null);
    }

    /** Runs {@code ./letterlock <arguments>} on this server's data folder and configuration (e.g. the command line's import) and returns its output. */
    public String launcher(List<String> arguments, Duration limit) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(launcher(root).toString()));
        command.addAll(arguments);
        return processes.run(command, environment, limit);
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public String base() {
        return "http://127.0.0.1:" + port;
    }

    public Path dataDir() {
        return dir;
    }

    public Credential admin() {
        return admin;
    }

    public ProcessHandle process() {
        return process;
    }

    /** One call to the server; {@code body} null for none. */
    public HttpResponse<String> call(String method, String path, Credential who, String contentType, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(CALL_TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (who != null) {
            request.header("Authorization", who.basic());
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        request.header("Accept", "application/json");
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A JSON call that must answer {@code expected}; anything else fails with the exact request and answer. */
    public Map<String, Object> json(String method, String path, Credential who, String body, int expected) throws IOException, InterruptedException {
        HttpResponse<String> response = call(method, path, who, body == null ? null : "application/json", body);
        expect(response, method, path, body, expected);
        return Json.object(response.body());
    }

    /** Fails with the request and what came back when the status is not the one expected. */
    static void expect(HttpResponse<String> response, String method, String path, String body, int expected) {
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + (body == null ? "" : " " + Json.abbreviate(body)) + " answered " + response.statusCode()
                    + " (expected " + expected + ") " + response.headers().firstValue("Content-Type").orElse("") + ": " + Json.abbreviate(response.body()));
        }
    }

    /**
     * A new administrator with one role and a password Letterlock generates: {@code POST /api/admins} as the first
     * administrator, which answers 201 with the password.
     */
    public Credential createAdmin(String name, String role) throws IOException, InterruptedException {
        String body = "{\"name\":" + Json.quote(name) + ",\"roles\":[" + Json.quote(role) + "]}";
        Map<String, Object> created = json("POST", "/api/admins", admin, body, 201);
        return new Credential(name, Json.string(created, "password"));
    }

    /** {@code ./letterlock stop} on the same data folder, then the java process by its pid (SIGTERM, SIGKILL if it lingers). */
    public void stop() throws IOException, InterruptedException {
        Process stop = processes.start(List.of(launcher(root).toString(), "stop"), root, environment, launcherLog);
        if (!stop.waitFor(60, TimeUnit.SECONDS)) {
            processes.stop(stop.toHandle());
        }
        processes.stop(stop.toHandle());
        processes.stop(process);
    }

    // ---- shared with Startup ----

    static Path launcher(Path root) {
        return root.resolve("letterlock");
    }

    /** The WAR, Payara Micro and the CLI jar the launcher needs. */
    static List<Path> artefacts(Path root) {
        Path deploy = root.resolve("deploy").resolve("target");
        return List.of(deploy.resolve("letterlock-server.war"), deploy.resolve("payara-micro.jar"), deploy.resolve("letterlock-cli.jar"));
    }

    /**
     * Builds the server when an artefact is missing. Building uses only the deploy module and what it depends on: a full
     * build would also rewrite the bench jar this JVM is running from.
     */
    static void ensureArtefacts(Path root, Options options) {
        List<Path> missing = artefacts(root).stream().filter(p -> !Files.isRegularFile(p)).toList();
        if (missing.isEmpty()) {
            return;
        }
        options.progress().println("  building the server (missing " + missing + "): mvn -B -q -pl deploy -am package -DskipTests");
        Shell.run(List.of("mvn", "-B", "-q", "-f", root.resolve("pom.xml").toString(), "-pl", "deploy", "-am", "package", "-DskipTests"));
    }

    /**
     * The environment of the launcher: ours without any LETTERLOCK_* or SOFTHSM2_CONF, so a database URL or JVM options
     * exported in the calling shell do not leak into the server; then the data folder, port and no build.
     */
    static Map<String, String> launcherEnvironment(Path dir, int port) {
        Map<String, String> environment = cleanEnvironment();
        environment.put("LETTERLOCK_DATA_DIR", dir.toString());
        environment.put("LETTERLOCK_HTTP_PORT", Integer.toString(port));
        environment.put("LETTERLOCK_NO_BUILD", "1");
        return environment;
    }

    static Map<String, String> cleanEnvironment() {
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.keySet().removeIf(name -> name.startsWith("LETTERLOCK_") || name.equals("SOFTHSM2_CONF"));
        return environment;
    }

    /** The first administrator's credential file: {@code username=...} and {@code password=...} lines. */
    static Credential credential(String text) {
        String username = null;
        String password = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("username=")) {
                username = line.substring("username=".length()).strip();
            } else if (line.startsWith("password=")) {
                password = line.substring("password=".length()).strip();
            }
        }
        if (username == null || password == null) {
            throw new IllegalStateException("the admin credential file has no username=/password= lines");
        }
        return new Credential(username, password);
    }

    /** The status of a GET on 127.0.0.1, or -1 when nothing answered. */
    static int status(int port, String path, String authorization) {
        try {
            return get(port, path, authorization).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static HttpResponse<String> get(int port, String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The last lines of a log, for failure messages. */
    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(" + file + " does not exist)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
