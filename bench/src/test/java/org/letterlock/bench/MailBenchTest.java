package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mail benchmarks' pure parts: the Postfix peer's configuration and commands, round order, rates, tallies and tables. */
class MailBenchTest {

    static Options options(double seconds, double warmUp) {
        return new Options(Duration.ofMillis((long) (seconds * 1000)), Duration.ofMillis((long) (warmUp * 1000)), Path.of("/tmp/x"), System.out, Path.of("/tmp"));
    }

    @Test
    void thePrivatePostfixRelaysTheTestDomainToTheSinkOnLoopbackOnly() {
        String main = PostfixPeers.mainCf(Path.of("/data/postfix"), 2527);
        assertThat(main).contains("queue_directory = /data/postfix/queue\n", "data_directory = /data/postfix/data\n", "inet_interfaces = 127.0.0.1\n",
                "relay_domains = relay.test\n", "relayhost = [127.0.0.1]:2527\n", "mydestination =\n", "smtp_bind_address = 127.0.0.1\n",
                "smtp_dns_support_level = disabled\n");
        String master = PostfixPeers.masterCf(2526);
        assertThat(master).startsWith("127.0.0.1:2526 inet n - n - - smtpd\n");
        for (String line : master.strip().split("\n")) {
            assertThat(line.split(" +")[4]).as("chroot column of " + line).isEqualTo("n");
        }
        assertThat(PostfixPeers.text(PostfixPeers.smtpSource(2526, 10_000, 20, 51_200)))
                .isEqualTo("smtp-source -s 20 -l 51200 -m 10000 -f sender@source.test -t rcpt@relay.test 127.0.0.1:2526");
        assertThat(PostfixPeers.text(PostfixPeers.Sink.command(2527))).isEqualTo("smtp-sink -c -u postfix 127.0.0.1:2527 1000");
    }

    @Test
    void cpuTimesAreReadFromProcStat() {
        assertThat(ProcessCpu.ticks("4242 (java thread) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 50 7 3 20 0 30 0 100 0 0")).isEqualTo(210);
        assertThat(ProcessCpu.seconds(ProcessHandle.current())).isPositive();
    }

    @Test
    void smtpSinksCounterLinesGiveTheMessageCount() {
        assertThat(PostfixPeers.messages("sess=3 quit=3 mesg=12")).isEqualTo(12);
        assertThat(PostfixPeers.messages("sess=0 quit=0 mesg=0")).isZero();
        assertThat(PostfixPeers.messages("smtp-sink: fatal: bind: Address already in use")).isEqualTo(-1);
    }

    @Test
    void roundsTakeTurnsAndAreSizedByTheOptions() {
        assertThat(MailRelay.order(List.of("P", "G"), 4)).containsExactly("P", "G", "G", "P", "P", "G", "G", "P");
        assertThat(MailRelay.messagesPerRound(options(5, 2))).isEqualTo(3_000);
        assertThat(MailRelay.messagesPerRound(options(1, 2))).isEqualTo(1_000);
        assertThat(MailRelay.warmUpMessages(options(5, 2))).isEqualTo(600);
        assertThat(MailRelay.warmUpMessages(options(5, 0.1))).isEqualTo(200);
        assertThat(MailRelay.warmUpMessages(options(5, 0))).isZero();
    }

