package org.letterlock.mail.delivery;

import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Where a recipient's copy goes: the next hop over SMTP, the mailbox store over LMTP, or the recipient domain's MX
 * hosts over SMTP.
 *
 * @param name    a short name for logs and the policy header ({@code next-hop}, {@code mailbox-store}, {@code mx})
 * @param hop     the host dialled; for {@code mx}, the recipient's domain and the MX port
 * @param tls     how the hop's TLS is required and checked; for {@code mx}, unused (MTA-STS decides)
 * @param direct  the copy goes to the MX hosts of {@code hop}'s domain
 * @param sender  what the message's sender asked of TLS, where it changes how the hop is dialled
 */
public record Route(String name, GatewaySettings.HostPort hop, SmtpClient.Protocol protocol, GatewaySettings.NextHopTls tls, boolean direct, SenderTls sender) {

    /** A configured hop, as the gateway's own TLS rules want it. */
    public Route(String name, GatewaySettings.HostPort hop, SmtpClient.Protocol protocol, GatewaySettings.NextHopTls tls) {
        this(name, hop, protocol, tls, false, SenderTls.AS_CONFIGURED);
    }

    /** The recipient domain's MX hosts. */
    static Route mx(String domain, int port) {
        return new Route("mx", new GatewaySettings.HostPort(domain, port), SmtpClient.Protocol.SMTP, GatewaySettings.NextHopTls.VERIFY, true, SenderTls.AS_CONFIGURED);
    }

    Route withSender(SenderTls asked) {
        return new Route(name, hop, protocol, tls, direct, asked);
    }

    /** What a message's sender asked of TLS (RFC 8689). */
    public enum SenderTls {
        /** Nothing: the gateway's rules and the recipient domain's MTA-STS policy apply. */
        AS_CONFIGURED,
        /** REQUIRETLS: verified TLS on every hop, and MX hosts only as an MTA-STS policy names them. */
        REQUIRE_TLS,
        /** {@code TLS-Required: No}: TLS policy does not stop delivery; TLS is still tried. */
        TLS_OPTIONAL
    }
}
