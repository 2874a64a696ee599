package org.letterlock.platform.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The SMTP gateway's settings (read and validated with the rest of the configuration).
 *
 * @param smtpPort        port of the SMTP listener, 0 for no gateway
 * @param nextHop         where mail leaves over SMTP
 * @param nextHopTls      how the next hop's TLS is checked
 * @param lmtp            the mailbox store's LMTP listener, if mail for local domains is stored through it
 * @param lmtpTls         how the mailbox store's TLS is checked
 * @param localDomains    lower-case domains whose mail goes to {@code lmtp}
 * @param smimeContent    how S/MIME content encryption is chosen: from what the recipients announce, or always one cipher
 * @param signingAddress  the organisation address S/MIME copies are signed as when a rule asks, if any
 * @param hkpServers      keyservers external HKP lookups ask
 * @param partnerDirectories partner LDAP directories as {@code domain=ldap(s)://host:port/base-dn}
 * @param partnerCas      PEM file of the partner CA certificates partner directories' certificates must chain to
 * @param policyHeader    header naming each recipient's decision in delivered mail, empty for none
 * @param direct          present when mail leaves straight to the recipient domains' MX hosts ({@code next-hop=mx});
 *                        {@code nextHop} and {@code nextHopTls} are then unused
 * @param honourTlsRequiredNo a {@code TLS-Required: No} header field (RFC 8689 5) relaxes transport TLS policy
 */
public record GatewaySettings(int smtpPort, String smtpAddress, String hostName, long maxMessageBytes, int maxRecipients, HostPort nextHop, NextHopTls nextHopTls,
                              Optional<HostPort> lmtp, NextHopTls lmtpTls, List<String> localDomains, Path spool, int deliveryWorkers, Duration maxQueueTime, SmimeContent smimeContent, Optional<String> signingAddress,
                              List<java.net.URI> hkpServers, List<String> partnerDirectories, Optional<Path> partnerCas, String policyHeader,
                              Optional<DirectDelivery> direct, boolean honourTlsRequiredNo) {

    /**
     * Delivery straight to the recipient domains' MX hosts.
     *
     * @param dnsServers  the DNS servers asked, empty for the system's
     * @param mtaStsTrust PEM file of CA certificates trusted for MTA-STS besides the JDK's, if any
     * @param mxPort      25; another port only in tests, which run a private MTA as the MX (no configuration key sets it)
     * @param policyPort  443, where MTA-STS policies are fetched; another port only in tests (no configuration key sets it)
     */
    public record DirectDelivery(List<HostPort> dnsServers, Optional<Path> mtaStsTrust, int mxPort, int policyPort) {
        public static DirectDelivery of(List<HostPort> dnsServers, Optional<Path> mtaStsTrust) {
            return new DirectDelivery(dnsServers, mtaStsTrust, 25, 443);
        }
    }

    /** How a hop's TLS is required and checked. */
    public enum NextHopTls {
        /** STARTTLS required; the certificate must chain to Letterlock's CA or a CA the JDK trusts, for the host dialled. */
        VERIFY,
        /** STARTTLS required, certificate not checked (a hop on the same machine with a self-made certificate). */
        REQUIRED,
        /** No TLS: only for a hop on loopback that offers none. */
        NONE
    }

    /** How S/MIME content is encrypted ({@code letterlock.gateway.smime.content-encryption}). */
    public enum SmimeContent {
        /** AES-256-GCM when every recipient is known to read it (RFC 8551 2.7), else AES-256-CBC. */
        CAPABILITIES,
        /** Always AES-256-CBC EnvelopedData. */
        AES256_CBC,
        /** Always AES-256-GCM AuthEnvelopedData. */
        AES256_GCM
    }

    /** A host and port, as given in configuration. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        }
    }
}
