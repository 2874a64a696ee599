package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PayaraLogTest {
    private static final String E = "\u001B";

    /** Lines as Payara Micro 6.2025.10 writes them to console.log, colour codes included. */
    private static final String LOG = String.join("\n",
            "[2026-11-28T14:57:30.404+0000] [] [" + E + "[1;92mINFO" + E + "[0m] [] [" + E + "[1;94mPayaraMicro" + E + "[0m] [tid: _ThreadID=1 _ThreadName=main] "
                    + "[timeMillis: 1795877850404] [levelValue: 800] Payara Micro Runtime directory is located at /data/payara",
            "",
            "[2026-11-28T14:57:32.664+0000] [] [INFO] [] [fish.payara.boot.runtime.BootCommand] [tid: _ThreadID=1 _ThreadName=main] "
                    + "[timeMillis: 1795877852664] [levelValue: 800] [[",
            "  Boot Command set returned with result SUCCESS",
            "]]",
            "[2026-11-28T14:57:37.672+0000] [] [INFO] [NCLS-CORE-00017] [javax.enterprise.system.core] [tid: _ThreadID=1 _ThreadName=main] "
                    + "[timeMillis: 1795877857672] [levelValue: 800] Payara Micro 6.2025.10 (42) startup time : Embedded (2,270ms), startup services(4,915ms), total(7,185ms)",
            "[2026-11-28T14:57:42.815+0000] [] [INFO] [] [org.jboss.weld.Version] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795877862815] "
                    + "[levelValue: 800] WELD-000900: 5.1.6 (Final)",
            "[2026-11-28T14:57:46.911+0000] [] [INFO] [] [org.flywaydb.core.FlywayExecutor] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795877866911] "
                    + "[levelValue: 800] Environment: default",
            "[2026-11-28T14:57:48.817+0000] [] [INFO] [] [org.letterlock.platform.web.PlatformRuntime] [tid: _ThreadID=1 _ThreadName=main] "
                    + "[timeMillis: 1795877868817] [levelValue: 800] Letterlock started: vault PKCS#11 token 'letterlock'",
            "[2026-11-28T14:57:49.015+0000] [] [INFO] [] [javax.enterprise.system.core] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795877869015] "
                    + "[levelValue: 800] letterlock-server was successfully deployed in 10,954 milliseconds.",
            "[2026-11-28T14:57:50.059+0000] [] [INFO] [] [PayaraMicro] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795877870059] [levelValue: 800] "
                    + "Payara Micro 6.2025.10 (build 42) ready in 19,809 (ms)",
            "at fish.payara.Something(Some.java:1)");

    @Test
    void parsesEntriesAndSkipsContinuationLines() {
        List<PayaraLog.Entry> entries = PayaraLog.parse(LOG);
        assertThat(entries).hasSize(8);
        assertThat(entries.get(0)).isEqualTo(new PayaraLog.Entry(1795877850404L, "PayaraMicro", "Payara Micro Runtime directory is located at /data/payara"));
        assertThat(entries.get(1).message()).isEqualTo("[[");
    }

    @Test
    void findsTheMilestonesInOrderAndSaysWhenTheyHappened() {
        List<PayaraLog.Milestone> milestones = PayaraLog.milestones(PayaraLog.parse(LOG));
        assertThat(milestones).extracting(PayaraLog.Milestone::label).containsExactly(
                "first log line", "Payara core up (Payara counts 7,185 ms)", "CDI (Weld) starts", "vault open, schema check (Flyway) starts",
                "Letterlock platform started", "WAR deployed", "Payara Micro ready");
        String timeline = PayaraLog.timeline(milestones, 1795877849800L, "/health/ready 200", 1795877870300L);
        assertThat(timeline).startsWith("first log line 0.6 s, Payara core up (Payara counts 7,185 ms) 7.9 s, CDI (Weld) starts 13.0 s")
                .endsWith("Payara Micro ready 20.3 s, /health/ready 200 20.5 s");
    }

    @Test
    void showsARestartThatDeploysTheApplicationTwice() {
        String restart = String.join("\n",
                line(1000, "PayaraMicro", "Payara Micro Runtime directory is located at /data/payara"),
                line(9300, "javax.enterprise.system.core", "Loading application letterlock-server done in 9,495 ms"),
                line(10900, "org.letterlock.platform.web.PlatformRuntime", "Letterlock started: vault ..."),
                line(11100, "jakarta.enterprise.web", "Loading application [letterlock-server] at [/]"),
                line(11500, "org.jboss.weld.Bean", "WELD-000019: Error destroying an instance org.letterlock.platform.web.PlatformRuntime@261bd7b"),
                line(13200, "javax.enterprise.system.core", "letterlock-server was successfully deployed in 2,802 milliseconds."),
                line(14900, "org.letterlock.platform.web.PlatformRuntime", "Letterlock started: vault ..."),
                line(15100, "jakarta.enterprise.web", "Loading application [letterlock-server] at [/]"));
        String timeline = PayaraLog.timeline(PayaraLog.milestones(PayaraLog.parse(restart)), 0, "/health/ready 200", 11000);
        assertThat(timeline).isEqualTo("first log line 1.0 s, application remembered in the root folder loaded 9.3 s, Letterlock platform started 10.9 s, "
                + "/health/ready 200 11.0 s, web module up 11.1 s, platform shutdown failed (WELD-000019) 11.5 s, WAR deployed 13.2 s, "
                + "Letterlock platform started again 14.9 s, web module up again 15.1 s");
    }

    private static String line(long millis, String logger, String message) {
        return "[2026-11-28T14:57:30.404+0000] [] [INFO] [] [" + logger + "] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: " + millis
                + "] [levelValue: 800] " + message;
    }

    @Test
    void anEmptyLogHasNoMilestones() {
        assertThat(PayaraLog.milestones(PayaraLog.parse(""))).isEmpty();
    }
}
