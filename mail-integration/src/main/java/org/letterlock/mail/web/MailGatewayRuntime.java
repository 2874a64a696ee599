package org.letterlock.mail.web;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.web.CaRuntime;
import org.letterlock.keyserver.web.KeyserverRuntime;
import org.letterlock.mail.delivery.Delivery;
import org.letterlock.mail.delivery.DirectDelivery;
import org.letterlock.mail.delivery.Encryptions;
import org.letterlock.mail.delivery.HopTrust;
import org.letterlock.mail.delivery.KnownCapabilities;
import org.letterlock.mail.delivery.OrganisationSignature;
import org.letterlock.mail.delivery.Routes;
import org.letterlock.mail.policy.CapabilityStore;
import org.letterlock.mail.policy.PassphraseBook;
import org.letterlock.mail.policy.PolicyBook;
import org.letterlock.mail.policy.RecipientPolicy;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.queue.Spool;
import org.letterlock.mail.smtp.SmtpReceiver;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;

/**
 * Starts the SMTP gateway on the started platform: the spool (resuming what it holds), delivery, then the listener,
 * so no message is taken before the gateway can deliver it. A listener that cannot bind stops the server with one
 * message.
 */
@ApplicationScoped
public class MailGatewayRuntime {
    private static final Logger LOG = Logger.getLogger(MailGatewayRuntime.class.getName());
    /** How long the gateway waits for a hop before it gives up on the attempt (RFC 5321 4.5.3.2 suggests minutes; hops on a LAN answer in far less). */
    static final Duration HOP_TIMEOUT = Duration.ofMinutes(2);

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    CaRuntime caRuntime;

    @Inject
    KeyserverRuntime keyserverRuntime;

    private volatile Delivery delivery;
    private volatile Spool spool;
    private volatile PolicyBook policies;
    private volatile PassphraseBook passphrases;
    private volatile SmtpReceiver receiver;

    void onPlatformStarted(@Observes PlatformStarted event) {
        Letterlock platform = event.platform();
        GatewaySettings settings = platform.config().gateway();
        if (settings.smtpPort() == 0) {
            LOG.info("SMTP gateway off (letterlock.gateway.smtp.port=0)");
            return;
        }
        try {
            spool = Spool.open(settings.spool());
            List<Envelope> recovered = spool.recover();
            CertificateAuthority ca = caRuntime.ca();
            policies = new PolicyBook(platform.database().dataSource(), platform.auditLog(), platform.clock());
            passphrases = new PassphraseBook(platform.database().dataSource(), platform.vault(), platform.config().vault().tokenLabel(), platform.auditLog(),
                    platform.clock());
            Optional<OrganisationSignature> signature = settings.signingAddress().map(address -> new OrganisationSignature(ca, platform.vault(),
                    platform.config().vault().tokenLabel(), address, platform.clock()));
            javax.net.ssl.SSLContext verifying = HopTrust.verifying(caCertificates(ca));
            // Signed mail announces capabilities only under a certificate from Letterlock's CA or a partner CA.
            List<X509Certificate> trusted = new ArrayList<>(caCertificates(ca));
            trusted.addAll(ExternalKeySources.partnerCas(settings));
            Delivery started = new Delivery(spool, new RecipientPolicy(new Routes(settings), policies, passphrases, ca,
                    address -> RecipientPolicy.publishedKeys(keyserverRuntime.keyserver()).apply(address),
                    ExternalKeySources.from(settings, verifying, platform.clock()), signature.isPresent(), platform.clock()),
                    new Encryptions(settings.smimeContent(), new KnownCapabilities(new CapabilityStore(platform.database().dataSource()), trusted,
                            platform.auditLog(), platform.clock()), signature, platform.clock()),
                    verifying, HopTrust.anyCertificate(), settings.direct().map(direct -> DirectDelivery.start(direct, settings.hostName(), HOP_TIMEOUT, platform.clock())),
                    platform.auditLog(), platform.clock(), new Delivery.Settings(settings.hostName(), settings.deliveryWorkers(), settings.maxQueueTime(),
                    settings.policyHeader(), HOP_TIMEOUT, settings.honourTlsRequiredNo()));
            delivery = started;
            recovered.forEach(started::submit);
            if (!recovered.isEmpty()) {
                LOG.info("SMTP gateway: " + recovered.size() + " queued messages resumed from " + settings.spool());
            }
            receiver = SmtpReceiver.start(new SmtpReceiver.Settings(InetAddress.getByName(settings.smtpAddress()), settings.smtpPort(), settings.hostName(),
                    caRuntime.tlsIdentity().serverContext(), settings.maxMessageBytes(), settings.maxRecipients()), spool, started::submit, platform.clock());
            LOG.info("SMTP gateway on " + settings.smtpAddress() + ":" + receiver.port() + " (STARTTLS), next hop " + settings.nextHop()
                    + settings.lmtp().map(l -> ", mailbox store " + l + " for " + settings.localDomains()).orElse("") + ", spool " + settings.spool());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            platformRuntime.fail("SMTP gateway: cannot start on " + settings.smtpAddress() + ":" + settings.smtpPort() + " with spool " + settings.spool()
                    + " (letterlock.gateway.*; port 0 turns it off): " + e.getMessage(), null);
        }
    }

    private static List<X509Certificate> caCertificates(CertificateAuthority ca) throws CertificateException {
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (IssuerRecord issuer : ca.issuers()) {
            if (issuer.certificate().isPresent()) {
                X509CertificateHolder holder = issuer.certificate().get();
                certificates.add(converter.getCertificate(holder));
            }
        }
        return certificates;
    }

    public PolicyBook policies() {
        return running(policies);
    }

    public PassphraseBook passphrases() {
        return running(passphrases);
    }

    public Spool spool() {
        return running(spool);
    }

    /** Lets held mail go at once: after a passphrase is set. */
    public void retryAll() {
        running(delivery).retryAll();
    }

    private static <T> T running(T part) {
        if (part == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the SMTP gateway is not running (letterlock.gateway.smtp.port=0, or it failed to start)");
        }
        return part;
    }

    @PreDestroy
    void stop() {
        SmtpReceiver listening = receiver;
        receiver = null;
        if (listening != null) {
            listening.close();
        }
        Delivery delivering = delivery;
        delivery = null;
        if (delivering != null) {
            delivering.close();
        }
    }
}
