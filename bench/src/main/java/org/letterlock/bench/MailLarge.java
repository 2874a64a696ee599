package org.letterlock.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server's heap while one {@value #BODY_MIB} MiB message goes through the gateway (in, spooled, S/MIME-encrypted to
 * the recipient's EC P-256 certificate, out to the bench's sink). The heap is read over JMX (the bench attaches to the
 * server's pid as jcmd does): a full collection is forced every {@value #PAUSE_MILLIS} ms or so and the heap used right
 * after it is the live heap at that moment. Growth is the highest live heap during the message minus the highest of the
 * idle readings before it; target: under 2x the message size. The client sends and the sink reads at
 * {@value #RATE_MIB} MiB/s so that each phase lasts seconds and is sampled several times. What arrives is decrypted with
 * the recipient's key and must hold the body sent.
 */
public final class MailLarge implements Benchmark {
    static final int BODY_MIB = 25;
    static final long BODY = BODY_MIB * 1024L * 1024L;
    static final int RATE_MIB = 4;
    static final long RATE = RATE_MIB * 1024L * 1024L;
    static final long PAUSE_MILLIS = 200;
    static final int IDLE_SAMPLES = 8;
    static final double TARGET = 2.0;
    static final double MIB = 1024.0 * 1024.0;

    @Override
    public String name() {
        return "mail-large";
    }

    @Override
    public String summary() {
        return "Heap growth of the server while one " + BODY_MIB + " MiB message goes through the gateway (S/MIME-encrypted to the recipient's EC P-256 "
                + "certificate): live heap (after a forced full GC, read over JMX every ~" + PAUSE_MILLIS + " ms) at its highest during the message, minus "
                + "the idle heap before it, against the message size; what arrives is decrypted and compared. Target: growth < 2x the message.";
    }

    @Override
    public String timing(Options options) {
        return "one " + BODY_MIB + " MiB message sent and read at " + RATE_MIB + " MiB/s, after " + IDLE_SAMPLES + " idle heap readings; --seconds and "
                + "--warmup are not used";
    }

    /** The heap readings around the message, and the moments that divide its phases. */
    record Measured(List<HeapProbe.Sample> idle, List<HeapProbe.Sample> during, HeapProbe.Sample after, long sent, long acknowledged, long deliveryStarted,
                    long arrived, long wireBytes) {

        long baseline() {
            return idle.stream().mapToLong(HeapProbe.Sample::live).max().orElse(0);
        }

        long idleSpread() {
            return baseline() - idle.stream().mapToLong(HeapProbe.Sample::live).min().orElse(0);
        }

        HeapProbe.Sample peak() {
            return during.stream().max(java.util.Comparator.comparingLong(HeapProbe.Sample::live)).orElse(after);
        }

        long growth() {
            return Math.max(0, peak().live() - baseline());
        }

        double ratio() {
            return growth() / (double) BODY;
        }

        long highestUsedBeforeCollection() {
            return during.stream().mapToLong(HeapProbe.Sample::before).max().orElse(0);
        }

        long highestCommitted() {
            return during.stream().mapToLong(HeapProbe.Sample::committed).max().orElse(0);
        }

        /** Which phase a moment falls in. */
        String phase(long nanos) {
            if (nanos < acknowledged) {
                return "while the gateway was receiving it";
            }
            if (nanos < deliveryStarted) {
                return "after its 250, before delivery began";
            }
            if (nanos <= arrived) {
                return "while it was delivered to the sink";
            }
            return "after it arrived";
        }

        /** Readings taken in each phase. */
        Map<String, Integer> samplesPerPhase() {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (HeapProbe.Sample sample : during) {
                counts.merge(phase(sample.nanos()), 1, Integer::sum);
            }
            return counts;
        }
    }

    @Override
    public Results run(Options options) throws Exception {
        Path base = options.dataDir().resolve("mail-large");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        Map<String, String> facts = new LinkedHashMap<>();
        Measured measured;
        MailGateway.Check check;
        try (Processes processes = new Processes(name())) {
            int sinkPort = Processes.freePort();
            int gatewayPort = Processes.freePort();
            try (SmtpSink sink = SmtpSink.start(sinkPort, new SmtpSink.Settings(base.resolve("kept"), id -> id != null && id.startsWith("bench-large-"), RATE))) {
                Map<String, String> config = MailGateway.config(gatewayPort, sinkPort);
                facts.put("gateway settings", "`" + MailGateway.configText(config) + "`");
                options.progress().println("starting Letterlock with the gateway on 127.0.0.1:" + gatewayPort + " relaying to the bench's sink on 127.0.0.1:"
                        + sinkPort + " ...");
                LetterlockServer server = MailGateway.start(options, base.resolve("letterlock"), config, processes);
                MailGateway.Recipient recipient = MailGateway.enrol(server, PostfixPeers.RECIPIENT);
                facts.put("recipient", PostfixPeers.RECIPIENT + ": verified mailbox, EC P-256 " + MailGateway.ENCRYPTION_PROFILE + " certificate, serial "
                        + recipient.serialHex());
                facts.put("server JVM", "pid " + server.process().pid() + ", " + server.process().info().arguments().map(a -> String.join(" ", a))
                        .map(MailLarge::heapFlags).orElse("arguments unknown"));
                // A few small messages first, so that the path's classes and pools exist before the idle readings.
                SmtpLoad warm = new SmtpLoad("127.0.0.1", gatewayPort, new SmtpLoad.Settings("warm", 3, 1, 51_200, PostfixPeers.RECIPIENT, 0,
                        Duration.ofMinutes(2), base.resolve("warm-client.log")));
                SmtpLoad.Result warmed = warm.run();
                if (warmed.acked() != 3 || !sink.await(arrivals -> MailCrash.ofRun(arrivals, "warm").size() >= 3, Duration.ofMinutes(2), Duration.ofMinutes(5))) {
                    throw new IllegalStateException("the warm-up messages did not go through: " + warmed.acked() + " of 3 acknowledged, "
                            + MailCrash.ofRun(sink.arrivals(), "warm").size() + " arrived; " + warmed.firstProblem());
                }
                try (HeapProbe heap = HeapProbe.attach(server.process().pid())) {
                    options.progress().println("  idle heap readings ...");
                    List<HeapProbe.Sample> idle = new ArrayList<>();
                    for (int i = 0; i < IDLE_SAMPLES; i++) {
                        idle.add(heap.live());
                        Thread.sleep(250);
                    }
                    options.progress().printf(Locale.ROOT, "  idle live heap %.1f-%.1f MiB; sending %d MiB at %d MiB/s ...%n",
                            idle.stream().mapToLong(HeapProbe.Sample::live).min().orElse(0) / MIB, idle.stream().mapToLong(HeapProbe.Sample::live).max().orElse(0) / MIB,
                            BODY_MIB, RATE_MIB);
                    HeapProbe.Sampler sampler = heap.sample(PAUSE_MILLIS);
                    long sent = System.nanoTime();
                    SmtpLoad large = new SmtpLoad("127.0.0.1", gatewayPort, new SmtpLoad.Settings("large", 1, 1, BODY, PostfixPeers.RECIPIENT, RATE,
                            Duration.ofMinutes(5), base.resolve("large-client.log")));
                    SmtpLoad.Result result = large.run();
                    long acknowledged = System.nanoTime();
                    if (result.acked() != 1) {
                        sampler.stop();
                        throw new IllegalStateException("the gateway did not acknowledge the " + BODY_MIB + " MiB message: " + result.firstProblem());
                    }
                    boolean arrived = sink.await(arrivals -> !MailCrash.ofRun(arrivals, "large").isEmpty(), Duration.ofMinutes(3), Duration.ofMinutes(15));
                    // Two more readings after it arrived, for what the server keeps.
                    Thread.sleep(2 * PAUSE_MILLIS);
                    List<HeapProbe.Sample> during = sampler.stop();
                    if (!arrived) {
                        throw new IllegalStateException("the " + BODY_MIB + " MiB message was acknowledged but did not arrive within the limit; see "
                                + server.dataDir().resolve("logs/console.log"));
                    }
                    SmtpSink.Arrival arrival = MailCrash.ofRun(sink.arrivals(), "large").get(0);
                    heap.live();
                    HeapProbe.Sample after = heap.live();
                    measured = new Measured(idle, during, after, sent, acknowledged, arrival.started(), arrival.nanos(), arrival.bytes());
                    options.progress().printf(Locale.ROOT, "  250 after %.1f s, delivered from %.1f s to %.1f s; peak live heap %.1f MiB (%s), growth %.1f MiB = %.2fx "
                                    + "the message%n", (acknowledged - sent) / 1e9, (arrival.started() - sent) / 1e9, (arrival.nanos() - sent) / 1e9,
                            measured.peak().live() / MIB, measured.phase(measured.peak().nanos()), measured.growth() / MIB, measured.ratio());
                    options.progress().println("  decrypting what arrived ...");
                    check = MailGateway.check(arrival.saved(), recipient.key().getPrivate(), Smtp.body((int) BODY));
                    Files.deleteIfExists(arrival.saved());
                }
                server.stop();
            }
        }
        return results(measured, check, facts);
    }

    /** The heap and GC flags among the server's JVM arguments. */
    static String heapFlags(String arguments) {
        List<String> flags = new ArrayList<>();
        for (String argument : arguments.split(" ")) {
            if (argument.startsWith("-Xm") || argument.startsWith("-XX:+Use") || argument.startsWith("-XX:MaxRAM") || argument.startsWith("-XX:MaxDirectMemorySize")) {
                flags.add(argument);
            }
        }
        return flags.isEmpty() ? "JVM defaults for the heap" : String.join(" ", flags);
    }

    static Results results(Measured m, MailGateway.Check check, Map<String, String> facts) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("message body sent", BODY, String.format(Locale.ROOT, "plus a %d-byte header; %.1f MiB arrived at the sink", Smtp.header(Smtp.messageId("large",
                0), Smtp.messageId("large", 0), PostfixPeers.RECIPIENT, java.time.ZonedDateTime.now()).length, m.wireBytes() / MIB)));
        rows.add(row("idle live heap (highest of " + m.idle().size() + ")", m.baseline(), String.format(Locale.ROOT, "readings spread over %.1f MiB",
                m.idleSpread() / MIB)));
        HeapProbe.Sample peak = m.peak();
        rows.add(row("highest live heap during the message", peak.live(), String.format(Locale.ROOT, "%d readings; the highest %.1f s after the first byte, %s",
                m.during().size(), (peak.nanos() - m.sent()) / 1e9, m.phase(peak.nanos()))));
        rows.add(List.of("growth", mib(m.growth()), String.format(Locale.ROOT, "%.2fx the message (target < %.0fx): %s", m.ratio(), TARGET,
                m.ratio() < TARGET ? "met" : "NOT met")));
        rows.add(row("live heap after it arrived", m.after().live(), String.format(Locale.ROOT, "%+.1f MiB against the idle heap",
                (m.after().live() - m.baseline()) / MIB)));
        rows.add(row("heap used before each forced GC, highest", m.highestUsedBeforeCollection(), "live and garbage: what the server allocated between readings"));
        rows.add(row("heap committed, highest", m.highestCommitted(), ""));
        rows.add(List.of("what arrived", "-", check.text()));
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "Timeline from the first byte sent: 250 at %.1f s, delivery to the sink began at %.1f s and ended at %.1f s. Readings per "
                + "phase: %s.", (m.acknowledged() - m.sent()) / 1e9, (m.deliveryStarted() - m.sent()) / 1e9, (m.arrived() - m.sent()) / 1e9, m.samplesPerPhase()));
        notes.add("Method: the bench attaches to the server's pid (the Attach API, as jcmd does), starts its local JMX agent and reads the platform MemoryMXBean. "
                + "Each reading forces a full collection (MemoryMXBean.gc(), i.e. System.gc(), what `jcmd <pid> GC.run` does) and takes the heap used right "
                + "after it: the objects still reachable, so a message held whole in memory shows, and garbage does not. Readings follow each other about "
                + PAUSE_MILLIS + " ms apart (plus the collection's own time); the client sends and the sink reads at " + RATE_MIB + " MiB/s so each phase is "
                + "read several times. Growth = the highest reading during the message minus the highest idle reading. By hand: `jcmd <pid> GC.run; jcmd <pid> "
                + "GC.heap_info` before and while a large message goes through.");
        facts.forEach((key, value) -> notes.add(key + ": " + value));
        return new Results(List.of("figure", "MiB", "note"), rows, notes);
    }

    private static List<String> row(String figure, long bytes, String note) {
        return List.of(figure, mib(bytes), note);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }
}
