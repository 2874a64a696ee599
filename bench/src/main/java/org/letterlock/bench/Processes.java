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
    /** The workers of parents that fork them (openssl ocsp -multi, nginx), as last seen. */
    private final Map<ProcessHandle, Set<ProcessHandle>> children = new java.util.HashMap<>();
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

    /**
     * Runs a command to completion, remembered while it runs, and returns its output (stdout and stderr together); fails
     * with the output when it exits with other than 0 or runs longer than {@code limit}.
     */
    public String run(List<String> command, Duration limit) throws IOException, InterruptedException {
        return run(command, null, limit);
    }

    /** {@link #run(List, Duration)} with exactly this environment (null: this process's). */
    public String run(List<String> command, Map<String, String> environment, Duration limit) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        Process process = builder.start();
        remember(process.toHandle());
        try {
            java.util.concurrent.CompletableFuture<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return process.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + limit.toSeconds() + " s");
            }
            String text = new String(output.join(), java.nio.charset.StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + text.strip());
            }
            return text;
        } finally {
            stop(process.toHandle(), Duration.ofSeconds(5));
        }
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

    /**
     * Notes the children a remembered parent has now, so that stopping it stops them too: the parent first (so that it
     * does not start new ones), then each child by its pid. They are noted ahead because they are handed to init when
     * the parent goes.
     */
    public void watchChildren(ProcessHandle parent) {
        synchronized (started) {
            children.computeIfAbsent(parent, p -> new LinkedHashSet<>()).addAll(parent.children().toList());
        }
    }

    /** SIGTERM, then SIGKILL after {@link #GRACE}; then forgets it (with its watched children, if any). */
    public void stop(ProcessHandle process) throws InterruptedException {
        stop(process, GRACE);
    }

    public void stop(ProcessHandle process, Duration grace) throws InterruptedException {
        Set<ProcessHandle> workers;
        synchronized (started) {
            workers = children.remove(process);
        }
        if (workers != null) {
            workers.addAll(process.children().toList());
        }
        terminate(process, grace);
        if (workers != null) {
            for (ProcessHandle worker : workers) {
                terminate(worker, grace);
            }
        }
    }

    private void terminate(ProcessHandle process, Duration grace) throws InterruptedException {
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

    /** Stops a parent that forked workers (openssl ocsp -multi, nginx), then each of its workers; see {@link #watchChildren}. */
    public void stopWithChildren(ProcessHandle parent, Duration grace) throws InterruptedException {
        watchChildren(parent);
        stop(parent, grace);
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
