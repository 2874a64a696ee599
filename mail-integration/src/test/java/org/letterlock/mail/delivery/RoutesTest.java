package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/** What a sender asks of TLS (RFC 8689), and which routes a TLS-Required: No may relax. */
class RoutesTest {
    private static final Route NEXT_HOP = new Route("next-hop", new GatewaySettings.HostPort("mx.example.org", 25), SmtpClient.Protocol.SMTP,
            GatewaySettings.NextHopTls.VERIFY);
    private static final Route MX = Route.mx("partner.test", 25);

    static Stream<Arguments> asked() {
        return Stream.of(
                Arguments.of("nothing-asked", false, "Subject: x\r\n", true, Route.SenderTls.AS_CONFIGURED),
                Arguments.of("tls-required-no", false, "TLS-Required: No\r\n", true, Route.SenderTls.TLS_OPTIONAL),
                Arguments.of("tls-required-no-any-case-and-space", false, "tls-required:   nO  \r\n", true, Route.SenderTls.TLS_OPTIONAL),
                Arguments.of("tls-required-other-value-ignored", false, "TLS-Required: Yes\r\n", true, Route.SenderTls.AS_CONFIGURED),
                Arguments.of("tls-required-no-turned-off", false, "TLS-Required: No\r\n", false, Route.SenderTls.AS_CONFIGURED),
                Arguments.of("requiretls-wins-over-tls-required-no", true, "TLS-Required: No\r\n", true, Route.SenderTls.REQUIRE_TLS),
                Arguments.of("requiretls", true, "Subject: x\r\n", true, Route.SenderTls.REQUIRE_TLS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asked")
    void readsWhatTheSenderAsked(String name, boolean requireTls, String header, boolean honour, Route.SenderTls expected) throws Exception {
        Envelope envelope = new Envelope("id", Instant.EPOCH, "alice@example.org", "client", requireTls, List.of());
        HeaderSection headers = HeaderSection.read(new BufferedInputStream(new ByteArrayInputStream((header + "\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII))), 4096);
        assertThat(Routes.askedBy(envelope, headers, honour)).isEqualTo(expected);
    }

    static Stream<Arguments> relaxed() {
        return Stream.of(
                Arguments.of("clear-copy-to-a-hop-keeps-the-hops-tls", NEXT_HOP, Decision.Action.CLEAR, Route.SenderTls.AS_CONFIGURED),
                Arguments.of("encrypted-copy-to-a-hop-is-relaxed", NEXT_HOP, Decision.Action.SMIME, Route.SenderTls.TLS_OPTIONAL),
                Arguments.of("passphrase-copy-to-a-hop-is-relaxed", NEXT_HOP, Decision.Action.PASSWORD, Route.SenderTls.TLS_OPTIONAL),
                Arguments.of("clear-copy-to-an-mx-is-relaxed", MX, Decision.Action.CLEAR, Route.SenderTls.TLS_OPTIONAL),
                Arguments.of("pgp-copy-to-an-mx-is-relaxed", MX, Decision.Action.PGP, Route.SenderTls.TLS_OPTIONAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("relaxed")
    void tlsRequiredNoRelaxesTransportRulesButNotTheProtectionOfClearCopiesOnHops(String name, Route route, Decision.Action action, Route.SenderTls expected) {
        assertThat(Routes.forSender(route, action, Route.SenderTls.TLS_OPTIONAL).sender()).isEqualTo(expected);
    }
}