    @Test
    void relayRatesAreCountedFromFirstToLastArrivalAndOverTheLoadsRun() {
        MailRelay.Round round = new MailRelay.Round(MailRelay.POSTFIX, 1_001, 2.0, 2.5, 0.7, 1.0);
        assertThat(round.endToEnd()).isEqualTo(400.0);
        assertThat(round.accepted()).isEqualTo(500.5);
        MailRelay.Total total = new MailRelay.Total(MailRelay.POSTFIX, List.of(round, new MailRelay.Round(MailRelay.POSTFIX, 1_001, 3.0, 2.5, 0.3, 1.002)));
        assertThat(total.endToEnd()).isEqualTo(400.0);
        assertThat(total.accepted()).isEqualTo(2_002 / 5.0);
        assertThat(total.lastAfterAccept()).isEqualTo(0.5);
        assertThat(total.cpuMillisPerMessage()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void theRelayTableComparesTheGatewayWithPostfixAndSaysWhatArrived() {
        List<MailRelay.Round> rounds = List.of(new MailRelay.Round(MailRelay.POSTFIX, 3_001, 5, 6, 1, 3), new MailRelay.Round(MailRelay.GATEWAY, 3_001, 6, 7.5, 1.5, 9),
                new MailRelay.Round(MailRelay.GATEWAY, 3_001, 6, 7.5, 1.5, 9), new MailRelay.Round(MailRelay.POSTFIX, 3_001, 5, 6, 1, 3));
        MailGateway.Check encrypted = new MailGateway.Check(true, true, true, "text/plain", "authEnveloped-data", 70_000, "");
        MailGateway.Check clear = new MailGateway.Check(false, false, true, "text/plain", "", 52_000, "");
        Map<String, List<MailGateway.Check>> checks = new LinkedHashMap<>();
        checks.put(MailRelay.POSTFIX, List.of(clear, clear, clear));
        checks.put(MailRelay.GATEWAY, List.of(encrypted, encrypted, encrypted));
        Results results = MailRelay.results(rounds, checks, new LinkedHashMap<>(Map.of("postfix", "3.7.11")));
        assertThat(results.rows()).hasSize(2);
        assertThat(results.rows().get(0)).containsExactly("Postfix", "2", "6,002", "500", "600", "1.0 s", "1.00 ms", "peer",
                "3 checked: in clear, body intact");
        assertThat(results.rows().get(1).get(3)).isEqualTo("400");
        assertThat(results.rows().get(1).get(6)).isEqualTo("3.00 ms");
        assertThat(results.rows().get(1).get(7)).isEqualTo("0.80x (target 1.0x): NOT met");
        assertThat(results.rows().get(1).get(8)).startsWith("3 checked: S/MIME authEnveloped-data, opened");
        assertThat(results.notes().get(0)).isEqualTo("Postfix rounds (end to end / accepted per second): 500 / 600, 500 / 600");
        assertThat(MailRelay.checkText(MailRelay.GATEWAY, List.of(encrypted, clear))).contains("2 of 3 checked: NOT ENCRYPTED");
        assertThat(MailRelay.checkText(MailRelay.GATEWAY, List.of())).startsWith("NOT CHECKED");
    }

    static SmtpSink.Arrival arrival(String run, int index, boolean encrypted) {
        String id = Smtp.messageId(run, index);
        return new SmtpSink.Arrival(id, id, encrypted ? "application/pkcs7-mime; smime-type=authEnveloped-data" : "text/plain", 60_000, 0, 1, null, java.util.Map.of());
    }

    @Test
    void aCrashIsTalliedByMessageId() {
        Set<String> acked = Set.of(Smtp.messageId("gw", 0), Smtp.messageId("gw", 1), Smtp.messageId("gw", 2), Smtp.messageId("gw", 3));
        List<SmtpSink.Arrival> arrivals = new ArrayList<>(List.of(arrival("gw", 0, true), arrival("gw", 1, true), arrival("gw", 1, true), arrival("gw", 4, true)));
        arrivals.add(new SmtpSink.Arrival("other@gateway.test", Smtp.messageId("gw", 2), "application/pkcs7-mime", 1, 0, 1, null, java.util.Map.of()));
        MailCrash.Tally tally = MailCrash.Tally.of(acked, arrivals);
        assertThat(tally.acked()).isEqualTo(4);
        assertThat(tally.arrivals()).isEqualTo(5);
        assertThat(tally.arrived()).isEqualTo(4);
        assertThat(tally.lost()).isEqualTo(1);
        assertThat(tally.lostSample()).containsExactly(Smtp.messageId("gw", 3));
        assertThat(tally.duplicates()).isEqualTo(1);
        assertThat(tally.arrivedUnacked()).isEqualTo(1);
        assertThat(tally.encrypted()).isEqualTo(5);
        assertThat(tally.renamed()).isEqualTo(1);
        List<SmtpSink.Arrival> mixed = List.of(arrival("gw", 0, true), arrival("pf", 0, false), arrival("gw-x", 1, false));
        assertThat(MailCrash.ofRun(mixed, "gw")).hasSize(1);
        assertThat(MailCrash.arrivedIds(MailCrash.ofRun(mixed, "pf"))).containsExactly(Smtp.messageId("pf", 0));
        assertThat(MailCrash.keep(Smtp.messageId("gw", 2))).isTrue();
        assertThat(MailCrash.keep(Smtp.messageId("gw", 3))).isFalse();
        assertThat(MailCrash.keep("sender@source.test")).isFalse();
    }

    @Test
    void theCrashTableSaysWhatWasLost() {
        SmtpLoad.Result client = new SmtpLoad.Result(10_000, 10_000, Set.of(), 0, 0, 10_150, 12, 160, 0, "bench-gw-5000@source.test: Connection reset", 80);
        MailCrash.Tally clean = new MailCrash.Tally(10_000, 10_012, 10_000, 0, 12, 0, 10_012, 0, List.of());
        MailCrash.Tally lossy = new MailCrash.Tally(10_000, 9_990, 9_990, 10, 0, 0, 9_990, 0, List.of(Smtp.messageId("gw", 5001)));
        Results results = MailCrash.results(List.of(new MailCrash.Run(MailCrash.GATEWAY, client, lossy, 5_000, 4_900, "pid 1", 21.5, 30.2, true, List.of()),
                new MailCrash.Run(MailCrash.POSTFIX, client, clean, 5_000, 4_800, "12 processes", 1.2, 3.4, true, List.of())), Map.of());
        assertThat(results.rows().get(0)).containsExactly("Letterlock gateway", "10,000", "10,000", "9,990", "10", "0", "0", "12", "21.5 s", "30.2 s",
                "LOST 10 (target 0: NOT met)");
        assertThat(results.rows().get(1).get(5)).isEqualTo("12");
        assertThat(results.rows().get(1).get(10)).isEqualTo("no loss");
        assertThat(results.notes().get(0)).contains("lost e.g. bench-gw-5001@source.test", "first problem: bench-gw-5000@source.test: Connection reset");
    }

    @Test
    void heapGrowthIsTheHighestLiveReadingOverTheIdleOnes() {
        long mib = 1024 * 1024;
        List<HeapProbe.Sample> idle = List.of(new HeapProbe.Sample(0, 90 * mib, 60 * mib, 100 * mib), new HeapProbe.Sample(1, 95 * mib, 62 * mib, 100 * mib));
        List<HeapProbe.Sample> during = List.of(new HeapProbe.Sample(10, 120 * mib, 70 * mib, 150 * mib), new HeapProbe.Sample(25, 200 * mib, 92 * mib, 250 * mib),
                new HeapProbe.Sample(35, 90 * mib, 65 * mib, 250 * mib), new HeapProbe.Sample(45, 80 * mib, 63 * mib, 250 * mib));
        MailLarge.Measured m = new MailLarge.Measured(idle, during, new HeapProbe.Sample(50, 70 * mib, 63 * mib, 250 * mib), 5, 20, 30, 40, 36 * mib);
        assertThat(m.baseline()).isEqualTo(62 * mib);
        assertThat(m.idleSpread()).isEqualTo(2 * mib);
        assertThat(m.peak().live()).isEqualTo(92 * mib);
        assertThat(m.growth()).isEqualTo(30 * mib);
        assertThat(m.ratio()).isEqualTo(30.0 / 25);
        assertThat(m.phase(10)).startsWith("while the gateway was receiving");
        assertThat(m.phase(25)).startsWith("after its 250");
        assertThat(m.phase(35)).startsWith("while it was delivered");
        assertThat(m.phase(45)).startsWith("after it arrived");
        assertThat(m.samplesPerPhase().values()).containsExactly(1, 1, 1, 1);
        Results results = MailLarge.results(m, new MailGateway.Check(true, true, true, "text/plain", "authEnveloped-data", 36 * mib, ""), Map.of());
        assertThat(results.rows().get(3)).containsExactly("growth", "30.0", "1.20x the message (target < 2x): met");
        assertThat(results.rows().get(0).get(1)).isEqualTo("25.0");
        assertThat(MailLarge.heapFlags("-Xmx512m -Xss512k -XX:+UseSerialGC -Dletterlock.x=1 -jar payara.jar")).isEqualTo("-Xmx512m -XX:+UseSerialGC");
    }
}
