package org.letterlock.mail.delivery;

import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Where a recipient's copy goes: the next hop over SMTP, or the mailbox store over LMTP.
 *
 * @param name a short name for logs and the policy header ({@code next-hop}, {@code mailbox-store})
 */
public record Route(String name, GatewaySettings.HostPort hop, SmtpClient.Protocol protocol, GatewaySettings.NextHopTls tls) {
}
