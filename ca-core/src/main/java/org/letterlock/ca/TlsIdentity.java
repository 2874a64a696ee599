package org.letterlock.ca;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.util.IPAddress;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.VaultException;

/**
 * The TLS identity of Letterlock's own listeners (LDAPS and StartTLS; the SMTP gateway next): a key made in the vault
 * and never outside it, and a tls-server certificate for the configured host names that this CA issues to itself,
 * with its chain up to the root. The certificate is renewed when a third of its life is left, when it was revoked,
 * and at start when the host names changed; listeners keep the one {@link #serverContext()}, which serves the
 * current certificate from the next handshake on. The key stays across renewals.
 */
public final class TlsIdentity implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TlsIdentity.class.getName());
    static final String KEY_OBJECT = "tls-listener";
    static final KeySpec KEY_SPEC = KeySpec.EC_P256;
    static final Duration VALIDITY = Duration.ofDays(90);
    /** How often the certificate is checked: a revocation, or an issuing CA that arrives late, is acted on within this. */
    static final Duration CHECK_INTERVAL = Duration.ofMinutes(10);

    private final CertificateAuthority ca;
    private final KeyVault vault;
    private final KeyUri key;
    private final List<String> hosts;
    private final Set<String> spelledHosts;
    private final Clock clock;
    private final SubjectPublicKeyInfo publicKey;
    private final ScheduledExecutorService scheduler;
    private volatile IssuedCertificate current;
    private volatile List<X509Certificate> chain = List.of();
    private final SSLContext context;

    private TlsIdentity(CertificateAuthority ca, KeyVault vault, String tokenLabel, List<String> hosts, Clock clock) {
        this.ca = ca;
        this.vault = vault;
        this.key = KeyUri.of(tokenLabel, KEY_OBJECT);
        this.hosts = List.copyOf(hosts);
        this.spelledHosts = spelled(hosts);
        this.clock = clock;
        this.publicKey = SubjectPublicKeyInfo.getInstance(ensureKey().getEncoded());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "letterlock-tls-identity");
            thread.setDaemon(true);
            return thread;
        });
        try {
            renewIfDue();
        } catch (LetterlockException e) {
            // An issuing CA that waits for its external root cannot certify the key yet: handshakes fail until it can.
            LOG.warning("Letterlock's TLS listeners have no certificate yet: " + e.getMessage());
        }
        this.context = vault.tlsServerContext(key, () -> chain);
    }

    /** The identity for {@code hosts} (host names and address literals), its certificate checked and renewed from now on. */
    public static TlsIdentity start(CertificateAuthority ca, KeyVault vault, String tokenLabel, List<String> hosts, Clock clock) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("a TLS identity needs at least one host name");
        }
        TlsIdentity identity = new TlsIdentity(ca, vault, tokenLabel, hosts, clock);
        identity.scheduler.scheduleWithFixedDelay(identity::checkGuarded, CHECK_INTERVAL.toMillis(), CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return identity;
    }

    private PublicKey ensureKey() {
        if (!vault.contains(key)) {
            try {
                return vault.createKey(key, KEY_SPEC);
            } catch (VaultException e) {
                if (e.reason() != VaultException.Reason.KEY_EXISTS) {
                    throw e;
                }
                // Another node sharing the token made it first.
            }
        }
        return vault.publicKey(key);
    }

    /** The TLS server context of the listeners; it always serves the current certificate. */
    public SSLContext serverContext() {
        return context;
    }

    /**
     * A TLS server context on the same key and certificate that asks clients for a certificate and judges it with
     * {@code clientTrust} (enrollment's re-enrollment over TLS client authentication).
     */
    public SSLContext serverContext(X509TrustManager clientTrust) {
        return vault.tlsServerContext(key, () -> chain, Optional.of(clientTrust));
    }

    /**
     * A signer on the listener key, for a protocol on these listeners that signs its own messages as this server (CMP's
     * protected responses): clients already trust the name they checked in the handshake. The key never leaves the vault.
     */
    public ContentSigner signer() {
        return vault.signer(key);
    }

    /** The certificate served now and its chain up to the root; empty while the CA cannot issue one. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The certificate served now, if the CA could issue one. */
    public Optional<IssuedCertificate> certificate() {
        return Optional.ofNullable(current);
    }

    public List<String> hosts() {
        return hosts;
    }

    private void checkGuarded() {
        try {
            renewIfDue();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "checking the TLS certificate of Letterlock's listeners failed; retried in " + CHECK_INTERVAL.toMinutes() + " minutes", e);
        }
    }

    /** Takes a stored certificate that is still good, or has the CA issue a new one. */
    synchronized void renewIfDue() {
        IssuedCertificate served = current;
        if (served != null && good(ca.find(served.serial()).orElse(served))) {
            return;
        }
        Optional<IssuedCertificate> stored = ca.listenerCertificates(publicKey).stream().filter(this::good).findFirst();
        IssuedCertificate next = stored.isPresent() ? stored.get() : ca.issueListenerCertificate(publicKey, hosts, VALIDITY);
        List<X509Certificate> nextChain = new ArrayList<>();
        nextChain.add(x509(next.holder()));
        for (X509CertificateHolder issuer : ca.chain(next.issuerId())) {
            nextChain.add(x509(issuer));
        }
        chain = List.copyOf(nextChain);
        current = next;
        LOG.info("TLS certificate of Letterlock's listeners: serial " + next.serialHex() + " for " + hosts + ", valid until " + next.notAfter());
    }

    /**
     * Unrevoked, for the configured names, and with more than a third of its life left (30 of 90 days): measured on
     * its own life, so a certificate cut short by an issuing CA near its end is not renewed again every check.
     */
    private boolean good(IssuedCertificate certificate) {
        Duration life = Duration.between(certificate.notBefore(), certificate.notAfter());
        return !certificate.revoked() && certificate.notAfter().isAfter(clock.instant().plus(life.dividedBy(3))) && !certificate.notBefore().isAfter(clock.instant())
                && names(certificate.holder()).equals(spelledHosts);
    }

    /** The certificate's subjectAltName entries, addresses in Java's spelling. */
    private static Set<String> names(X509CertificateHolder certificate) {
        GeneralNames names = GeneralNames.fromExtensions(certificate.getExtensions(), Extension.subjectAlternativeName);
        Set<String> found = new HashSet<>();
        if (names != null) {
            for (GeneralName name : names.getNames()) {
                if (name.getTagNo() == GeneralName.iPAddress) {
                    try {
                        found.add(InetAddress.getByAddress(ASN1OctetString.getInstance(name.getName()).getOctets()).getHostAddress());
                    } catch (UnknownHostException e) {
                        found.add("(an iPAddress of " + e.getMessage() + ")");
                    }
                } else {
                    found.add(name.getName().toString());
                }
            }
        }
        return found;
    }

    /** The configured names as {@link #names} spells them; a literal is parsed, never looked up. */
    private static Set<String> spelled(List<String> hosts) {
        Set<String> spelled = new HashSet<>();
        for (String host : hosts) {
            try {
                spelled.add(IPAddress.isValid(host) ? InetAddress.getByName(host).getHostAddress() : host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + host + "' is not an address literal", e);
            }
        }
        return spelled;
    }

    private static X509Certificate x509(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalStateException("a certificate of the CA does not convert: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
