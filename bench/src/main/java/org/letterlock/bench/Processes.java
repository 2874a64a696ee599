package org.letterlock.bench;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The processes a benchmark started (servers, peers, load generators), remembered by pid so that each is stopped: by the
 * benchmark when it is done with it, and at the latest when the benchmark closes this, also when it fails or the JVM is
 * interrupted (a shutdown hook). Stopping is SIGTERM, then SIGKILL after a grace period; {@link ProcessHandle} checks
 * the start time too, so a reused pid is never hit.
 */
public final class Processes implements AutoCloseable {
    /** How long a process gets between SIGTERM and SIGKILL. */
    static final Duration GRACE = Duration.ofSeconds(20);

    private final Set<ProcessHandle> started = new LinkedHashSet<>();
    private final Thread hook;

    public Processes(String name) {
        hook = new Thread(this::stopAll, name + "-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts a command in {@code directory} with exactly {@code environment}, stdout and stderr appended to {@code output},
     * and remembers it.
     */
    public Process start(List<String> command, Path directory, Map<String, String> environment, Path output) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.directory(directory.toFile()).redirectErrorStream(true).redirectOutput(Redirect.appendTo(output.toFile())).start();
        remember(process.toHandle());
        return process;
    }

    /** Remembers a process somebody else started (e.g. the server the launcher forked) by its pid; empty when it is gone. */
    public java.util.Optional<ProcessHandle> track(long pid) {
        java.util.Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        handle.ifPresent(this::remember);
        return handle;
    }

    public void remember(ProcessHandle process) {
        synchronized (started) {
            started.add(process);
        }
    }

    /** SIGTERM, then SIGKILL after {@link #GRACE}; then forgets it. */
    public void stop(ProcessHandle process) throws InterruptedException {
        stop(process, GRACE);
    }

    public void stop(ProcessHandle process, Duration grace) throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                process.destroyForcibly();
            }
        }
        synchronized (started) {
            started.remove(process);
        }
    }

    /**
     * Stops a parent that forked workers (openssl ocsp -multi, nginx): the parent first, then each child it had, each by
     * its pid. The children are taken before the parent is signalled, since they are handed to init when it goes.
     */
    public void stopWithChildren(ProcessHandle parent, Duration grace) throws InterruptedException {
        List<ProcessHandle> children = parent.children().toList();
        children.forEach(this::remember);
        stop(parent, grace);
        for (ProcessHandle child : children) {
            stop(child, grace);
        }
    }

    /** Stops every process still remembered, newest first (children and load generators before what they talk to). */
    public void stopAll() {
        List<ProcessHandle> running;
        synchronized (started) {
            running = new ArrayList<>(started);
        }
        java.util.Collections.reverse(running);
        for (ProcessHandle process : running) {
            try {
                stop(process);
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook is running or has run.
        }
    }

    /** A TCP port on 127.0.0.1 that nothing listens on right now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
