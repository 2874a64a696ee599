package org.letterlock.mail.delivery;

import java.util.Locale;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Which route a recipient's copy takes: the mailbox store for the local domains (when one is configured), the next hop
 * or, with direct delivery, the recipient domain's MX hosts for the rest.
 */
public final class Routes {
    private final GatewaySettings settings;
    private final Route nextHop;
    private final Route mailboxStore;

    public Routes(GatewaySettings settings) {
        this.settings = settings;
        this.nextHop = new Route("next-hop", settings.nextHop(), SmtpClient.Protocol.SMTP, settings.nextHopTls());
        this.mailboxStore = settings.lmtp().map(hop -> new Route("mailbox-store", hop, SmtpClient.Protocol.LMTP, settings.lmtpTls())).orElse(null);
    }

    public Route of(String recipient) {
        String domain = MailboxSyntax.domainOf(recipient);
        if (mailboxStore != null && settings.localDomains().contains(domain)) {
            return mailboxStore;
        }
        return settings.direct().map(direct -> Route.mx(domain.toLowerCase(Locale.ROOT), direct.mxPort())).orElse(nextHop);
    }

    /**
     * What the sender asked of TLS: REQUIRETLS in the envelope, or {@code TLS-Required: No} in the header section
     * (RFC 8689 5), which is ignored when the message also asked for REQUIRETLS or the operator turned it off.
     */
    static Route.SenderTls askedBy(Envelope envelope, HeaderSection headers, boolean honourTlsRequiredNo) {
        if (envelope.requireTls()) {
            return Route.SenderTls.REQUIRE_TLS;
        }
        boolean optional = headers.value("TLS-Required").map(v -> v.trim().equalsIgnoreCase("No")).orElse(false);
        return optional && honourTlsRequiredNo ? Route.SenderTls.TLS_OPTIONAL : Route.SenderTls.AS_CONFIGURED;
    }

    /**
     * The route a copy takes given what its sender asked. {@code TLS-Required: No} relaxes transport policy only: the
     * recipient domain's MTA-STS policy, and a hop's TLS rules for a copy the gateway encrypted. A clear copy keeps
     * the hop's TLS rules, which are the organisation's protection for content it lets leave unencrypted; a sender's
     * header does not lower that.
     */
    static Route forSender(Route route, Decision.Action action, Route.SenderTls asked) {
        if (asked == Route.SenderTls.TLS_OPTIONAL && !route.direct() && action == Decision.Action.CLEAR) {
            return route;
        }
        return route.withSender(asked);
    }
}
