package org.letterlock.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LetterlockConfigTest {

    private static LetterlockConfig load(Map<String, String> values) {
        return LetterlockConfig.load(key -> Optional.ofNullable(values.get(key)));
    }

    @Test
    void defaultsAreTheEmbeddedSetup() {
        LetterlockConfig config = load(Map.of("letterlock.data-dir", "/tmp/ll-data"));
        assertThat(config.dbUrl()).startsWith("jdbc:h2:file:/tmp/ll-data/db/letterlock");
        assertThat(config.vault().type()).isEqualTo("pkcs11");
        assertThat(config.vault().manageSoftHsm()).isTrue();
        assertThat(config.vault().pin().toString()).isEqualTo("file:/tmp/ll-data/secrets/vault.pin");
        assertThat(config.auditKey().toString()).isEqualTo("pkcs11:token=letterlock;object=audit-checkpoint");
        assertThat(config.verificationTokenTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(config.mailTransport()).isEqualTo("file");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"127.0.0.1:10025, REQUIRED", "localhost:10025, REQUIRED", "[::1]:10025, REQUIRED", "mx.example.org:25, VERIFY", "192.0.2.7:25, VERIFY"})
    void theNextHopIsVerifiedUnlessItIsOnLoopback(String nextHop, GatewaySettings.NextHopTls expected) {
        GatewaySettings gateway = load(Map.of("letterlock.gateway.next-hop", nextHop)).gateway();
        assertThat(gateway.nextHopTls()).isEqualTo(expected);
        assertThat(gateway.nextHop().toString()).isEqualTo(nextHop);
    }

    @Test
    void theGatewaySettingsAsConfigured() {
        GatewaySettings gateway = load(Map.of("letterlock.data-dir", "/tmp/ll-data", "letterlock.gateway.next-hop", "mx.example.org:10025",
                "letterlock.gateway.next-hop.tls", "none", "letterlock.gateway.lmtp", "127.0.0.1:24", "letterlock.gateway.local-domains", "Example.ORG, example.net",
                "letterlock.gateway.smime.content-encryption", "aes256-gcm", "letterlock.gateway.policy-header", "none")).gateway();
        assertThat(gateway.smtpPort()).isEqualTo(2525);
        assertThat(gateway.nextHopTls()).isEqualTo(GatewaySettings.NextHopTls.NONE);
        assertThat(gateway.lmtp()).contains(new GatewaySettings.HostPort("127.0.0.1", 24));
        assertThat(gateway.lmtpTls()).isEqualTo(GatewaySettings.NextHopTls.REQUIRED);
        assertThat(gateway.localDomains()).containsExactly("example.org", "example.net");
        assertThat(gateway.spool()).isEqualTo(java.nio.file.Path.of("/tmp/ll-data/spool"));
        assertThat(gateway.smimeContent()).isEqualTo(GatewaySettings.SmimeContent.AES256_GCM);
        assertThat(gateway.policyHeader()).isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"'', CAPABILITIES", "capabilities, CAPABILITIES", "aes256-cbc, AES256_CBC", "aes256-gcm, AES256_GCM"})
    void smimeContentEncryptionKeepsItsEarlierValuesAndDefaultsToCapabilities(String value, GatewaySettings.SmimeContent expected) {
        Map<String, String> settings = value.isEmpty() ? Map.of() : Map.of("letterlock.gateway.smime.content-encryption", value);
        assertThat(load(settings).gateway().smimeContent()).isEqualTo(expected);
    }

    @Test
    void nextHopMxDeliversDirectlyThroughTheConfiguredDnsServers() {
        GatewaySettings gateway = load(Map.of("letterlock.gateway.next-hop", "MX", "letterlock.gateway.dns-servers", "10.0.0.53, 10.0.1.53:5353, 2001:db8::53, [2001:db8::54]:53",
                "letterlock.gateway.mta-sts.trust", "/etc/letterlock/extra-cas.pem", "letterlock.gateway.honour-tls-required-no", "false")).gateway();
        assertThat(gateway.direct()).isPresent();
        assertThat(gateway.direct().get().dnsServers()).extracting(GatewaySettings.HostPort::toString)
                .containsExactly("10.0.0.53:53", "10.0.1.53:5353", "[2001:db8::53]:53", "[2001:db8::54]:53");
        assertThat(gateway.direct().get().mtaStsTrust()).contains(java.nio.file.Path.of("/etc/letterlock/extra-cas.pem"));
        assertThat(gateway.direct().get().mxPort()).isEqualTo(25);
        assertThat(gateway.direct().get().policyPort()).isEqualTo(443);
        assertThat(gateway.honourTlsRequiredNo()).isFalse();
    }

    @Test
    void byDefaultMailGoesToTheNextHopAndTlsRequiredNoIsHonoured() {
        GatewaySettings gateway = load(Map.of()).gateway();
        assertThat(gateway.direct()).isEmpty();
        assertThat(gateway.nextHop().toString()).isEqualTo("127.0.0.1:10025");
        assertThat(gateway.honourTlsRequiredNo()).isTrue();
    }

    @Test
    void nextHopTlsDoesNotApplyToDirectDelivery() {
        assertThatThrownBy(() -> load(Map.of("letterlock.gateway.next-hop", "mx", "letterlock.gateway.next-hop.tls", "verify")))
                .hasMessageContaining("letterlock.gateway.next-hop.tls").hasMessageContaining("does not apply to next-hop=mx");
    }

    @Test
    void theTwoAcmeReplyReceiversNeedPortsOfTheirOwn() {
        assertThatThrownBy(() -> load(Map.of("letterlock.enroll.acme.reply-port", "2526", "letterlock.enroll.acme.reply-lmtp-port", "2526")))
                .hasMessageContaining("letterlock.enroll.acme.reply-lmtp-port").hasMessageContaining("must differ from letterlock.enroll.acme.reply-port");
        assertThat(load(Map.of("letterlock.enroll.acme.reply-port", "0", "letterlock.enroll.acme.reply-lmtp-port", "0")).enrollAcme().replyLmtpPort()).isZero();
        assertThat(load(Map.of("letterlock.enroll.acme.reply-lmtp-port", "2527")).enrollAcme().replyLmtpPort()).isEqualTo(2527);
    }

    /** A secret typed straight into the configuration by mistake is not repeated in the problem, which is logged. */
    @Test
    void problemsNeverRepeatASecret() {
        assertThatThrownBy(() -> load(Map.of("letterlock.db.password-source", "hunter2"))).hasMessageContaining("file:/path or env:NAME")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        assertThatThrownBy(() -> load(Map.of("letterlock.vault.pin-source", "1234"))).satisfies(e -> assertThat(e.getMessage()).doesNotContain("1234"));
        assertThatThrownBy(() -> load(Map.of("letterlock.db.url", "jdbc:mysql://db/letterlock?user=l&password=hunter2")))
                .hasMessageContaining("jdbc:mysql://db/letterlock").satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    void permittedMailDomainsAreReadLowerCasedOnceEach() {
        assertThat(load(Map.of()).ca().permittedMailDomains()).isEmpty();
        assertThat(load(Map.of("letterlock.ca.permitted-mail-domains", "Example.org, mail.example.net,example.org")).ca().permittedMailDomains())
                .containsExactly("example.org", "mail.example.net");
    }

    @Test
    void trustedRelaysAreLoopbackUnlessConfigured() throws Exception {
        assertThat(load(Map.of()).enrollAcme().trustedRelays()).extracting(Object::toString).containsExactly("127.0.0.0/8", "::1");
        assertThat(load(Map.of("letterlock.enroll.acme.trusted-relays", "192.0.2.25, 2001:db8::/32")).enrollAcme().trustedRelays())
                .anySatisfy(range -> assertThat(range.contains(java.net.InetAddress.getByName("2001:db8::7"))).isTrue())
                .noneSatisfy(range -> assertThat(range.contains(java.net.InetAddress.getByName("127.0.0.1"))).isTrue());
    }

    @Test
    void anHsmOfItsOwnIsNotManaged() {
        LetterlockConfig config = load(Map.of("letterlock.vault.pkcs11.library", "/opt/hsm/lib/libcs_pkcs11.so", "letterlock.vault.pkcs11.slot", "3"));
        assertThat(config.vault().manageSoftHsm()).isFalse();
        assertThat(config.vault().pkcs11Slot()).hasValue(3);
    }

    @ParameterizedTest(name = "rejects/{0}")
    @CsvSource(delimiter = '|', value = {
            "letterlock.vault.type              | hsm                        | must be one of",
            "letterlock.db.url                  | jdbc:mysql://x/y           | jdbc:h2: or jdbc:postgresql:",
            "letterlock.db.pool-size            | many                       | whole number",
            "letterlock.db.pool-size            | 0                          | between 1 and 200",
            "letterlock.db.password-source      | hunter2                    | file:/path or env:NAME",
            "letterlock.vault.pin-source        | 1234                       | file:/path or env:NAME",
            "letterlock.public-url              | ftp://example.org          | http:// or https://",
            "letterlock.audit.checkpoint-interval | soon                     | duration",
            "letterlock.audit.key-spec          | dsa-1024                   | unknown key spec",
            "letterlock.audit.key               | pkcs11:token=other;object=a | names token 'other'",
            "letterlock.mail.transport          | pigeon                     | must be one of",
            "letterlock.mail.from               | not-an-address             | mail address",
            "letterlock.enroll.acme.from        | not-an-address             | mail address",
            "letterlock.enroll.acme.reply-port  | 70000                      | between 0 and 65535",
            "letterlock.enroll.acme.reply-lmtp-port | -1                     | between 0 and 65535",
            "letterlock.ca.url                  | https://ca.example.org     | must be an http:// URL",
            "letterlock.ca.root                 | borrowed                   | must be one of",
            "letterlock.ca.root-subject         | Letterlock Root            | distinguished name",
            "letterlock.ca.issuing-key-spec     | ed25519                    | EC or RSA",
            "letterlock.ca.tls-issuing-subject  | CN=Letterlock Issuing CA,O=Letterlock | must differ from letterlock.ca.issuing-subject",
            "letterlock.ca.tls-issuing-subject  | cn=letterlock root ca, o=letterlock | must differ from letterlock.ca.issuing-subject",
            "letterlock.ca.issuing-subject      | CN=Letterlock Root CA,O=Letterlock | must differ from letterlock.ca.root-subject",
            "letterlock.ca.policy-oids          | 2.23.140.1.5.1.3           | sbr-policy-oids=true",
            "letterlock.ca.policy-oids          | 1.2.x                      | dotted OIDs",
            "letterlock.ca.permitted-mail-domains | .example.org             | no leading dot",
            "letterlock.ca.permitted-mail-domains | example.org;*.example.net | domain names",
            "letterlock.ca.permitted-mail-domains | alice@example.org        | domain names",
            "letterlock.enroll.acme.trusted-relays | mx.example.org          | no host names",
            "letterlock.enroll.acme.trusted-relays | 192.0.2.0/33            | CIDR ranges",
            "letterlock.ca.validity-days        | 900                        | between 1 and 825",
            "letterlock.ca.crl.validity         | 30m                        | longer than letterlock.ca.crl.interval",
            "letterlock.ca.ocsp.validity        | 2h                         | from 8h to 10d",
            "letterlock.ca.expiry-notice-days   | 30,soon                    | whole numbers of days",
            "letterlock.vault.manage-softhsm    | yes                        | true or false",
            "letterlock.identity.token-ttl      | -5m                        | positive duration",
            "letterlock.tls.host-names          | *.example.org              | host names or IP addresses",
            "letterlock.tls.host-names          | 300.1.2.3                  | host names or IP addresses",
            "letterlock.tls.host-names          | keys.example.org:1636      | host names or IP addresses",
            "letterlock.keyserver.ldaps.port    | 70000                      | between 0 and 65535",
            "letterlock.gateway.next-hop        | mx.example.org             | host:port",
            "letterlock.gateway.next-hop        | mx.example.org:99999       | host:port",
            "letterlock.gateway.next-hop.tls    | maybe                      | must be one of",
            "letterlock.gateway.local-domains   | example.org                | letterlock.gateway.lmtp is not set",
            "letterlock.gateway.policy-header   | X Policy                   | header field name",
            "letterlock.gateway.smime.content-encryption | aes128-ecb        | must be one of",
            "letterlock.gateway.max-message-bytes | 1000                     | between 65536",
            "letterlock.gateway.dns-servers     | 10.0.0.53                  | only used with letterlock.gateway.next-hop=mx",
            "letterlock.gateway.honour-tls-required-no | sometimes           | true or false",
    })
    void refusesBadValuesNamingKeyAndReason(String key, String value, String reason) {
        assertThatThrownBy(() -> load(Map.of(key, value)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(1))
                .hasMessageContaining(key)
                .hasMessageContaining(ConfigKey.environmentName(key))
                .hasMessageContaining(reason);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        Map<String, String> values = new HashMap<>();
        values.put("letterlock.vault.type", "hsm");
        values.put("letterlock.db.pool-size", "-1");
        values.put("letterlock.mail.transport", "smtp");
        assertThatThrownBy(() -> load(values))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(3))
                .hasMessageContaining("letterlock.mail.smtp.host");
    }

    @Test
    void postgresqlNeedsAUser() {
        assertThatThrownBy(() -> load(Map.of("letterlock.db.url", "jdbc:postgresql://db/letterlock")))
                .hasMessageContaining("letterlock.db.user");
    }

    @ParameterizedTest(name = "tls-host-names/{0}")
    @CsvSource(delimiter = '|', value = {
            "default public URL             |                                  | http://127.0.0.1:8080    | 127.0.0.1;localhost",
            "public URL's host name         |                                  | https://keys.example.org | keys.example.org",
            "IPv6 loopback public URL       |                                  | http://[::1]:8080        | ::1;localhost",
            "configured, deduplicated       | Keys.Example.org, 192.0.2.7, keys.example.org, ::1 | http://127.0.0.1:8080 | keys.example.org;192.0.2.7;::1",
    })
    void readsTlsHostNames(String name, String configured, String publicUrl, String expected) {
        Map<String, String> values = new HashMap<>();
        values.put("letterlock.public-url", publicUrl);
        values.put("letterlock.ca.url", "http://ca.example.org");
        if (configured != null) {
            values.put("letterlock.tls.host-names", configured);
        }
        assertThat(load(values).tlsHostNames()).containsExactly(expected.split(";"));
    }

    @ParameterizedTest(name = "duration/{0}")
    @CsvSource({"30s, 30", "15m, 900", "24h, 86400", "7d, 604800", "PT2H, 7200"})
    void readsDurations(String text, long seconds) {
        assertThat(LetterlockConfig.parseDuration(text)).isEqualTo(Duration.ofSeconds(seconds));
    }
}
