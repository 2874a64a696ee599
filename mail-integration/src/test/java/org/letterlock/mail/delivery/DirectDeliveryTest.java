package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.PostfixHop;
import org.letterlock.mail.PrivateDnsmasq;
import org.letterlock.mail.keys.TestPki;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.store.MovableClock;

/**
 * Which MX host direct delivery takes, past hosts it cannot use: dnsmasq answers the lookups (one MX host's zone is
 * forwarded to a server that is not there, so its address lookup fails), {@link ScriptedMx} hosts on 127.0.0.1 and
 * 127.0.0.2 stand in for the MX hosts (one of them offering REQUIRETLS, which Postfix 3.7 cannot), and the JDK's
 * HttpsServer serves rtls.test's MTA-STS policy, all under a test CA.
 */
class DirectDeliveryTest {
    @TempDir
    static java.nio.file.Path work;

    private static PrivateDnsmasq dns;
    private static HttpsServer policyServer;
    private static ScriptedMx first;
    private static ScriptedMx second;
    private static MxLookup lookup;
    private static DirectDelivery direct;

    @BeforeAll
    static void start() throws Exception {
        TestPki ca = new TestPki("Test Public CA");
        first = new ScriptedMx(InetAddress.getByName("127.0.0.1"), PostfixHop.freePort(), MtaStsPoliciesTest.serving(ca.server("mx1.rtls.test"), ca), false);
        second = new ScriptedMx(InetAddress.getByName("127.0.0.2"), first.port(), MtaStsPoliciesTest.serving(ca.server("mx2.rtls.test"), ca), true);
        dns = PrivateDnsmasq.start(work, PostfixHop.freePort(), List.of(
                "--mx-host=lookupfails.test,mx1.servfail.example,10", "--mx-host=lookupfails.test,mx.lookupfails.test,20",
                "--server=/servfail.example/127.0.0.1#" + PostfixHop.freePort(), "--host-record=mx.lookupfails.test,127.0.0.1",
                // mx.aaaafails.example has an A record here; its AAAA lookup goes to a server that is not there.
                "--mx-host=aaaafails.test,mx.aaaafails.example,10", "--server=/aaaafails.example/127.0.0.1#" + PostfixHop.freePort(),
                "--host-record=mx.aaaafails.example,127.0.0.1",
                "--mx-host=rtls.test,mx1.rtls.test,10", "--mx-host=rtls.test,mx2.rtls.test,20",
                "--host-record=mx1.rtls.test,127.0.0.1", "--host-record=mx2.rtls.test,127.0.0.2",
                "--host-record=mta-sts.rtls.test,127.0.0.1", "--txt-record=_mta-sts.rtls.test,v=STSv1; id=r1"));
        policyServer = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        policyServer.setHttpsConfigurator(new HttpsConfigurator(MtaStsPoliciesTest.serving(ca.server("mta-sts.rtls.test"), ca)));
        policyServer.createContext("/.well-known/mta-sts.txt", exchange -> {
            byte[] body = "version: STSv1\nmode: enforce\nmx: *.rtls.test\nmax_age: 86400\n".getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        policyServer.start();
        lookup = new MxLookup(List.of(new GatewaySettings.HostPort("127.0.0.1", dns.port())), Duration.ofSeconds(4), new Random());
        var webPki = HopTrust.verifying(List.of(ca.root));
        direct = new DirectDelivery(lookup, new MtaStsPolicies(lookup, webPki, policyServer.getAddress().getPort(), Duration.ofSeconds(4), new MovableClock()), webPki,
                HopTrust.anyCertificate(), "gateway.example.org", Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closing : new AutoCloseable[] {first, second, dns}) {
            if (closing != null) {
                closing.close();
            }
        }
        if (policyServer != null) {
            policyServer.stop(0);
        }
    }

    @BeforeEach
    void clear() {
        first.mailCommands.clear();
        second.mailCommands.clear();
        second.requireTls = true;
    }

    @Test
    void anMxHostWhoseAddressLookupFailsIsPassedForTheNext() throws Exception {
        SmtpClient client = direct.connect(Route.mx("lookupfails.test", first.port()));
        try {
            client.send("alice@example.org", false, List.of("bob@lookupfails.test"), out -> out.write("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        } finally {
            client.close();
        }
        assertThat(first.mailCommands).containsExactly("MAIL FROM:<alice@example.org>");
    }

    @Test
    void anMxHostWhoseAaaaLookupFailsIsDialledAtItsIpv4Address() throws Exception {
        assertThatThrownBy(() -> lookup.lookup("mx.aaaafails.example", "AAAA")).as("the AAAA lookup fails").isInstanceOf(SmtpClient.HopRefused.class);
        SmtpClient client = direct.connect(Route.mx("aaaafails.test", first.port()));
        try {
            client.send("alice@example.org", false, List.of("bob@aaaafails.test"), out -> out.write("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        } finally {
            client.close();
        }
        assertThat(first.mailCommands).containsExactly("MAIL FROM:<alice@example.org>");
    }

    @Test
    void requireTlsMailPassesAVerifiedMxWithoutRequireTlsForOneThatOffersIt() throws Exception {
        SmtpClient client = direct.connect(requiringTls());
        try {
            assertThat(client.tls().verified()).isTrue();
            client.send("alice@example.org", true, List.of("bob@rtls.test"), out -> out.write("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        } finally {
            client.close();
        }
        assertThat(first.mailCommands).isEmpty();
        assertThat(second.mailCommands).containsExactly("MAIL FROM:<alice@example.org> REQUIRETLS");
    }

    @Test
    void requireTlsMailIsReturnedWhenEveryMxWasReachedAndNoneOffersIt() {
        second.requireTls = false;
        assertThatThrownBy(() -> direct.connect(requiringTls())).isInstanceOfSatisfying(SmtpClient.HopRefused.class, refused -> {
            assertThat(refused.reply().code()).isEqualTo(550);
            assertThat(refused.reply().text()).startsWith("5.7.30 REQUIRETLS: no MX host of rtls.test offers REQUIRETLS (mta-sts enforce id r1")
                    .contains("mx1.rtls.test [127.0.0.1] does not offer REQUIRETLS", "mx2.rtls.test [127.0.0.2] does not offer REQUIRETLS");
        });
        assertThat(first.mailCommands).isEmpty();
        assertThat(second.mailCommands).isEmpty();
    }

    private static Route requiringTls() {
        return new Route("mx", new GatewaySettings.HostPort("rtls.test", first.port()), SmtpClient.Protocol.SMTP, GatewaySettings.NextHopTls.VERIFY, true,
                Route.SenderTls.REQUIRE_TLS);
    }
}
