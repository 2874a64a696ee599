package org.letterlock.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Counts how many operations per second a group of threads completes, each thread repeating its own operation
 * (its own signer, connection, ...) back to back. Time is taken with {@link System#nanoTime()}.
 *
 * <p>Loads that are compared with each other are measured interleaved: the measuring time is cut into slices and the
 * loads take turns, in the order A B, B A, A B, ..., so that a build starting on the shared machine halfway through
 * slows both sides of a ratio alike instead of only the one that ran second.
 */
public final class Meter {

    /** One unit of work, run over and over by one thread. */
    @FunctionalInterface
    public interface Operation {
        void run() throws Exception;
    }

    /** A named load: one operation per thread. */
    public record Load(String label, List<Operation> perThread) {
        public Load {
            perThread = List.copyOf(perThread);
            if (perThread.isEmpty()) {
                throw new IllegalArgumentException("load " + label + " has no threads");
            }
        }
    }

    /** What a load did in some time: how many operations in how many nanoseconds. */
    public record Rate(long operations, long nanos) {
        public double perSecond() {
            return operations * 1e9 / nanos;
        }

        Rate plus(Rate other) {
            return new Rate(operations + other.operations, nanos + other.nanos);
        }
    }

    /** A load's measurement: the total, and each slice it was measured in (in turn with the other loads' same slices). */
    public record Measurement(Rate total, List<Rate> slices) {
        public Measurement {
            slices = List.copyOf(slices);
        }

        public double perSecond() {
            return total.perSecond();
        }
    }

    private Meter() {
    }

    /**
     * Warms each load up, then measures each for {@code measure} in total, in alternating slices of about {@code slice}.
     * With more than one load the number of slices is even, so each load goes first as often as it goes last.
     */
    public static List<Measurement> interleaved(List<Load> loads, Duration warmUp, Duration measure, Duration slice) throws Exception {
        for (Load load : loads) {
            if (!warmUp.isZero()) {
                runFor(load, warmUp.toNanos());
            }
        }
        int slices = 1;
        if (loads.size() > 1) {
            slices = (int) Math.max(2, 2 * Math.round(measure.toNanos() / (2.0 * slice.toNanos())));
        }
        long sliceNanos = measure.toNanos() / slices;
        List<List<Rate>> measured = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) {
            measured.add(new ArrayList<>());
        }
        for (int s = 0; s < slices; s++) {
            for (int k = 0; k < loads.size(); k++) {
                int index = s % 2 == 0 ? k : loads.size() - 1 - k;
                measured.get(index).add(runFor(loads.get(index), sliceNanos));
            }
        }
        List<Measurement> results = new ArrayList<>();
        for (List<Rate> rates : measured) {
            results.add(new Measurement(rates.stream().reduce(new Rate(0, 0), Rate::plus), rates));
        }
        return results;
    }

    /** Warms one load up and measures it. */
    public static Measurement measure(Load load, Duration warmUp, Duration measure) throws Exception {
        return interleaved(List.of(load), warmUp, measure, measure).get(0);
    }

    /**
     * Starts every thread of the load together and lets each run until the deadline. The elapsed time runs from the
     * common start to the moment the last thread finished its last operation, so an operation that straddles the
     * deadline is counted with its full time.
     */
    static Rate runFor(Load load, long nanos) throws Exception {
        int threads = load.perThread().size();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        long[] counts = new long[threads];
        long[] ends = new long[threads];
        Exception[] failures = new Exception[threads];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Operation operation = load.perThread().get(t);
            Thread worker = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    long deadline = window[1];
                    long count = 0;
                    long now;
                    do {
                        operation.run();
                        count++;
                        now = System.nanoTime();
                    } while (now < deadline);
                    counts[index] = count;
                    ends[index] = now;
                } catch (Exception e) {
                    failures[index] = e;
                }
            }, load.label() + "-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        ready.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + nanos;
        go.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        long operations = 0;
        long last = window[0];
        for (int t = 0; t < threads; t++) {
            if (failures[t] != null) {
                throw new IllegalStateException(load.label() + " failed in thread " + t + ": " + failures[t].getMessage(), failures[t]);
            }
            operations += counts[t];
            last = Math.max(last, ends[t]);
        }
        return new Rate(operations, last - window[0]);
    }
}
