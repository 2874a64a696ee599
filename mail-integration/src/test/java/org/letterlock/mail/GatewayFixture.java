package org.letterlock.mail;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.web.KeyserverRuntime;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.LoopbackHostCertificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.mail.delivery.Delivery;
import org.letterlock.mail.delivery.DirectDelivery;
import org.letterlock.mail.delivery.Encryptions;
import org.letterlock.mail.delivery.KnownCapabilities;
import org.letterlock.mail.delivery.OrganisationSignature;
import org.letterlock.mail.keys.ExternalKeys;
import org.letterlock.mail.keys.LookupCache;
import org.letterlock.mail.delivery.Routes;
import org.letterlock.mail.policy.CapabilityStore;
import org.letterlock.mail.policy.PassphraseBook;
import org.letterlock.mail.policy.PolicyBook;
import org.letterlock.mail.policy.RecipientPolicy;
import org.letterlock.mail.queue.Spool;
import org.letterlock.mail.smtp.SmtpReceiver;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * A gateway as the server wires it, on a real platform (H2, SoftHSM2 token, the CA and its TLS identity, the
 * keyserver), in front of
 * a next hop: spool, delivery with the organisation policy, and the SMTP listener with STARTTLS.
 */
final class GatewayFixture implements AutoCloseable {
    /** One token store per test JVM: SoftHSM2 reads SOFTHSM2_CONF once, when SunPKCS11 loads it (see the surefire configuration). */
    static final Path TOKEN_DATA = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();
    static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));

    final MovableClock clock = new MovableClock();
    final Letterlock platform;
    final CertificateAuthority ca;
    final TlsIdentity identity;
    final Path work;
    final Keyserver keyserver;
    final PolicyBook policies;
    final PassphraseBook passphrases;
    final CapabilityStore capabilities;
    /** Where rules with external sources look keys up; none unless a test sets its own. */
    ExternalKeys externalKeys;
    /** The Postfix next hop, when started with {@link #beforePostfix}. */
    PostfixHop hop;
    Spool spool;
    Delivery delivery;
    SmtpReceiver receiver;

    GatewayFixture(Path work) throws Exception {
        this.work = work;
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(Files.createDirectories(work.resolve("db"))));
        settings.put("letterlock.data-dir", TOKEN_DATA.toString());
        settings.put("letterlock.vault.type", "pkcs11");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        // Escrow, where a test starts it, makes keys when asked rather than filling a pool of RSA keys in the background.
        settings.put("letterlock.escrow.rsa-pool", "0");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        keyserver = KeyserverRuntime.create(platform);
        policies = new PolicyBook(platform.database().dataSource(), platform.auditLog(), clock);
        passphrases = new PassphraseBook(platform.database().dataSource(), platform.vault(), platform.config().vault().tokenLabel(), platform.auditLog(), clock);
        capabilities = new CapabilityStore(platform.database().dataSource());
        externalKeys = new ExternalKeys(List.of(), new LookupCache(LookupCache.Lifetimes.DEFAULT), clock);
        identity = TlsIdentity.start(ca, platform.vault(), platform.config().vault().tokenLabel(), List.of("127.0.0.1", "localhost"), clock);
    }

    /** A certificate chain and key file for a hop on loopback (localhost, 127.0.0.1), issued by this CA, as Postfix and Dovecot read them. */
    Path[] hopCertificate(String name) throws Exception {
        KeyPair keys = TestRequests.ec("secp256r1");
        IssuedCertificate issued = LoopbackHostCertificates.issue(ca, keys.getPublic());
        Path chain = Files.writeString(work.resolve(name + "-chain.pem"), Certificates.pem(issued.holder()) + Certificates.pem(ca.issuer(issued.issuerId()).orElseThrow().requireCertificate()));
        Path key = Files.writeString(work.resolve(name + ".key"), Certificates.pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        return new Path[] {chain, key};
    }

    /** A verified mailbox with a certificate under {@code profile} for {@code keys}; returns the certificate and key files the tools read. */
    Path[] mailbox(String mailbox, String profile, KeyPair keys) throws Exception {
        platform.identities().register(mailbox, mailbox.substring(0, mailbox.indexOf('@')));
        platform.identities().verify(Outbox.verificationToken(TOKEN_DATA, mailbox));
        IssuedCertificate issued = ca.issue(IssueRequest.mailbox(profile, TestRequests.csr(keys, "CN=x", List.of(mailbox)).getEncoded(), mailbox), OFFICER);
        String name = mailbox.substring(0, mailbox.indexOf('@')) + "-" + profile;
        return new Path[] {Files.writeString(work.resolve(name + ".pem"), Certificates.pem(issued.holder())),
                Files.writeString(work.resolve(name + ".key"), Certificates.pem("PRIVATE KEY", keys.getPrivate().getEncoded()))};
    }

    Path rootPem() throws Exception {
        return Files.writeString(work.resolve("root.pem"), Certificates.pem(ca.issuer("root").orElseThrow().requireCertificate()));
    }

    GatewaySettings settings(int nextHopPort, GatewaySettings.NextHopTls tls, long maxBytes) {
        return settings(nextHopPort, tls, maxBytes, Optional.empty());
    }

    /** With the organisation signing as {@code signingAddress}. */
    GatewaySettings settings(int nextHopPort, GatewaySettings.NextHopTls tls, long maxBytes, Optional<String> signingAddress) {
        return new GatewaySettings(0, "127.0.0.1", "gateway.example.org", maxBytes, 100, new GatewaySettings.HostPort("localhost", nextHopPort), tls,
                Optional.empty(), GatewaySettings.NextHopTls.VERIFY, List.of(), work.resolve("spool"), 4, Duration.ofDays(5), GatewaySettings.SmimeContent.CAPABILITIES, signingAddress,
                List.of(), List.of(), Optional.empty(), "X-Letterlock-Policy", Optional.empty(), true);
    }

    /** As {@link #settings}, with example.org's mailboxes stored through the LMTP listener on {@code lmtpPort} (STARTTLS, certificate checked). */
    GatewaySettings storingLocalMail(int nextHopPort, int lmtpPort) {
        GatewaySettings base = settings(nextHopPort, GatewaySettings.NextHopTls.VERIFY, 10_000_000);
        return new GatewaySettings(base.smtpPort(), base.smtpAddress(), base.hostName(), base.maxMessageBytes(), base.maxRecipients(), base.nextHop(), base.nextHopTls(),
                Optional.of(new GatewaySettings.HostPort("localhost", lmtpPort)), GatewaySettings.NextHopTls.VERIFY, List.of("example.org"), base.spool(),
                base.deliveryWorkers(), base.maxQueueTime(), base.smimeContent(), base.signingAddress(), base.hkpServers(), base.partnerDirectories(), base.partnerCas(),
                base.policyHeader(), base.direct(), base.honourTlsRequiredNo());
    }

    /** As {@link #settings}, delivering straight to the recipient domains' MX hosts (next-hop=mx). */
    GatewaySettings deliveringDirect(GatewaySettings.DirectDelivery direct) {
        GatewaySettings base = settings(0, GatewaySettings.NextHopTls.VERIFY, 10_000_000);
        return new GatewaySettings(base.smtpPort(), base.smtpAddress(), base.hostName(), base.maxMessageBytes(), base.maxRecipients(), base.nextHop(), base.nextHopTls(),
                base.lmtp(), base.lmtpTls(), base.localDomains(), base.spool(), base.deliveryWorkers(), base.maxQueueTime(), base.smimeContent(), base.signingAddress(),
                base.hkpServers(), base.partnerDirectories(), base.partnerCas(), base.policyHeader(), Optional.of(direct), base.honourTlsRequiredNo());
    }

    /** A gateway in front of a private Postfix next hop (STARTTLS with a certificate from this CA, verified), both started. */
    static GatewayFixture beforePostfix(Path work) throws Exception {
        GatewayFixture fixture = new GatewayFixture(work);
        try {
            fixture.hop = PostfixHop.start(Path.of("/tmp/ll-postfix-" + java.util.UUID.randomUUID().toString().substring(0, 8)), Optional.of(fixture.hopCertificate("hop")));
            fixture.startGateway(fixture.settings(fixture.hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000));
            return fixture;
        } catch (Exception | Error e) {
            fixture.close();
            throw e;
        }
    }

    /** Starts (or restarts, on the same spool) delivery and the listener. */
    void startGateway(GatewaySettings settings) throws Exception {
        spool = Spool.open(settings.spool());
        List<X509Certificate> trusted = List.of(new JcaX509CertificateConverter().getCertificate(ca.issuer("root").orElseThrow().requireCertificate()));
        Optional<OrganisationSignature> signature = settings.signingAddress()
                .map(address -> new OrganisationSignature(ca, platform.vault(), platform.config().vault().tokenLabel(), address, clock));
        delivery = new Delivery(spool, new RecipientPolicy(new Routes(settings), policies, passphrases, ca, RecipientPolicy.publishedKeys(keyserver),
                externalKeys, signature.isPresent(), clock), new Encryptions(settings.smimeContent(), new KnownCapabilities(capabilities, caCertificates(), platform.auditLog(), clock),
                signature, clock),
                org.letterlock.mail.delivery.HopTrust.verifying(trusted), org.letterlock.mail.delivery.HopTrust.anyCertificate(),
                settings.direct().map(direct -> DirectDelivery.start(direct, settings.hostName(), Duration.ofSeconds(20), clock)), platform.auditLog(), clock,
                new Delivery.Settings(settings.hostName(), settings.deliveryWorkers(), settings.maxQueueTime(), settings.policyHeader(), Duration.ofSeconds(20),
                        settings.honourTlsRequiredNo()));
        spool.recover().forEach(delivery::submit);
        receiver = SmtpReceiver.start(new SmtpReceiver.Settings(InetAddress.getLoopbackAddress(), 0, settings.hostName(), identity.serverContext(),
                settings.maxMessageBytes(), settings.maxRecipients()), spool, delivery::submit, clock);
    }

    /** Every certificate of this CA's hierarchy, which signed mail's signer certificates may chain to (as the server has them). */
    List<X509Certificate> caCertificates() throws Exception {
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certificates = new java.util.ArrayList<>();
        for (org.letterlock.ca.IssuerRecord issuer : ca.issuers()) {
            if (issuer.certificate().isPresent()) {
                certificates.add(converter.getCertificate(issuer.certificate().get()));
            }
        }
        return certificates;
    }

    void stopGateway() {
        if (receiver != null) {
            receiver.close();
            receiver = null;
        }
        if (delivery != null) {
            delivery.close();
            delivery = null;
        }
    }

    @Override
    public void close() {
        stopGateway();
        if (hop != null) {
            try {
                hop.close();
            } catch (Exception e) {
                throw new IllegalStateException("the Postfix next hop did not stop", e);
            }
        }
        identity.close();
        ca.close();
        platform.close();
    }
}
