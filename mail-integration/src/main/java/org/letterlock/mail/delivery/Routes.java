package org.letterlock.mail.delivery;

import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/** Which route a recipient's copy takes: the mailbox store for the local domains (when one is configured), the next hop for the rest. */
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
        return mailboxStore != null && settings.localDomains().contains(MailboxSyntax.domainOf(recipient)) ? mailboxStore : nextHop;
    }
}
