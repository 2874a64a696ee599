package org.letterlock.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The heap of another JVM on this machine (the server), read over JMX: the bench attaches to the process by its pid
 * (the Attach API, as {@code jcmd} does), starts its local management agent and reads the platform MemoryMXBean.
 * {@link #live()} forces a full collection first ({@code MemoryMXBean.gc()}, which is {@code System.gc()} in the
 * server, as {@code jcmd <pid> GC.run}), so what it returns is the heap still reachable: what the server holds, not the
 * garbage it has not collected yet.
 */
final class HeapProbe implements AutoCloseable {

    /**
     * One reading.
     *
     * @param nanos     when ({@link System#nanoTime()})
     * @param before    heap used before the forced collection (live objects plus garbage), bytes
     * @param live      heap used right after it, bytes
     * @param committed heap committed after it, bytes
     */
    record Sample(long nanos, long before, long live, long committed) {
    }

    private final JMXConnector connector;
    private final MemoryMXBean memory;

    private HeapProbe(JMXConnector connector, MemoryMXBean memory) {
        this.connector = connector;
        this.memory = memory;
    }

    static HeapProbe attach(long pid) throws IOException {
        String address;
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
        } catch (com.sun.tools.attach.AttachNotSupportedException e) {
            throw new IllegalStateException("cannot attach to the server's JVM (pid " + pid + "): " + e.getMessage(), e);
        }
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MBeanServerConnection connection = connector.getMBeanServerConnection();
        MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(connection, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        return new HeapProbe(connector, memory);
    }

    /** Heap used now, without collecting. */
    long used() {
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** A full collection, then the heap's use: see {@link Sample}. */
    Sample live() {
        long before = memory.getHeapMemoryUsage().getUsed();
        memory.gc();
        MemoryUsage after = memory.getHeapMemoryUsage();
        return new Sample(System.nanoTime(), before, after.getUsed(), after.getCommitted());
    }

    /** Samples taken over and over by a thread of their own until {@link Sampler#stop()}, {@code pauseMillis} apart. */
    final class Sampler {
        private final List<Sample> samples = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stopped;
        private volatile Exception failure;

        Sampler(long pauseMillis) {
            thread = new Thread(() -> {
                try {
                    while (!stopped) {
                        Sample sample = live();
                        synchronized (samples) {
                            samples.add(sample);
                        }
                        Thread.sleep(pauseMillis);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    failure = e;
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        List<Sample> stop() throws InterruptedException {
            stopped = true;
            thread.join(60_000);
            if (failure != null) {
                throw new IllegalStateException("reading the server's heap failed: " + failure.getMessage(), failure);
            }
            synchronized (samples) {
                return List.copyOf(samples);
            }
        }
    }

    Sampler sample(long pauseMillis) {
        return new Sampler(pauseMillis);
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // the server may be gone already
        }
    }
}
