package org.letterlock.mail.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.letterlock.mail.smtp.Reply;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.mail.smtp.SmtpClient.TlsDemand;
import org.letterlock.mail.smtp.SmtpClient.TlsLevel;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Dials a recipient domain's MX hosts, as its MTA-STS policy (RFC 8461 4, 5) and the message's sender allow:
 * <ul>
 * <li>enforce: only MX hosts the policy names, only over STARTTLS with a certificate that chains to a trusted CA and
 * names the MX host; none that qualifies is a temporary failure, retried by the queue;</li>
 * <li>testing (and enforce for a message with {@code TLS-Required: No}): verified TLS is tried with the hosts the
 * policy names, then opportunistic TLS, and what was not met is recorded;</li>
 * <li>none or no policy: opportunistic STARTTLS (any certificate), in clear if the hop offers none or its TLS
 * fails;</li>
 * <li>REQUIRETLS: as enforce for a policy in either mode, and only to a host that offers REQUIRETLS (the next is tried
 * when one does not); without a policy the MX hosts cannot be authenticated and the message is returned (5.7.30, RFC
 * 8689 4.2.1), as it is when every host was reached and none offers REQUIRETLS.</li>
 * </ul>
 */
public final class DirectDelivery {
    private final MxLookup dns;
    private final MtaStsPolicies policies;
    private final SSLContext webPki;
    private final SSLContext anyCertificate;
    private final String heloName;
    private final Duration timeout;

    DirectDelivery(MxLookup dns, MtaStsPolicies policies, SSLContext webPki, SSLContext anyCertificate, String heloName, Duration timeout) {
        this.dns = dns;
        this.policies = policies;
        this.webPki = webPki;
        this.anyCertificate = anyCertificate;
        this.heloName = heloName;
        this.timeout = timeout;
    }

    /** As configured: the DNS servers, and the JDK's CAs plus those of {@code letterlock.gateway.mta-sts.trust} for MTA-STS. */
    public static DirectDelivery start(GatewaySettings.DirectDelivery settings, String heloName, Duration timeout, Clock clock) {
        try {
            SSLContext webPki = HopTrust.verifying(extraTrust(settings));
            MxLookup dns = new MxLookup(settings.dnsServers(), Duration.ofSeconds(10), new SecureRandom());
            return new DirectDelivery(dns, new MtaStsPolicies(dns, webPki, settings.policyPort(), Duration.ofSeconds(10), clock), webPki,
                    HopTrust.anyCertificate(), heloName, timeout);
        } catch (GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "the TLS contexts of direct delivery could not be made: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> extraTrust(GatewaySettings.DirectDelivery settings) {
        if (settings.mtaStsTrust().isEmpty()) {
            return List.of();
        }
        try (InputStream in = Files.newInputStream(settings.mtaStsTrust().get())) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (java.security.cert.Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "letterlock.gateway.mta-sts.trust " + settings.mtaStsTrust().get() + " holds no certificate");
            }
            return certificates;
        } catch (IOException | GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "letterlock.gateway.mta-sts.trust " + settings.mtaStsTrust().get() + " is not a PEM file of certificates: "
                    + e.getMessage(), e);
        }
    }

    /** A connection to the first MX host of the route's domain that takes one as policy allows. */
    SmtpClient connect(Route route) throws IOException {
        String domain = route.hop().host();
        List<String> hosts = dns.mxHosts(domain);
        MtaStsPolicies.Found found = policies.of(domain);
        Optional<MtaStsPolicy> policy = found.policy().filter(p -> p.mode() != MtaStsPolicy.Mode.NONE);
        boolean requireTls = route.sender() == Route.SenderTls.REQUIRE_TLS;
        boolean strict = requireTls || policy.map(p -> p.mode() == MtaStsPolicy.Mode.ENFORCE).orElse(false) && route.sender() != Route.SenderTls.TLS_OPTIONAL;
        if (requireTls && policy.isEmpty()) {
            throw new SmtpClient.HopRefused(Reply.local(550, "5.7.30 REQUIRETLS: the MX hosts of " + domain + " cannot be authenticated (" + found.note() + ")"));
        }
        String relaxedBy = policy.isEmpty() ? "" : policy.get().mode() == MtaStsPolicy.Mode.TESTING ? "testing mode" : "relaxed by TLS-Required: No";
        List<String> refusals = new ArrayList<>();
        // A REQUIRETLS message is returned only when every host it could go to was reached and lacks REQUIRETLS; a
        // host that could not be reached or whose TLS failed now may take it on a later attempt.
        boolean withoutRequireTls = false;
        boolean mayTakeItLater = false;
        for (String host : hosts) {
            boolean listed = policy.map(p -> p.matches(host)).orElse(false);
            if (strict && !listed) {
                refusals.add(host + " is not named by the policy " + policy.get().mx());
                continue;
            }
            List<TlsDemand> demands = new ArrayList<>();
            if (listed) {
                demands.add(new TlsDemand(TlsLevel.VERIFIED, webPki, found.note()));
            }
            if (!strict) {
                String opportunistic = policy.isEmpty() ? found.note() + "; opportunistic"
                        : found.note() + (listed ? " not met" : "; " + host + " not named by the policy") + ", " + relaxedBy + "; opportunistic";
                demands.add(new TlsDemand(TlsLevel.OPPORTUNISTIC, anyCertificate, opportunistic));
                demands.add(new TlsDemand(TlsLevel.NONE, anyCertificate, opportunistic + ", in clear"));
            }
            List<InetAddress> addresses;
            try {
                addresses = dns.addresses(host);
            } catch (SmtpClient.HopRefused failed) {
                // One MX host's address lookup failing (SERVFAIL, a timeout) is no reason not to try the next one.
                refusals.add(failed.reply().text());
                mayTakeItLater = true;
                continue;
            }
            if (addresses.isEmpty()) {
                refusals.add(host + " has no address");
            }
            for (InetAddress address : addresses) {
                try {
                    SmtpClient client = SmtpClient.connect(new InetSocketAddress(address, route.hop().port()), host, SmtpClient.Protocol.SMTP, demands, heloName, timeout);
                    if (requireTls && !client.offers("REQUIRETLS")) {
                        // RFC 8689 4.2.1: the check is per server; another MX host of the domain may offer it.
                        client.close();
                        refusals.add(host + " [" + address.getHostAddress() + "] does not offer REQUIRETLS (tls " + client.tls() + ")");
                        withoutRequireTls = true;
                        continue;
                    }
                    return client;
                } catch (SmtpClient.HopRefused refused) {
                    refusals.add(refused.reply().text());
                    mayTakeItLater = true;
                } catch (IOException e) {
                    refusals.add(host + " [" + address.getHostAddress() + "]: " + e.getMessage());
                    mayTakeItLater = true;
                }
            }
        }
        if (withoutRequireTls && !mayTakeItLater) {
            throw new SmtpClient.HopRefused(Reply.local(550, "5.7.30 REQUIRETLS: no MX host of " + domain + " offers REQUIRETLS (" + found.note() + "): "
                    + String.join("; ", refusals)));
        }
        String status = strict ? "4.7.5" : "4.4.1";
        throw new SmtpClient.HopRefused(Reply.local(451, status + " no MX host of " + domain + " took the message (" + found.note() + "): " + String.join("; ", refusals)));
    }
}
