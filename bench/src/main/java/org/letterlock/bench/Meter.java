package org.letterlock.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Counts how many operations per second a group of threads completes, each thread repeating its own operation
 * (its own signer, connection, ...) back to back. Wall time is taken with {@link System#nanoTime()}; each thread's
 * CPU time is taken too, which the load of other processes on a shared machine hardly moves.
 *
 * <p>Loads that are compared with each other are measured interleaved: the measuring time is cut into short slices
 * and the loads take turns, A B, B A, A B, ..., so that a build starting on the shared machine halfway through slows
 * both sides of a ratio alike instead of only the one that ran second.
 */
public final class Meter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One unit of work, run over and over by one thread. */
    @FunctionalInterface
    public interface Operation {
        void run() throws Exception;
    }

    /**
     * A load that runs itself for a given time and says what it did: for work that is not one operation repeated per
     * thread, such as a producer that keeps a bounded number of asynchronous records in flight.
     */
    @FunctionalInterface
    public interface Timed {
        Rate runFor(long nanos) throws Exception;
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

    /**
     * What a load did in some time.
     *
     * @param operations how many operations all threads completed
     * @param nanos      wall time
     * @param perSecond  operations per second: the sum of each thread's own rate
     * @param cpuNanos   CPU time of the threads (the calling threads only: work done by other threads is not in it);
     *                   negative when the JVM cannot measure it
     */
    public record Rate(long operations, long nanos, double perSecond, long cpuNanos) {

        /** CPU time per operation in microseconds, or NaN when unknown. */
        public double cpuMicrosPerOperation() {
            return cpuNanos < 0 || operations == 0 ? Double.NaN : cpuNanos / 1e3 / operations;
        }

        Rate plus(Rate other) {
            long total = nanos + other.nanos;
            double rate = total == 0 ? 0 : (perSecond * nanos + other.perSecond * other.nanos) / total;
            long cpu = cpuNanos < 0 || other.cpuNanos < 0 ? -1 : cpuNanos + other.cpuNanos;
            return new Rate(operations + other.operations, total, rate, cpu);
        }
    }

    /** A load's measurement: the total, and each slice it was measured in (side by side with the other loads' same slices). */
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
        List<Timed> timed = new ArrayList<>();
        for (Load load : loads) {
            timed.add(nanos -> runFor(load, nanos));
        }
        return interleavedTimed(timed, warmUp, measure, slice);
    }

    /** {@link #interleaved} for loads that time themselves. */
    public static List<Measurement> interleavedTimed(List<Timed> loads, Duration warmUp, Duration measure, Duration slice) throws Exception {
        for (Timed load : loads) {
            if (!warmUp.isZero()) {
                load.runFor(warmUp.toNanos());
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
                measured.get(index).add(loads.get(index).runFor(sliceNanos));
            }
        }
        List<Measurement> results = new ArrayList<>();
        for (List<Rate> rates : measured) {
            Rate total = rates.get(0);
            for (Rate rate : rates.subList(1, rates.size())) {
                total = total.plus(rate);
            }
            results.add(new Measurement(total, rates));
        }
        return results;
    }

    /** Warms one load up and measures it. */
    public static Measurement measure(Load load, Duration warmUp, Duration measure) throws Exception {
        return interleaved(List.of(load), warmUp, measure, measure).get(0);
    }

    /**
     * Starts every thread of the load together and lets each run until the deadline. Each thread's rate is its
     * operations over the time from the common start to the end of its last operation, so the operation that straddles
     * the deadline counts with its full time; the load's rate is the sum of its threads' rates.
     */
    static Rate runFor(Load load, long nanos) throws Exception {
        int threads = load.perThread().size();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        long[] counts = new long[threads];
        long[] ends = new long[threads];
        long[] cpu = new long[threads];
        Exception[] failures = new Exception[threads];
        boolean cpuTime = THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Operation operation = load.perThread().get(t);
            Thread worker = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    long deadline = window[1];
                    long cpuStart = cpuTime ? THREADS.getCurrentThreadCpuTime() : 0;
                    long count = 0;
                    long now;
                    do {
                        operation.run();
                        count++;
                        now = System.nanoTime();
                    } while (now < deadline);
                    cpu[index] = cpuTime ? THREADS.getCurrentThreadCpuTime() - cpuStart : -1;
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
        double perSecond = 0;
        long cpuNanos = 0;
        for (int t = 0; t < threads; t++) {
            if (failures[t] != null) {
                throw new IllegalStateException(load.label() + " failed in thread " + t + ": " + failures[t].getMessage(), failures[t]);
            }
            operations += counts[t];
            last = Math.max(last, ends[t]);
            perSecond += counts[t] * 1e9 / (ends[t] - window[0]);
            cpuNanos = cpu[t] < 0 || cpuNanos < 0 ? -1 : cpuNanos + cpu[t];
        }
        return new Rate(operations, last - window[0], perSecond, cpuNanos);
    }
}
