package org.letterlock.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * What a crash loses: {@value #MESSAGES} messages of 50 KB with unique Message-IDs sent into the gateway by the bench's
 * own SMTP client ({@value #SESSIONS} connections), the server killed with SIGKILL once, when half of them have had
 * their 250, restarted on the same data folder while the client keeps retrying what was not acknowledged, and the queue
 * left to drain into the bench's own sink. Then: messages acknowledged with 250 (the client's log), messages that
 * arrived (by Message-ID), lost = acknowledged but never arrived (target 0), duplicates (arrivals beyond the first of
 * each id). The same is done to a private Postfix in the same run (master and every child killed at once, restarted on
 * the same queue), as the reference for duplicates and for what a relay that syncs its queue keeps.
 */
public final class MailCrash implements Benchmark {
    static final int MESSAGES = 10_000;
    static final int SESSIONS = 20;
    static final int BYTES = 51_200;
    static final double KILL_AT = 0.5;
    /** How long the client keeps trying to have every message acknowledged. */
    static final Duration CLIENT_LIMIT = Duration.ofMinutes(20);
    /** The drain is over when nothing has arrived for this long (or everything acknowledged has). */
    static final Duration DRAIN_STALL = Duration.ofMinutes(3);
    static final Duration DRAIN_LIMIT = Duration.ofMinutes(20);
    /** Messages of each run kept whole by the sink, for the S/MIME check. */
    static final int KEPT = 3;
    static final String GATEWAY = "Letterlock gateway";
    static final String POSTFIX = "Postfix (reference)";

    @Override
    public String name() {
        return "mail-crash";
    }

    @Override
    public String summary() {
        return String.format(Locale.ROOT, "Messages lost to a crash: %,d messages of 50 KB into the gateway (%d connections, unique Message-IDs), "
                + "kill -9 of the server when half are acknowledged, restart on the same data folder, queue drained into the bench's sink; "
                + "acknowledged (250s in the client's log) vs arrived (by Message-ID): lost (target 0) and duplicates; the same done to a private "
                + "Postfix as the reference.", MESSAGES, SESSIONS);
    }

    @Override
    public String timing(Options options) {
        return String.format(Locale.ROOT, "%,d messages per relay, one kill when %.0f%% are acknowledged; --seconds and --warmup are not used", MESSAGES,
                KILL_AT * 100);
    }

    /** A relay under test: where it listens, how to kill it and how to bring it back on the same state. */
    interface Target {
        String label();

        int port();

        /** Kills it at once (SIGKILL); returns what was killed, for the notes. */
        String kill() throws Exception;

        /** Starts it again on the same data and returns once it accepts mail. */
        void restart() throws Exception;
    }

    /**
     * The counts of one run.
     *
     * @param acked          distinct messages the client saw a 250 for
     * @param arrivals       messages the sink took (every copy)
     * @param arrived        distinct messages among them
     * @param lost           acknowledged but never arrived
     * @param duplicates     arrivals beyond the first of each message
     * @param arrivedUnacked arrived but never acknowledged (the 250 was lost with the connection and no retry had one)
     * @param encrypted      arrivals that are S/MIME enveloped data
     * @param renamed        arrivals whose outer Message-ID is not the envelope sender the client gave (both are the same when sent)
     * @param lostSample     a few of the lost ids
     */
    record Tally(long acked, long arrivals, long arrived, long lost, long duplicates, long arrivedUnacked, long encrypted, long renamed,
                 List<String> lostSample) {

        static Tally of(Set<String> ackedIds, List<SmtpSink.Arrival> arrivals) {
            Map<String, Integer> counts = new HashMap<>();
            long encrypted = 0;
            long renamed = 0;
            for (SmtpSink.Arrival arrival : arrivals) {
                counts.merge(arrival.id(), 1, Integer::sum);
                if (arrival.encrypted()) {
                    encrypted++;
                }
                if (arrival.messageId() == null || !arrival.messageId().equals(arrival.envelopeFrom())) {
                    renamed++;
                }
            }
            Set<String> lost = new TreeSet<>();
            for (String id : ackedIds) {
                if (!counts.containsKey(id)) {
                    lost.add(id);
                }
            }
            long unacked = counts.keySet().stream().filter(id -> !ackedIds.contains(id)).count();
            return new Tally(ackedIds.size(), arrivals.size(), counts.size(), lost.size(), arrivals.size() - counts.size(), unacked, encrypted, renamed,
                    lost.stream().limit(5).toList());
        }
    }

    /** One relay's run: the client's result, the counts, and what happened around the kill. */
    record Run(String relay, SmtpLoad.Result client, Tally tally, long ackedAtKill, long arrivedAtKill, String killed, double restartSeconds,
               double drainSeconds, boolean drained, List<MailGateway.Check> checks) {
    }

    @Override
    public Results run(Options options) throws Exception {
        PostfixPeers.require(name());
        Path base = options.dataDir().resolve("mail-crash");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        Map<String, String> facts = new LinkedHashMap<>();
        List<Run> runs = new ArrayList<>();
        try (Processes processes = new Processes(name())) {
            int sinkPort = Processes.freePort();
            int gatewayPort = Processes.freePort();
            int postfixPort = Processes.freePort();
            try (SmtpSink sink = SmtpSink.start(sinkPort, new SmtpSink.Settings(base.resolve("kept"), MailCrash::keep, 0))) {
                Map<String, String> config = MailGateway.config(gatewayPort, sinkPort);
                facts.put("gateway settings", "`" + MailGateway.configText(config) + "`");
                Path dir = base.resolve("letterlock");
                options.progress().println("starting Letterlock with the gateway on 127.0.0.1:" + gatewayPort + " relaying to the bench's sink on 127.0.0.1:"
                        + sinkPort + " ...");
                LetterlockServer[] server = {MailGateway.start(options, dir, config, processes)};
                MailGateway.Recipient recipient = MailGateway.enrol(server[0], PostfixPeers.RECIPIENT);
                facts.put("recipient", PostfixPeers.RECIPIENT + ": verified mailbox, EC P-256 " + MailGateway.ENCRYPTION_PROFILE + " certificate, serial "
                        + recipient.serialHex());
                Target gateway = new Target() {
                    public String label() {
                        return GATEWAY;
                    }

                    public int port() {
                        return gatewayPort;
                    }

                    public String kill() {
                        ProcessHandle process = server[0].process();
                        process.destroyForcibly();
                        return "the server's java process (pid " + process.pid() + ")";
                    }

                    public void restart() throws Exception {
                        server[0] = MailGateway.start(options, dir, config, processes);
                    }
                };
                runs.add(crash("gw", gateway, sink, recipient, base, options));
                server[0].stop();

                options.progress().println("starting Postfix (postfix -c " + base.resolve("postfix/etc") + ") on 127.0.0.1:" + postfixPort + " ...");
                PostfixPeers.Relay relay = PostfixPeers.Relay.create(base.resolve("postfix"), postfixPort, sinkPort, processes);
                relay.start();
                facts.put("postfix", PostfixPeers.version());
                Target postfix = new Target() {
                    public String label() {
                        return POSTFIX;
                    }

                    public int port() {
                        return postfixPort;
                    }

                    public String kill() {
                        return relay.kill() + " processes (master and all under it)";
                    }

                    public void restart() throws Exception {
                        relay.start();
                    }
                };
                runs.add(crash("pf", postfix, sink, recipient, base, options));
                relay.stop();
            }
        }
        return results(runs, facts);
    }

    /** The sink keeps the first few messages of each run whole. */
    static boolean keep(String id) {
        Map.Entry<String, Long> parsed = Smtp.parseMessageId(id);
        return parsed != null && parsed.getValue() < KEPT;
    }

    private static Run crash(String run, Target target, SmtpSink sink, MailGateway.Recipient recipient, Path base, Options options) throws Exception {
        options.progress().printf(Locale.ROOT, "%s: %,d messages over %d connections; kill -9 when %,d are acknowledged ...%n", target.label(), MESSAGES,
                SESSIONS, (long) (MESSAGES * KILL_AT));
        SmtpLoad load = new SmtpLoad("127.0.0.1", target.port(), new SmtpLoad.Settings(run, MESSAGES, SESSIONS, BYTES, PostfixPeers.RECIPIENT, 0,
                CLIENT_LIMIT, base.resolve(run + "-client.log")));
        CompletableFuture<SmtpLoad.Result> client = CompletableFuture.supplyAsync(() -> {
            try {
                return load.run();
            } catch (Exception e) {
                throw new IllegalStateException("the load client failed: " + e.getMessage(), e);
            }
        });
        long killAt = (long) (MESSAGES * KILL_AT);
        while (load.acked() < killAt && !client.isDone()) {
            Thread.sleep(2);
        }
        if (client.isDone()) {
            SmtpLoad.Result early = client.join();
            throw new IllegalStateException(String.format(Locale.ROOT, "%s: the client finished with %,d of %,d acknowledged before the kill: %s",
                    target.label(), early.acked(), MESSAGES, early.firstProblem()));
        }
        String killed = target.kill();
        long ackedAtKill = load.acked();
        long arrivedAtKill = ofRun(sink.arrivals(), run).size();
        options.progress().printf(Locale.ROOT, "  killed %s with %,d acknowledged and %,d arrived; restarting ...%n", killed, ackedAtKill, arrivedAtKill);
        long restartBegan = System.nanoTime();
        target.restart();
        long restarted = System.nanoTime();
        options.progress().printf(Locale.ROOT, "  back after %.1f s; the client goes on%n", (restarted - restartBegan) / 1e9);
        SmtpLoad.Result result = client.join();
        options.progress().printf(Locale.ROOT, "  client done: %,d acknowledged, %,d rejected, %,d unsettled; waiting for the queue to drain ...%n",
                result.acked(), result.rejected(), result.unsettled());
        Set<String> acked = result.ackedIds();
        boolean drained = sink.await(arrivals -> arrivedIds(ofRun(arrivals, run)).containsAll(acked), DRAIN_STALL, DRAIN_LIMIT);
        // Duplicates may come after the last new message: a little longer for them.
        Thread.sleep(2_000);
        List<SmtpSink.Arrival> arrivals = ofRun(sink.arrivals(), run);
        long lastArrival = arrivals.stream().mapToLong(SmtpSink.Arrival::nanos).max().orElse(restarted);
        Tally tally = Tally.of(acked, arrivals);
        List<MailGateway.Check> checks = new ArrayList<>();
        byte[] body = Smtp.body(BYTES);
        for (SmtpSink.Arrival arrival : arrivals) {
            if (arrival.saved() != null && checks.size() < KEPT) {
                checks.add(MailGateway.check(arrival.saved(), recipient.key().getPrivate(), body));
            }
        }
        options.progress().printf(Locale.ROOT, "  %s: %,d acknowledged, %,d arrived (%,d distinct): %,d lost, %,d duplicates%n", target.label(), tally.acked(),
                tally.arrivals(), tally.arrived(), tally.lost(), tally.duplicates());
        return new Run(target.label(), result, tally, ackedAtKill, arrivedAtKill, killed, (restarted - restartBegan) / 1e9, Math.max(0, lastArrival - restarted) / 1e9,
                drained, checks);
    }

    static List<SmtpSink.Arrival> ofRun(List<SmtpSink.Arrival> arrivals, String run) {
        List<SmtpSink.Arrival> ours = new ArrayList<>();
        for (SmtpSink.Arrival arrival : arrivals) {
            Map.Entry<String, Long> id = Smtp.parseMessageId(arrival.id());
            if (id != null && id.getKey().equals(run)) {
                ours.add(arrival);
            }
        }
        return ours;
    }

    static Set<String> arrivedIds(List<SmtpSink.Arrival> arrivals) {
        Set<String> ids = new HashSet<>();
        for (SmtpSink.Arrival arrival : arrivals) {
            ids.add(arrival.id());
        }
        return ids;
    }

    static Results results(List<Run> runs, Map<String, String> facts) {
        List<List<String>> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Run run : runs) {
            Tally t = run.tally();
            String verdict = t.lost() == 0 ? "no loss" + (run.drained() ? "" : " (drain stalled)") : "LOST " + String.format(Locale.ROOT, "%,d", t.lost());
            if (run.relay().equals(GATEWAY)) {
                verdict += " (target 0: " + (t.lost() == 0 && run.drained() ? "met" : "NOT met") + ")";
            }
            rows.add(List.of(run.relay(), String.format(Locale.ROOT, "%,d", run.client().messages()), String.format(Locale.ROOT, "%,d", t.acked()),
                    String.format(Locale.ROOT, "%,d", t.arrived()), String.format(Locale.ROOT, "%,d", t.lost()), String.format(Locale.ROOT, "%,d", t.duplicates()),
                    String.format(Locale.ROOT, "%,d", t.arrivedUnacked()), String.format(Locale.ROOT, "%,d", run.client().cut()),
                    String.format(Locale.ROOT, "%.1f s", run.restartSeconds()), String.format(Locale.ROOT, "%.1f s", run.drainSeconds()), verdict));
            notes.add(String.format(Locale.ROOT, "%s: killed %s when the client had %,d 250s and the sink %,d messages; the client: %,d transactions, %,d "
                            + "connections refused or broken (each try during the restart counts), %,d 4xx, %,d 5xx, %,d never answered within %d min%s; %,d of %,d arrivals S/MIME encrypted%s%s", run.relay(),
                    run.killed(), run.ackedAtKill(), run.arrivedAtKill(), run.client().attempts(), run.client().broken(), run.client().transients(),
                    run.client().rejected(), run.client().unsettled(), CLIENT_LIMIT.toMinutes(), run.client().firstProblem().isEmpty() ? ""
                            : " (first problem: " + run.client().firstProblem() + ")", t.encrypted(), t.arrivals(),
                    t.renamed() == 0 ? "" : String.format(Locale.ROOT, "; %,d arrived with an outer Message-ID other than the envelope sender", t.renamed()),
                    t.lostSample().isEmpty() ? "" : "; lost e.g. " + String.join(", ", t.lostSample())));
            if (!run.checks().isEmpty()) {
                notes.add(run.relay() + ": the first " + run.checks().size() + " arrivals kept and checked: " + run.checks().stream().map(MailGateway.Check::text)
                        .distinct().reduce((a, b) -> a + "; " + b).orElse(""));
            }
        }
        facts.forEach((key, value) -> notes.add(key + ": " + value));
        notes.add("Acknowledged: a 250 after the final dot, as the client saw it (its log: bench/target/bench-data/mail-crash/<gw|pf>-client.log). The client "
                + "sends a message again when its transaction failed with a 4xx or a broken connection, as an MTA would; a transaction cut after the final dot "
                + "(column 'cut') may have been kept by the relay, so sending it again may make a duplicate. Arrived: counted by Message-ID at the bench's sink.");
        notes.add("Restart: from the kill to the relay greeting again (Letterlock: ./letterlock start and /health/ready, then the gateway's 220); drain: from "
                + "then to the last arrival.");
        return new Results(List.of("relay", "sent", "250s", "arrived", "lost", "duplicates", "arrived without 250", "cut", "restart", "drain", "verdict"), rows,
                notes);
    }
}
