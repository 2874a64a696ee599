package org.letterlock.platform.config;

import java.time.Duration;
import java.util.List;

/**
 * Settings of ACME enrollment with the email-reply-00 challenge (RFC 8823).
 *
 * @param from                 address challenge mails come from and replies are sent to
 * @param replyPort            port of the SMTP receiver for replies, 0 for none
 * @param replyAddress         address the reply receivers bind to
 * @param replyLmtpPort        port of the LMTP receiver for replies, 0 for none
 * @param trustedAuthservIds   authserv-ids whose Authentication-Results header authenticates a reply
 * @param trustedRelays        the MTAs whose hand-over makes such a header believable
 * @param nonceTtl             lifetime of a Replay-Nonce
 * @param orderTtl             lifetime of an order and its challenge
 */
public record AcmeEnrollSettings(String from, int replyPort, String replyAddress, int replyLmtpPort, List<String> trustedAuthservIds, List<AddressRange> trustedRelays, Duration nonceTtl, Duration orderTtl) {
    public AcmeEnrollSettings {
        trustedAuthservIds = List.copyOf(trustedAuthservIds);
        trustedRelays = List.copyOf(trustedRelays);
    }
}
