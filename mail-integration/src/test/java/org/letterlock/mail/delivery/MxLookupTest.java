package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.PostfixHop;
import org.letterlock.mail.PrivateDnsmasq;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/** MX, address and TXT lookups (RFC 5321 5.1, RFC 7505) against a real DNS server, dnsmasq. */
class MxLookupTest {
    @TempDir
    static Path work;

    private static PrivateDnsmasq dns;
    private static MxLookup lookup;

    @BeforeAll
    static void start() throws Exception {
        dns = PrivateDnsmasq.start(work, PostfixHop.freePort(), List.of(
                "--mx-host=pref.test,a.pref.test,10", "--mx-host=pref.test,b.pref.test,20", "--mx-host=pref.test,c.pref.test,10",
                "--host-record=implicit.test,192.0.2.1,2001:db8::1",
                "--txt-record=txtonly.test,nothing else here",
                "--dns-rr=nullmx.test,15,000000",
                "--txt-record=_mta-sts.split.test,v=STSv1; ,id=2"));
        lookup = new MxLookup(List.of(new GatewaySettings.HostPort("127.0.0.1", dns.port())), Duration.ofSeconds(4), new Random(7));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    @Test
    void mxHostsComeByPreferenceWithEqualPreferencesInRandomOrder() throws Exception {
        Set<List<String>> orders = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            List<String> hosts = lookup.mxHosts("pref.test");
            assertThat(hosts).hasSize(3);
            assertThat(hosts.subList(0, 2)).containsExactlyInAnyOrder("a.pref.test", "c.pref.test");
            assertThat(hosts.get(2)).isEqualTo("b.pref.test");
            orders.add(hosts);
        }
        assertThat(orders).hasSize(2);
    }

    @Test
    void aDomainWithoutMxButWithAnAddressIsItsOwnMx() throws Exception {
        assertThat(lookup.mxHosts("implicit.test")).containsExactly("implicit.test");
        assertThat(lookup.addresses("implicit.test")).containsExactly(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::1"));
    }

    @Test
    void aNullMxRefusesTheMailForGood() {
        assertThatThrownBy(() -> lookup.mxHosts("nullmx.test")).isInstanceOfSatisfying(SmtpClient.HopRefused.class,
                e -> assertThat(e.reply().toString()).startsWith("556 5.1.10 the recipient domain nullmx.test publishes a null MX"));
    }

    @Test
    void aDomainThatDoesNotExistOrHasNeitherMxNorAddressIsRefusedForGood() {
        assertThatThrownBy(() -> lookup.mxHosts("nowhere.test")).isInstanceOfSatisfying(SmtpClient.HopRefused.class,
                e -> assertThat(e.reply().toString()).startsWith("550 5.1.2 the recipient domain nowhere.test does not exist"));
        assertThatThrownBy(() -> lookup.mxHosts("txtonly.test")).isInstanceOfSatisfying(SmtpClient.HopRefused.class,
                e -> assertThat(e.reply().toString()).startsWith("550 5.1.2 the recipient domain txtonly.test has neither MX nor address records"));
    }

    @Test
    void aTxtRecordOfSeveralStringsIsOneStringAgain() throws Exception {
        assertThat(lookup.txt("_mta-sts.split.test")).containsExactly("v=STSv1; id=2");
        assertThat(lookup.txt("_mta-sts.implicit.test")).isEmpty();
    }

    @Test
    void aDnsServerThatDoesNotAnswerIsATemporaryFailure() throws Exception {
        MxLookup silent = new MxLookup(List.of(new GatewaySettings.HostPort("127.0.0.1", PostfixHop.freePort())), Duration.ofMillis(400), new Random());
        assertThatThrownBy(() -> silent.mxHosts("pref.test")).isInstanceOfSatisfying(SmtpClient.HopRefused.class,
                e -> assertThat(e.reply().toString()).startsWith("451 4.4.3 DNS lookup of MX pref.test failed"));
    }
}
