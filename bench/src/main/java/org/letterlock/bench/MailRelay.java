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
 * The gateway's relay rate against Postfix's, as ../shared/ANCHORS.md measures Postfix: 50 KB messages to one
 * recipient, {@code smtp-source -s 20} into the relay, the relay out to {@code smtp-sink} on loopback. Letterlock's
 * gateway S/MIME-encrypts each message to the recipient's EC P-256 certificate; Postfix relays in clear. Both relays run
 * at once and take turns, round by round (P G G P P G G P), each round sending the same number of messages. Per relay:
 * messages per second at the sink from the round's first message to its last (end to end), and accepted per second
 * (messages over smtp-source's run, which ends with the last 250). Target: the gateway's end-to-end rate at least
 * Postfix's. After the rounds the sink is swapped for the bench's own, a few messages go through each relay, and what
 * arrives is checked: the gateway's must be S/MIME enveloped data that the recipient's key opens, holding the body sent.
 */
public final class MailRelay implements Benchmark {
    static final int BYTES = 51_200;
    static final int SESSIONS = 20;
    static final int ROUNDS = 4;
    static final double TARGET = 1.0;
    /** A round fails when the sink has counted nothing new for this long. */
    static final Duration STALL = Duration.ofSeconds(60);
    static final int CHECK_MESSAGES = 3;
    static final String POSTFIX = "Postfix";
    static final String GATEWAY = "Letterlock gateway";

    @Override
    public String name() {
        return "mail-relay";
    }

    @Override
    public String summary() {
        return "Relayed messages/s, 50 KB to one recipient, smtp-source -s " + SESSIONS + " -> relay -> smtp-sink on loopback: Letterlock's gateway "
                + "(S/MIME to the recipient's EC P-256 certificate) vs a private Postfix relaying in clear, rounds interleaved; end to end at the sink "
                + "(first to last message) and accepted at the relay; what arrives is checked after the rounds. Target: gateway >= Postfix end to end.";
    }

    @Override
    public String timing(Options options) {
        return String.format(Locale.ROOT, "%d rounds of %,d messages per relay in the order P G G P P G G P, after a warm-up round of %,d each "
                + "(--seconds N sends 600 x N messages a round, at least 1,000; --warmup N sends 300 x N, at least 200, 0 for none)", ROUNDS,
                messagesPerRound(options), warmUpMessages(options));
    }

    static int messagesPerRound(Options options) {
        return (int) Math.max(1_000, Math.round(600 * options.measure().toNanos() / 1e9));
    }

    static int warmUpMessages(Options options) {
        return options.warmUp().isZero() ? 0 : (int) Math.max(200, Math.round(300 * options.warmUp().toNanos() / 1e9));
    }

    /** The order of the measured rounds: P G G P P G G P for two relays and four rounds each. */
    static List<String> order(List<String> relays, int rounds) {
        List<String> order = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < relays.size(); k++) {
                order.add(relays.get(r % 2 == 0 ? k : relays.size() - 1 - k));
            }
        }
        return order;
    }

    /**
     * One round through one relay.
     *
     * @param acceptSeconds    smtp-source's run: from its start to its exit after the last 250
     * @param firstToLast      from the sink counting the round's first message to counting its last
     * @param lastAfterAccept  from smtp-source's exit to the sink counting the last message (the relay's queue draining)
     * @param cpuSeconds       CPU time the relay's processes used from the round's start to its last message ({@link ProcessCpu})
     */
    record Round(String relay, int messages, double acceptSeconds, double firstToLast, double lastAfterAccept, double cpuSeconds) {
        double endToEnd() {
            return firstToLast <= 0 ? 0 : (messages - 1) / firstToLast;
        }

        double accepted() {
            return acceptSeconds <= 0 ? 0 : messages / acceptSeconds;
        }
    }

    /** A relay's rounds together: messages over the rounds' summed times. */
    record Total(String relay, List<Round> rounds) {
        int messages() {
            return rounds.stream().mapToInt(Round::messages).sum();
        }

        double endToEnd() {
            double seconds = rounds.stream().mapToDouble(Round::firstToLast).sum();
            return seconds == 0 ? 0 : (messages() - rounds.size()) / seconds;
        }

        double accepted() {
            double seconds = rounds.stream().mapToDouble(Round::acceptSeconds).sum();
            return seconds == 0 ? 0 : messages() / seconds;
        }

        double lastAfterAccept() {
            return rounds.stream().mapToDouble(Round::lastAfterAccept).average().orElse(0);
        }

        /** The relay's CPU milliseconds per message. */
        double cpuMillisPerMessage() {
            return messages() == 0 ? 0 : rounds.stream().mapToDouble(Round::cpuSeconds).sum() * 1000 / messages();
        }
    }

    @Override
    public Results run(Options options) throws Exception {
        PostfixPeers.require(name());
        Path base = options.dataDir().resolve("mail-relay");
        AuditAppend.deleteTree(base);
        Files.createDirectories(base);
        LetterlockServer.ensureArtefacts(options.root(), options);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("postfix", PostfixPeers.version());
        int perRound = messagesPerRound(options);
        int warmUp = warmUpMessages(options);
        List<Round> rounds = new ArrayList<>();
        Map<String, List<MailGateway.Check>> checks = new LinkedHashMap<>();
        try (Processes processes = new Processes(name())) {
            int sinkPort = Processes.freePort();
            int gatewayPort = Processes.freePort();
            int postfixPort = Processes.freePort();
            Map<String, String> config = MailGateway.config(gatewayPort, sinkPort);
            facts.put("gateway settings", "`" + MailGateway.configText(config) + "`");
            options.progress().println("starting Letterlock with the gateway on 127.0.0.1:" + gatewayPort + " relaying to 127.0.0.1:" + sinkPort + " ...");
            LetterlockServer server = MailGateway.start(options, base.resolve("letterlock"), config, processes);
            MailGateway.Recipient recipient = MailGateway.enrol(server, PostfixPeers.RECIPIENT);
            facts.put("recipient", PostfixPeers.RECIPIENT + ": verified mailbox, EC P-256 " + MailGateway.ENCRYPTION_PROFILE + " certificate, serial "
                    + recipient.serialHex());
            options.progress().println("starting Postfix (postfix -c " + base.resolve("postfix/etc") + ") on 127.0.0.1:" + postfixPort + " ...");
            PostfixPeers.Relay postfix = PostfixPeers.Relay.create(base.resolve("postfix"), postfixPort, sinkPort, processes);
            postfix.start();
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put(POSTFIX, postfixPort);
            ports.put(GATEWAY, gatewayPort);
            Map<String, ProcessHandle> roots = Map.of(POSTFIX, postfix.master(), GATEWAY, server.process());
            int total = 2 * (warmUp + ROUNDS * perRound);
            PostfixPeers.Sink sink = PostfixPeers.Sink.start(sinkPort, total + 1_000, processes);
            facts.put("sink", "`" + PostfixPeers.text(PostfixPeers.Sink.command(sinkPort)) + "`");
            facts.put("load", "`" + PostfixPeers.text(PostfixPeers.smtpSource(gatewayPort, perRound, SESSIONS, BYTES)).replace(":" + gatewayPort, ":<relay port>") + "`");
            if (warmUp > 0) {
                for (String relay : ports.keySet()) {
                    options.progress().printf(Locale.ROOT, "  warm-up: %,d messages through %s ...%n", warmUp, relay);
                    round(relay, ports.get(relay), roots.get(relay), warmUp, sink, processes);
                }
            }
            facts.put("load average before the rounds", Machine.loadAverage());
            for (String relay : order(List.copyOf(ports.keySet()), ROUNDS)) {
                Round round = round(relay, ports.get(relay), roots.get(relay), perRound, sink, processes);
                rounds.add(round);
                options.progress().printf(Locale.ROOT, "  %-20s %,d messages: %s/s end to end, %s/s accepted, last arrival %.1f s after the last 250%n", relay,
                        round.messages(), Results.rate(round.endToEnd()), Results.rate(round.accepted()), round.lastAfterAccept());
            }
            facts.put("load average after the rounds", Machine.loadAverage());
            Thread.sleep(1_000);
            facts.put("smtp-sink counted", String.format(Locale.ROOT, "%,d messages for %,d sent", sink.count(), total));
            processes.stop(sink.process());
            options.progress().println("  checking what each relay delivers (the bench's own sink on the same port) ...");
            checks = check(ports, sinkPort, recipient, base, options);
            server.stop();
            postfix.stop();
        }
        return results(rounds, checks, facts);
    }

    private static Round round(String relay, int port, ProcessHandle root, int messages, PostfixPeers.Sink sink, Processes processes) throws Exception {
        long before = sink.count();
        double cpu = ProcessCpu.seconds(root);
        long start = System.nanoTime();
        processes.run(PostfixPeers.smtpSource(port, messages, SESSIONS, BYTES), Duration.ofMinutes(30));
        long accepted = System.nanoTime();
        if (!sink.await(before + messages, STALL)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s: smtp-source had its %,d messages accepted, but the sink counted only %,d of them "
                    + "and nothing more for %d s", relay, messages, sink.count() - before, STALL.toSeconds()));
        }
        double used = ProcessCpu.seconds(root) - cpu;
        long first = sink.stamp(before + 1);
        long last = sink.stamp(before + messages);
        return new Round(relay, messages, (accepted - start) / 1e9, (last - first) / 1e9, (last - accepted) / 1e9, used);
    }

    /** A few messages with ids of their own through each relay into the bench's sink, each checked. */
    private static Map<String, List<MailGateway.Check>> check(Map<String, Integer> ports, int sinkPort, MailGateway.Recipient recipient, Path base,
                                                              Options options) throws Exception {
        Map<String, List<MailGateway.Check>> checks = new LinkedHashMap<>();
        Map<String, String> runs = new LinkedHashMap<>();
        runs.put(POSTFIX, "check-postfix");
        runs.put(GATEWAY, "check-gateway");
        try (SmtpSink sink = SmtpSink.start(sinkPort, new SmtpSink.Settings(base.resolve("checked"), id -> true, 0))) {
            for (Map.Entry<String, Integer> relay : ports.entrySet()) {
                SmtpLoad load = new SmtpLoad("127.0.0.1", relay.getValue(), new SmtpLoad.Settings(runs.get(relay.getKey()), CHECK_MESSAGES, 1, BYTES,
                        PostfixPeers.RECIPIENT, 0, Duration.ofMinutes(2), base.resolve(runs.get(relay.getKey()) + "-client.log")));
                SmtpLoad.Result result = load.run();
                if (result.acked() != CHECK_MESSAGES) {
                    throw new IllegalStateException(relay.getKey() + " acknowledged " + result.acked() + " of " + CHECK_MESSAGES + " check messages: "
                            + result.firstProblem());
                }
            }
            boolean all = sink.await(arrivals -> arrivals.size() >= 2 * CHECK_MESSAGES, Duration.ofMinutes(5), Duration.ofMinutes(10));
            byte[] body = Smtp.body(BYTES);
            for (String relay : ports.keySet()) {
                List<MailGateway.Check> found = new ArrayList<>();
                for (SmtpSink.Arrival arrival : sink.arrivals()) {
                    Map.Entry<String, Long> id = Smtp.parseMessageId(arrival.id());
                    if (id != null && id.getKey().equals(runs.get(relay))) {
                        found.add(MailGateway.check(arrival.saved(), recipient.key().getPrivate(), body));
                    }
                }
                checks.put(relay, found);
                options.progress().printf(Locale.ROOT, "    %-20s %d of %d arrived%s%n", relay, found.size(), CHECK_MESSAGES,
                        found.isEmpty() ? "" : ": " + found.get(0).text());
            }
            if (!all) {
                options.progress().println("    (not every check message arrived within the limit)");
            }
        }
        return checks;
    }

    static Results results(List<Round> rounds, Map<String, List<MailGateway.Check>> checks, Map<String, String> facts) {
        Map<String, Total> totals = new LinkedHashMap<>();
        for (Round round : rounds) {
            totals.computeIfAbsent(round.relay(), r -> new Total(r, new ArrayList<>())).rounds().add(round);
        }
        Total postfix = totals.get(POSTFIX);
        List<List<String>> rows = new ArrayList<>();
        for (Total total : totals.values()) {
            List<MailGateway.Check> checked = checks.getOrDefault(total.relay(), List.of());
            String vs;
            if (total.relay().equals(POSTFIX) || postfix == null) {
                vs = "peer";
            } else {
                double ratio = total.endToEnd() / postfix.endToEnd();
                vs = String.format(Locale.ROOT, "%.2fx (target %.1fx): %s", ratio, TARGET, ratio >= TARGET ? "met" : "NOT met");
            }
            rows.add(List.of(total.relay(), Integer.toString(total.rounds().size()), String.format(Locale.ROOT, "%,d", total.messages()),
                    Results.rate(total.endToEnd()), Results.rate(total.accepted()), String.format(Locale.ROOT, "%.1f s", total.lastAfterAccept()),
                    String.format(Locale.ROOT, "%.2f ms", total.cpuMillisPerMessage()), vs,
                    checkText(total.relay(), checked)));
        }
        List<String> notes = new ArrayList<>();
        for (Total total : totals.values()) {
            StringBuilder line = new StringBuilder(total.relay() + " rounds (end to end / accepted per second): ");
            for (int i = 0; i < total.rounds().size(); i++) {
                Round round = total.rounds().get(i);
                line.append(i == 0 ? "" : ", ").append(Results.rate(round.endToEnd())).append(" / ").append(Results.rate(round.accepted()));
            }
            notes.add(line.toString());
        }
        facts.forEach((key, value) -> notes.add(key + ": " + value));
        notes.add("End to end: the round's messages minus one over the time from the sink counting its first message to counting its last (smtp-sink -c's "
                + "counter, read as it prints); accepted: messages over smtp-source's run, which ends with the last 250. Postfix runs ANCHORS.md's relay "
                + "configuration with its defaults (in_flow_delay, 20 connections to the next hop), its logging going nowhere (no syslog here). Relay CPU: "
                + "user and system time of the relay's processes (Postfix: the master, its children and the children it reaped; Letterlock: the server's "
                + "java process) over the round, from /proc; smtp-source and smtp-sink share the same 2 cores.");
        notes.add("smtp-source opens a connection per message, says HELO, and sends a From/To/Date/Message-Id header without MIME fields, then -l bytes of "
                + "'X' lines; the checked messages come from the bench's own client (EHLO, MIME header, 50 KB body of numbered lines).");
        return new Results(List.of("relay", "rounds", "messages", "end to end/s", "accepted/s", "last arrival after last 250", "relay CPU per message",
                "vs Postfix (end to end)",
                "what arrived"), rows, notes);
    }

    static String checkText(String relay, List<MailGateway.Check> checked) {
        if (checked.isEmpty()) {
            return "NOT CHECKED: no check message arrived";
        }
        long encrypted = checked.stream().filter(MailGateway.Check::encrypted).count();
        long ok = checked.stream().filter(MailGateway.Check::ok).count();
        long intact = checked.stream().filter(MailGateway.Check::bodyFound).count();
        String arrived = checked.size() + (checked.size() == CHECK_MESSAGES ? "" : " of " + CHECK_MESSAGES);
        if (relay.equals(POSTFIX)) {
            return arrived + " checked: " + (encrypted == 0 ? "in clear" : encrypted + " encrypted") + ", body " + (intact == checked.size() ? "intact" : "CHANGED");
        }
        if (ok == checked.size()) {
            return arrived + " checked: " + checked.get(0).text();
        }
        return arrived + " checked: " + checked.stream().filter(c -> !c.ok()).findFirst().map(MailGateway.Check::text).orElse("?");
    }
}
