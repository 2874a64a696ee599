package org.letterlock.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.net.IDN;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.AuditedKeyVault;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.CaSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.identity.MailboxIdentities;
import org.letterlock.platform.identity.MailboxIdentity;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.mail.MailSender;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;

/**
 * The certificate authority: its issuers, issuance under profiles with the requester's right to each mailbox checked,
 * mailbox pairs, revocation, CRLs, OCSP and expiry notices. One instance per server; several servers share the store.
 */
public final class CertificateAuthority implements MailboxCertificates, PublishedCertificates, AutoCloseable {
    /** How long another node's issuance, or a mailbox confirmed or removed, may take to reach this node's directory. */
    static final Duration PUBLISHED_TTL = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(CertificateAuthority.class.getName());
    static final String ROOT_ID = "root";
    static final String ISSUING_CA_PROFILE = "issuing-ca";
    static final Duration ROOT_VALIDITY = Duration.ofDays(20 * 365);
    static final Duration ISSUING_VALIDITY = Duration.ofDays(8 * 365);
    /** Delegated OCSP responder certificates are renewed when less than this is left of their 90 days. */
    static final Duration RESPONDER_RENEWAL = Duration.ofDays(30);
    static final KeySpec RESPONDER_KEY_SPEC = KeySpec.EC_P256;
    /** How far back each node looks for revocations made elsewhere. */
    static final Duration REVOCATION_OVERLAP = Duration.ofMinutes(1);
    /** The empty subject of a certificate named by its subjectAltName alone. */
    private static final X500Name NO_SUBJECT = new X500Name(new RDN[0]);
    /** Profiles requesters may ask for over the API; the others the CA issues to itself. */
    static final Set<String> REQUESTABLE = Set.of(Profiles.MAILBOX_SIGNING.name(), Profiles.MAILBOX_ENCRYPTION.name(),
            Profiles.MAILBOX_MULTIPURPOSE.name(), Profiles.TLS_SERVER.name());
    private static final Set<String> PAIRED = Set.of(Profiles.MAILBOX_SIGNING.name(), Profiles.MAILBOX_ENCRYPTION.name());
    /** Who requested the certificates the CA issues to itself. */
    private static final String SYSTEM = "system";
    private static final int KEY_HASH_BATCH = 2_000;
    private static final int COMPROMISED_SWEEP_BATCH = 500;
    /** The issuing CAs every installation has, one per purpose. */
    private static final List<IssuerRecord.Kind> ISSUING_KINDS = List.of(IssuerRecord.Kind.ISSUING, IssuerRecord.Kind.TLS_ISSUING);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    private final CaSettings settings;
    private final CertificateStore store;
    private final AuditedKeyVault vault;
    private final AuditRecorder audit;
    private final MailboxIdentities identities;
    private final MailSender mail;
    private final Clock clock;
    private final String tokenLabel;
    private final CaUrls urls;
    private final CrlPublisher crls;
    private final OcspResponder ocsp;
    /** What the directory and the DANE export publish per mailbox, as lately read (see {@link PublishedMailboxes}). */
    private final PublishedMailboxes published = new PublishedMailboxes(PUBLISHED_TTL);
    private final ScheduledExecutorService scheduler;
    private final ExecutorService ocspRefresher;
    private final Set<String> crlsDue = ConcurrentHashMap.newKeySet();
    private volatile Instant revocationsSeenUntil;

    /** The issuer that issues now, and its Issuer; replaced whole on rollover. */
    private record Active(IssuerRecord record, Issuer issuer) {
    }

    /** The issuers, oldest first, and the active one of each issuing kind (none while it waits): swapped as one on reload. */
    private record Issuers(List<IssuerRecord> all, Map<IssuerRecord.Kind, Active> active) {
    }

    private volatile Issuers issuersNow = new Issuers(List.of(), Map.of());

    public CertificateAuthority(CaSettings settings, CertificateStore store, AuditedKeyVault vault, AuditRecorder audit, MailboxIdentities identities, MailSender mail,
                                Clock clock, String tokenLabel) {
        this.settings = settings;
        this.store = store;
        this.vault = vault;
        this.audit = audit;
        this.identities = identities;
        this.mail = mail;
        this.clock = clock;
        this.tokenLabel = tokenLabel;
        this.urls = new CaUrls(settings.url());
        this.crls = new CrlPublisher(store, vault, urls, settings.crlValidity(), clock);
        this.scheduler = Executors.newScheduledThreadPool(1, runnable -> {
            Thread thread = new Thread(runnable, "letterlock-ca");
            thread.setDaemon(true);
            return thread;
        });
        // Re-signing due responses has threads of its own, so a wave of them never delays the CRL and revocation tasks;
        // when its queue is full, entries are signed on request once they expire.
        this.ocspRefresher = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000), runnable -> {
            Thread thread = new Thread(runnable, "letterlock-ocsp-refresh");
            thread.setDaemon(true);
            return thread;
        });
        this.ocsp = new OcspResponder(vault::signerUnderLease, vault::signerUnderLeaseWithoutWaiting, this::findForOcsp, settings.ocspValidity(), clock, ocspRefresher);
        this.revocationsSeenUntil = clock.instant();
    }

    /** The CA of a started platform: first start makes the hierarchy; every start checks responders and CRLs. */
    public static CertificateAuthority start(Letterlock platform, CertificateStore store) {
        CertificateAuthority ca = new CertificateAuthority(platform.config().ca(), store, platform.vault(),
                platform.auditLog(), platform.identities(), platform.mail(), platform.clock(), platform.config().vault().tokenLabel());
        try {
            ca.open();
            return ca;
        } catch (RuntimeException e) {
            ca.close();
            throw e;
        }
    }

    void open() {
        if (store.issuers().isEmpty() && !settings.externalRoot()) {
            atMostOnce("the root", this::createRoot);
        }
        for (IssuerRecord.Kind kind : ISSUING_KINDS) {
            // First start makes both; an installation from before the TLS issuing CA gets it at its next start, and one
            // whose first making failed half way gets another try. A CA that once had a certificate is replaced only
            // by a ca-admin's rollover (it may have been revoked on purpose).
            List<IssuerRecord> stored = store.issuers();
            boolean rootKeyHere = rootWithKey(stored).isPresent();
            if (rootKeyHere ? stored.stream().noneMatch(i -> i.kind() == kind && i.certificate().isPresent()) : stored.stream().noneMatch(i -> i.kind() == kind)) {
                atMostOnce("the first " + kind.label() + " CA", () -> makeIssuing(kind));
            }
        }
        reload();
        if (!issuersNow.active().containsKey(IssuerRecord.Kind.TLS_ISSUING)) {
            LOG.warning("no tls-issuing CA is active: TLS server certificates, the listeners' among them, are refused until it is (import its "
                    + "certificate, docs/ca.md); a listener certificate issued before stays in use only until its renewal is due");
        }
        int listed = store.listCompromisedKeys();
        if (listed > 0) {
            LOG.info("listed " + listed + " keys of certificates revoked for keyCompromise before the list existed; they are not certified again");
        }
        // A relay or vault hiccup in maintenance (expiry mail, responder renewal) must not keep the CA from starting.
        guarded("maintenance", this::maintain);
        scheduler.scheduleWithFixedDelay(() -> guarded("CRL publication", this::publishCrls), settings.crlInterval().toMillis(),
                settings.crlInterval().toMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded("CRL after revocation", this::publishDueDeltas), 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded("revocations from other nodes", this::followRevocations), 2, 2, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded("issuers changed by other nodes", this::followIssuers), 5, 5, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded("OCSP key use counts", vault::endExpiredSignatureLeases), 10, 10, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded("maintenance", this::maintain), 1, 1, TimeUnit.HOURS);
        // A thread of its own: on a large store this takes minutes, which the scheduler's one-second CRL task cannot wait.
        Thread keyHashes = new Thread(() -> guarded("filling the key hashes of older certificates (tried again at the next start)", this::fillKeyHashes),
                "letterlock-ca-key-hashes");
        keyHashes.setDaemon(true);
        keyHashes.start();
    }

    /** The root, when its key is in this vault (an internal root): it certifies new issuing CAs here. */
    private static Optional<IssuerRecord> rootWithKey(List<IssuerRecord> issuers) {
        return issuers.stream().filter(i -> i.kind() == IssuerRecord.Kind.ROOT && i.key().isPresent()).findFirst();
    }

    /** Of nodes starting at once, one makes it; the others (CONFLICT on its id) use theirs. */
    private static void atMostOnce(String what, Runnable make) {
        try {
            make.run();
        } catch (LetterlockException e) {
            if (e.type() != ErrorType.CONFLICT) {
                throw e;
            }
            LOG.info("another node made " + what + " at the same time; this one uses it");
        }
    }

    private void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "CA " + what + " failed; retried on the next run", e);
        }
    }

    // ---- hierarchy

    private void createRoot() {
        KeyUri rootKey = newKey("ca-root");
        X509CertificateHolder root = new IssuerHierarchy(vault, clock).createRoot(rootKey, settings.rootKeySpec(), new X500Name(settings.rootSubject()),
                ROOT_VALIDITY);
        store.insertIssuer(new IssuerRecord(ROOT_ID, IssuerRecord.Kind.ROOT, IssuerRecord.State.ACTIVE, Optional.of(rootKey), settings.rootSubject(),
                Optional.of(root), Optional.empty(), clock.instant(), Optional.empty(), Optional.empty()));
        audit.record("ca.issuer.create", "issuer:" + ROOT_ID, Outcome.ALLOWED, settings.rootSubject() + " " + settings.rootKeySpec().configName());
    }

    /** The issuing CA certificates are in the store too, under the root, so the root's CRL and OCSP can revoke them. */
    private void storeCaCertificate(String parentId, X509CertificateHolder certificate) {
        store.insertCertificate(new IssuedCertificate(certificate.getSerialNumber(), parentId, ISSUING_CA_PROFILE, Optional.empty(),
                certificate.getSubject().toString(), certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(), Certificates.der(certificate),
                Optional.empty(), SYSTEM, clock.instant(), Optional.empty()), KeyFamily.canonicalKeyHash(certificate.getSubjectPublicKeyInfo()), Optional.empty());
    }

    /** Vault names carry the time and a random tag: a start that died after making a key never blocks the next one. */
    private KeyUri newKey(String name) {
        return KeyUri.of(tokenLabel, name + "-" + clock.instant().getEpochSecond() + "-" + Integer.toHexString(KEY_TAGS.nextInt(0x1000000)));
    }

    private static final SecureRandom KEY_TAGS = new SecureRandom();

    private synchronized void reload() {
        List<IssuerRecord> all = store.issuers();
        Map<IssuerRecord.Kind, Active> active = new EnumMap<>(IssuerRecord.Kind.class);
        // Oldest first: of two ACTIVE of a kind (never left so by activate), the newer one issues.
        all.stream().filter(i -> i.issuing() && i.state() == IssuerRecord.State.ACTIVE)
                .forEach(i -> active.put(i.kind(), new Active(i, new Issuer(vault, i.requireKey(), i.requireCertificate(), policy(i.id()), clock))));
        issuersNow = new Issuers(all, Map.copyOf(active));
        ocsp.useIssuers(all);
    }

    /**
     * Signing an OCSP answer ahead is a speed-up only: the certificate (stored, or revoked) stands when it fails, and
     * with no answer in memory the next request signs one.
     */
    private static void presignAhead(IssuedCertificate certificate, Runnable presign) {
        try {
            presign.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not pre-sign the OCSP answer of " + certificate.serialHex() + "; it is signed on request", e);
        }
    }

    /**
     * The issuer of that kind that signs new certificates: UNAVAILABLE while there is none, or once it has expired (a
     * rollover is due).
     */
    private Active activeIssuer(IssuerRecord.Kind kind) {
        Active issuing = issuersNow.active().get(kind);
        if (issuing == null) {
            boolean rootKeyHere = rootWithKey(issuersNow.all()).isPresent();
            throw new LetterlockException(ErrorType.UNAVAILABLE, "no " + kind.label() + " CA is active: " + (rootKeyHere
                    ? "a ca-admin rolls over to make one (POST /api/ca/issuers/rollover?kind=" + kind.label() + ", docs/ca.md)"
                    : "it waits for its certificate from the external root (import it at /api/ca/issuers/{id}/certificate, docs/ca.md)"));
        }
        Instant notAfter = Asn1Times.instant(issuing.record().requireCertificate().toASN1Structure().getEndDate());
        if (!notAfter.isAfter(clock.instant())) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the issuing CA " + issuing.record().id() + " expired at " + notAfter
                    + "; a ca-admin rolls over to a new one (POST /api/ca/issuers/rollover?kind=" + kind.label() + ", docs/ca.md)");
        }
        return issuing;
    }

    /** TLS server certificates come from the TLS issuing CA, everything else from the mailbox one: one purpose per CA. */
    private static IssuerRecord.Kind issuingKind(CertificateProfile profile) {
        return profile.extendedKeyUsage().contains(KeyPurposeId.id_kp_serverAuth) ? IssuerRecord.Kind.TLS_ISSUING : IssuerRecord.Kind.ISSUING;
    }

    private IssuancePolicy policy(String issuerId) {
        return new IssuancePolicy(urls.crl(issuerId), urls.ocsp(), urls.caCertificate(issuerId),
                settings.policyOids().stream().map(ASN1ObjectIdentifier::new).toList(), settings.sbrPolicyOids());
    }

    /** Issuers that sign with a key here: they need a responder and CRLs. */
    private List<IssuerRecord> signingIssuers() {
        return issuersNow.all().stream().filter(i -> i.key().isPresent() && i.certificate().isPresent() && i.state() != IssuerRecord.State.PENDING).toList();
    }

    /**
     * Renews delegated OCSP responders that are missing or near expiry, and publishes missing or stale CRLs. One
     * issuer's failure is logged and leaves the others, the sweep and the expiry notices to run.
     */
    void maintain() {
        stopUsingRevokedOwnCertificates();
        boolean changed = false;
        Instant now = clock.instant();
        Instant renewBefore = now.plus(RESPONDER_RENEWAL);
        for (IssuerRecord issuer : signingIssuers()) {
            Instant issuerNotAfter = issuer.requireCertificate().getNotAfter().toInstant();
            Optional<Instant> responderNotAfter = issuer.ocspCertificate().map(c -> c.getNotAfter().toInstant());
            // A responder is capped at its issuer's notAfter: once it reaches it, a new one would last no longer.
            boolean due = responderNotAfter.isEmpty() || responderNotAfter.get().isBefore(renewBefore) && responderNotAfter.get().isBefore(issuerNotAfter);
            if (due && issuerNotAfter.isAfter(now)) {
                try {
                    createResponder(issuer);
                    changed = true;
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "could not renew the OCSP responder of " + issuer.id() + "; the next maintenance run tries again", e);
                }
            }
        }
        if (changed) {
            reload();
        }
        Instant staleBefore = now.plus(settings.crlInterval());
        for (IssuerRecord issuer : signingIssuers()) {
            try {
                Optional<CertificateStore.StoredCrl> full = store.crl(issuer.id(), false);
                if (full.isEmpty() || full.get().nextUpdate().isBefore(staleBefore)) {
                    crls.publishFull(issuer);
                    crls.publishDelta(issuer);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "could not publish the CRLs of " + issuer.id() + "; the next maintenance run tries again", e);
            }
        }
        try {
            revokeCertificatesOfCompromisedKeys();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "could not revoke the certificates of compromised keys; the next maintenance run tries again", e);
        }
        ocsp.sweep();
        sendExpiryNotices();
    }

    private void createResponder(IssuerRecord issuer) {
        KeyUri key = newKey("ca-ocsp-" + issuer.id());
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, RESPONDER_KEY_SPEC).getEncoded());
        Issuer signer = new Issuer(vault, issuer.requireKey(), issuer.requireCertificate(), policy(issuer.id()), clock);
        X509CertificateHolder certificate = signer.issue(Profiles.OCSP_SIGNING, publicKey, subject(BCStyle.CN, truncate("OCSP responder of " + commonName(issuer), 64)),
                List.of(), Set.of(), Duration.ofDays(Profiles.OCSP_SIGNING.maxValidityDays()));
        store.insertCertificate(fromHolder(certificate, issuer.id(), Profiles.OCSP_SIGNING.name(), Optional.empty(), Optional.empty(), SYSTEM),
                KeyFamily.canonicalKeyHash(publicKey), Optional.empty());
        store.setOcspResponder(issuer.id(), key, certificate);
        audit.record("ca.ocsp-responder.create", "issuer:" + issuer.id(), Outcome.ALLOWED, "serial " + IssuedCertificate.hex(certificate.getSerialNumber()));
    }

    private static String truncate(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length);
    }

    private static String commonName(IssuerRecord issuer) {
        return Arrays.stream(new X500Name(issuer.subject()).getRDNs(BCStyle.CN)).findFirst()
                .map(rdn -> rdn.getFirst().getValue().toString()).orElse(issuer.id());
    }

    /** All issuers, oldest first. */
    public List<IssuerRecord> issuers() {
        return issuersNow.all();
    }

    public Optional<IssuerRecord> issuer(String id) {
        return issuersNow.all().stream().filter(i -> i.id().equals(id)).findFirst();
    }

    /** The issuing CA's chain up to the root as far as it is known here, issuing CA first. */
    @Override
    public List<X509CertificateHolder> chain(String issuerId) {
        List<X509CertificateHolder> chain = new ArrayList<>();
        List<IssuerRecord> all = issuersNow.all();
        Optional<IssuerRecord> current = all.stream().filter(i -> i.id().equals(issuerId)).findFirst();
        while (current.isPresent() && current.get().certificate().isPresent()) {
            X509CertificateHolder certificate = current.get().certificate().get();
            chain.add(certificate);
            if (certificate.getSubject().equals(certificate.getIssuer())) {
                break;
            }
            current = all.stream().filter(i -> i.certificate().map(c -> c.getSubject().equals(certificate.getIssuer())).orElse(false)).findFirst();
        }
        return chain;
    }

    /**
     * Makes a new issuing CA of {@code kind} and retires the current one of that kind, which keeps signing CRLs and OCSP
     * responses for what it issued. With an internal root the new CA is active at once; with an external root it waits
     * for its certificate.
     */
    public synchronized IssuerRecord rollover(IssuerRecord.Kind kind, Requester requester) {
        requireRole(requester, "ca.issuer.rollover", "issuers", Role.CA_ADMIN);
        if (!kind.issuing()) {
            throw refuse("ca.issuer.rollover", "issuers", ErrorType.BAD_REQUEST, "only issuing CAs roll over (kind issuing or tls-issuing), not the root");
        }
        String id = makeIssuing(kind);
        reload();
        guarded("maintenance after rollover", this::maintain);
        return issuer(id).orElseThrow();
    }

    /**
     * Makes the next issuing CA of a kind: its id is taken in the store before the root signs anything, so of two nodes
     * doing this at once one gets a 409 and the root signs once. Certified and activated here when the root's key is
     * in this vault; otherwise left PENDING with its CSR for the external root.
     */
    private String makeIssuing(IssuerRecord.Kind kind) {
        // The store, not this node's copy: another node may have rolled over since this one last reloaded.
        List<IssuerRecord> all = store.issuers();
        int generation = all.stream().filter(i -> i.kind() == kind).mapToInt(i -> Integer.parseInt(i.id().substring(kind.label().length() + 1)))
                .max().orElse(0) + 1;
        String id = kind.label() + "-" + generation;
        String base = kind == IssuerRecord.Kind.TLS_ISSUING ? settings.tlsIssuingSubject() : settings.issuingSubject();
        String subject = generation == 1 ? base : base.replaceFirst("(?i)^(\\s*CN\\s*=\\s*)([^,]+)", "$1$2 " + generation);
        String action = generation == 1 ? "ca.issuer.create" : "ca.issuer.rollover";
        IssuerHierarchy hierarchy = new IssuerHierarchy(vault, clock, settings.permittedMailDomains());
        KeyUri key = newKey("ca-" + id);
        PKCS10CertificationRequest csr = hierarchy.requestIssuing(kind, key, settings.issuingKeySpec(), new X500Name(subject));
        try {
            store.insertIssuer(new IssuerRecord(id, kind, IssuerRecord.State.PENDING, Optional.of(key), subject, Optional.empty(),
                    Optional.of(encoded(csr)), clock.instant(), Optional.empty(), Optional.empty()));
        } catch (LetterlockException e) {
            throw e.type() == ErrorType.CONFLICT ? refuse(action, "issuer:" + id, ErrorType.CONFLICT, e.getMessage()) : e;
        }
        Optional<IssuerRecord> root = rootWithKey(all);
        if (root.isEmpty()) {
            audit.record("ca.issuer.request", "issuer:" + id, Outcome.ALLOWED, "CSR made for the external root; import the signed certificate");
            LOG.warning(id + " waits for its certificate from the external root: fetch its CSR at /api/ca/issuers/" + id + "/csr (docs/ca.md)");
            return id;
        }
        X509CertificateHolder certificate = null;
        try {
            certificate = hierarchy.certifyIssuing(kind, root.get().requireKey(), root.get().requireCertificate(), ROOT_ID, urls,
                    csr.getSubjectPublicKeyInfo(), new X500Name(subject), ISSUING_VALIDITY);
            // Stored before it signs anything, so that the root's CRL and OCSP can always revoke it.
            storeCaCertificate(ROOT_ID, certificate);
            audit.record("ca.issuer.create", "issuer:" + id, Outcome.ALLOWED, subject + " " + settings.issuingKeySpec().configName());
            activate(id, certificate, action);
        } catch (RuntimeException e) {
            abandon(id, Optional.ofNullable(certificate), e);
            throw e;
        }
        return id;
    }

    /**
     * A rollover that failed after taking its id: the issuer is retired unused, and a certificate the root signed for it
     * is revoked, so no CA certificate stays valid without an issuer behind it. Best effort: what fails here is logged.
     */
    private void abandon(String issuerId, Optional<X509CertificateHolder> certificate, RuntimeException cause) {
        try {
            certificate.ifPresent(c -> {
                if (store.revoke(c.getSerialNumber(), clock.instant(), RevocationReason.CESSATION_OF_OPERATION, SYSTEM)) {
                    crlsDue.add(ROOT_ID);
                    ocsp.forget(ROOT_ID, c.getSerialNumber());
                }
            });
            store.setState(issuerId, IssuerRecord.State.RETIRED);
            audit.record("ca.issuer.rollover", "issuer:" + issuerId, Outcome.FAILED, "abandoned, " + certificate.map(c -> "its certificate "
                    + IssuedCertificate.hex(c.getSerialNumber()) + " revoked: ").orElse("nothing signed: ") + cause.getMessage());
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            LOG.log(Level.SEVERE, "rollover to " + issuerId + " failed and could not be cleaned up: retire it and revoke its certificate by hand", e);
        }
    }

    private void activate(String issuerId, X509CertificateHolder certificate, String action) {
        List<String> retired;
        try {
            retired = store.activate(issuerId, certificate);
        } catch (LetterlockException e) {
            throw e.type() == ErrorType.CONFLICT ? refuse(action, "issuer:" + issuerId, ErrorType.CONFLICT, e.getMessage()) : e;
        }
        for (String previous : retired) {
            audit.record("ca.issuer.retire", "issuer:" + previous, Outcome.ALLOWED, "keeps serving CRL and OCSP; " + issuerId + " issues now");
        }
    }

    /**
     * Imports the certificate an external root signed for a pending issuing CA, with the chain above it. The
     * certificate must certify exactly the pending key as a CA that may sign certificates and CRLs, and verify under
     * the given issuer certificate.
     */
    public synchronized IssuerRecord importIssuingCertificate(String issuerId, List<X509CertificateHolder> chain, Requester requester) {
        requireRole(requester, "ca.issuer.import", "issuer:" + issuerId, Role.CA_ADMIN);
        IssuerRecord pending = issuer(issuerId).filter(i -> i.state() == IssuerRecord.State.PENDING)
                .orElseThrow(() -> refuse("ca.issuer.import", "issuer:" + issuerId, ErrorType.CONFLICT, "issuer " + issuerId + " is not waiting for a certificate"));
        if (chain.isEmpty()) {
            throw refuse("ca.issuer.import", "issuer:" + issuerId, ErrorType.BAD_REQUEST, "send the signed certificate, then the certificates above it up to the root");
        }
        X509CertificateHolder certificate = chain.get(0);
        SubjectPublicKeyInfo expected = SubjectPublicKeyInfo.getInstance(vault.publicKey(pending.requireKey()).getEncoded());
        List<String> problems = new ArrayList<>();
        if (!certificate.getSubjectPublicKeyInfo().equals(expected)) {
            problems.add("it certifies a different key than the CSR of " + issuerId);
        }
        BasicConstraints constraints = BasicConstraints.fromExtensions(certificate.getExtensions());
        if (constraints == null || !constraints.isCA()) {
            problems.add("it is not a CA certificate (basicConstraints cA is not set)");
        } else if (!certificate.getExtension(Extension.basicConstraints).isCritical()) {
            problems.add("its basicConstraints is not critical");
        }
        if (SubjectKeyIdentifier.fromExtensions(certificate.getExtensions()) == null) {
            problems.add("it has no subjectKeyIdentifier, which the certificates it issues name as their authorityKeyIdentifier");
        }
        KeyUsage usage = KeyUsage.fromExtensions(certificate.getExtensions());
        if (usage == null || !usage.hasUsages(KeyUsage.keyCertSign | KeyUsage.cRLSign)) {
            problems.add("its keyUsage lacks keyCertSign and cRLSign");
        }
        IssuerHierarchy.purposeProblem(pending.kind(), ExtendedKeyUsage.fromExtensions(certificate.getExtensions())).ifPresent(problems::add);
        if (!certificate.isValidOn(Date.from(clock.instant()))) {
            problems.add("it is not valid now");
        }
        problems.addAll(chainProblems(chain));
        if (!problems.isEmpty()) {
            throw refuse("ca.issuer.import", "issuer:" + issuerId, ErrorType.BAD_REQUEST, "the certificate cannot be used: " + String.join("; ", problems));
        }
        if (issuersNow.all().stream().noneMatch(i -> i.kind() == IssuerRecord.Kind.ROOT)) {
            X509CertificateHolder top = chain.get(chain.size() - 1);
            store.insertIssuer(new IssuerRecord(ROOT_ID, IssuerRecord.Kind.ROOT, IssuerRecord.State.ACTIVE, Optional.empty(), top.getSubject().toString(),
                    Optional.of(top), Optional.empty(), clock.instant(), Optional.empty(), Optional.empty()));
        }
        activate(issuerId, certificate, "ca.issuer.import");
        audit.record("ca.issuer.import", "issuer:" + issuerId, Outcome.ALLOWED, "signed by " + certificate.getIssuer());
        reload();
        guarded("maintenance after import", this::maintain);
        return issuer(issuerId).orElseThrow();
    }

    /**
     * Each certificate of an imported chain must verify under the next, up to a self-signed root; once a root is
     * stored, that one (its name and key: a reissued root serves as well).
     */
    private List<String> chainProblems(List<X509CertificateHolder> chain) {
        if (chain.size() < 2) {
            return List.of("the certificate of the root that signed it is missing");
        }
        for (int i = 0; i + 1 < chain.size(); i++) {
            if (!signedBy(chain.get(i), chain.get(i + 1))) {
                return List.of((i == 0 ? "its signature" : "the signature of " + chain.get(i).getSubject()) + " does not verify with " + chain.get(i + 1).getSubject());
            }
        }
        X509CertificateHolder top = chain.get(chain.size() - 1);
        if (!top.getSubject().equals(top.getIssuer()) || !signedBy(top, top)) {
            return List.of("its chain must end in the root's self-signed certificate, not in " + top.getSubject());
        }
        Optional<X509CertificateHolder> knownRoot = issuersNow.all().stream().filter(i -> i.kind() == IssuerRecord.Kind.ROOT)
                .flatMap(i -> i.certificate().stream()).findFirst();
        if (knownRoot.isPresent() && !(knownRoot.get().getSubject().equals(top.getSubject())
                && knownRoot.get().getSubjectPublicKeyInfo().equals(top.getSubjectPublicKeyInfo()))) {
            return List.of("its chain ends in " + top.getSubject() + ", not in the root imported before (" + knownRoot.get().getSubject() + ")");
        }
        return List.of();
    }

    private static boolean signedBy(X509CertificateHolder certificate, X509CertificateHolder issuer) {
        try {
            return certificate.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer));
        } catch (Exception e) {
            return false;
        }
    }

    // ---- issuance

    /** Issues a certificate from a CSR or a handed-over key, after checking the requester may have it. */
    @Override
    public IssuedCertificate issue(IssueRequest request, Requester requester) {
        CertificateProfile profile = Profiles.byName(request.profile()).filter(p -> REQUESTABLE.contains(p.name()))
                .orElseThrow(() -> refuse("ca.issue", "profile:" + request.profile(), ErrorType.BAD_REQUEST,
                        "unknown profile '" + request.profile() + "'; requestable profiles are " + REQUESTABLE.stream().sorted().toList()));
        Active issuing = activeIssuer(issuingKind(profile));
        SubjectPublicKeyInfo publicKey;
        List<String> requestedMailboxes = List.of();
        List<String> requestedHosts = List.of();
        if (request.csr().isPresent()) {
            CertificationRequest csr;
            try {
                csr = readRequest(request.csr().get());
            } catch (LetterlockException e) {
                throw refuse("ca.issue", "profile:" + profile.name(), e.type(), e.getMessage());
            }
            publicKey = csr.publicKey();
            requestedMailboxes = csr.mailboxes();
            requestedHosts = csr.hosts();
        } else {
            publicKey = request.publicKey().orElseThrow(() -> refuse("ca.issue", "profile:" + profile.name(), ErrorType.BAD_REQUEST,
                    "send a PKCS#10 certificate request (csr)"));
            // A key handed over without a CSR (escrow's, or one a protocol proved possession of itself, as CMP's CRMF) meets the same rules.
            try {
                CertificationRequest.checkKey(publicKey);
            } catch (LetterlockException e) {
                throw refuse("ca.issue", "profile:" + profile.name(), e.type(), e.getMessage());
            }
        }
        String keyHash = refuseCompromised(publicKey, profile);
        String target;
        List<String> names;
        X500Name subject;
        Optional<String> mailbox = Optional.empty();
        if (profile.names() == CertificateProfile.Names.MAILBOXES) {
            String address = mailboxOf(request, requestedMailboxes, profile);
            mailbox = Optional.of(address);
            target = "mailbox:" + address;
            authorizeMailbox(requester, address, "ca.issue");
            requireOnly(address, requestedMailboxes, profile);
            names = List.of(address);
            // RFC 5280 caps commonName at 64 characters; a longer address is named by the subjectAltName alone.
            subject = address.length() <= 64 ? subject(BCStyle.CN, address) : NO_SUBJECT;
        } else {
            requireRole(requester, "ca.issue", "profile:" + profile.name(), Role.RA_OFFICER, Role.CA_ADMIN);
            names = hostsOf(request.hosts().isEmpty() ? requestedHosts : request.hosts());
            target = "hosts:" + String.join(",", names);
            subject = names.get(0).length() <= 64 ? subject(BCStyle.CN, names.get(0)) : NO_SUBJECT;
        }
        Duration validity = validity(request, profile, target);
        Set<KeyUse> extra = request.nonRepudiation() ? EnumSet.of(KeyUse.NON_REPUDIATION) : EnumSet.noneOf(KeyUse.class);
        Optional<String> pairId = Optional.empty();
        Optional<String> newPair = Optional.empty();
        if (PAIRED.contains(profile.name())) {
            if (request.pairId().isPresent()) {
                String wanted = request.pairId().get();
                String pairMailbox = store.pairMailbox(wanted).orElseThrow(() -> refuse("ca.issue", target, ErrorType.NOT_FOUND, "no pair " + wanted));
                if (!pairMailbox.equals(mailbox.orElseThrow())) {
                    throw refuse("ca.issue", target, ErrorType.BAD_REQUEST, "pair " + wanted + " belongs to another mailbox");
                }
                if (store.pair(wanted).stream().anyMatch(c -> c.profile().equals(profile.name()))) {
                    throw refuse("ca.issue", target, ErrorType.CONFLICT, "pair " + wanted + " has a " + profile.name() + " certificate already; renew the pair instead");
                }
                pairId = Optional.of(wanted);
            } else {
                pairId = Optional.of(UUID.randomUUID().toString());
                newPair = mailbox;
            }
        } else if (request.pairId().isPresent()) {
            throw refuse("ca.issue", target, ErrorType.BAD_REQUEST, "only mailbox-signing and mailbox-encryption certificates form pairs");
        }
        // The two key uses (certificate, OCSP response) are recorded behind the one ca.issue record: one commit, not three.
        List<CompletableFuture<AuditRecord>> keyUses = new ArrayList<>(2);
        Function<KeyUri, ContentSigner> signers = key -> vault.signerRecordedLater(key, keyUses);
        X509CertificateHolder certificate;
        try {
            certificate = issuing.issuer().issue(profile, publicKey, subject, names, extra, validity, signers);
        } catch (LetterlockException e) {
            throw refuse("ca.issue", target, e.type(), e.getMessage());
        }
        IssuedCertificate issued = fromHolder(certificate, issuing.record().id(), profile.name(), mailbox, pairId, requester.name());
        try {
            store.insertCertificate(issued, keyHash, newPair);
        } catch (LetterlockException e) {
            throw e.type() == ErrorType.CONFLICT ? refuse("ca.issue", target, e.type(), e.getMessage()) : e;
        }
        mailbox.ifPresent(published::forget);
        presignAhead(issued, () -> ocsp.presign(issuing.record(), issued, signers));
        audit.record("ca.issue", "certificate:" + issued.serialHex(), Outcome.ALLOWED, profile.id() + " " + target
                + pairId.map(p -> " pair " + p).orElse("") + " by " + issuing.record().id());
        keyUses.forEach(CompletableFuture::join);
        return issued;
    }

    /**
     * S/MIME BR 6.1.1.3: a key once revoked for keyCompromise is not certified again, in whatever encoding it comes.
     * Returns the key's canonical hash, which the certificate is stored with.
     */
    private String refuseCompromised(SubjectPublicKeyInfo publicKey, CertificateProfile profile) {
        String keyHash = KeyFamily.canonicalKeyHash(publicKey);
        store.compromisedKey(keyHash).ifPresent(serial -> {
            throw refuse("ca.issue", "profile:" + profile.name(), ErrorType.BAD_REQUEST, "this public key was revoked for key compromise (certificate "
                    + IssuedCertificate.hex(serial) + "): make a new key pair");
        });
        return keyHash;
    }

    /**
     * A certificate request as the CA reads it ({@link CertificationRequest#read(byte[])}), its proof of possession checked
     * by the vault: on SoftHSM2 an EC signature is checked by the token's OpenSSL, 2.5x Bouncy Castle's rate.
     */
    public CertificationRequest readRequest(byte[] csr) {
        return CertificationRequest.read(csr, vault::verifier);
    }

    private String mailboxOf(IssueRequest request, List<String> inCsr, CertificateProfile profile) {
        String address;
        if (request.mailbox().isPresent()) {
            address = normalise(request.mailbox().get(), profile);
        } else if (inCsr.size() == 1) {
            address = normalise(inCsr.get(0), profile);
        } else {
            throw refuse("ca.issue", "profile:" + profile.name(), ErrorType.BAD_REQUEST, "name the mailbox: a " + profile.name() + " certificate is for exactly one address");
        }
        return address;
    }

    /** Checked after the requester's right to the mailbox, so a refused requester learns nothing about the request. */
    private void requireOnly(String address, List<String> inCsr, CertificateProfile profile) {
        for (String named : inCsr) {
            if (!normalise(named, profile).equals(address)) {
                throw refuse("ca.issue", "mailbox:" + address, ErrorType.BAD_REQUEST,
                        "the CSR names the address " + named + ", which is not the mailbox " + address + " this certificate is for");
            }
        }
    }

    private String normalise(String address, CertificateProfile profile) {
        try {
            return MailAddress.normalise(address);
        } catch (LetterlockException e) {
            throw refuse("ca.issue", "profile:" + profile.name(), ErrorType.BAD_REQUEST, e.getMessage());
        }
    }

    private List<String> hostsOf(List<String> hosts) {
        if (hosts.isEmpty()) {
            throw refuse("ca.issue", "profile:tls-server", ErrorType.BAD_REQUEST, "name the host names (dNSName) of the mail host");
        }
        List<String> normalised = new ArrayList<>();
        for (String host : hosts) {
            String ascii;
            try {
                ascii = IDN.toASCII(host.trim(), IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw refuse("ca.issue", "host:" + host, ErrorType.BAD_REQUEST, "'" + host + "' is not a host name");
            }
            if (!ascii.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")) {
                throw refuse("ca.issue", "host:" + host, ErrorType.BAD_REQUEST, "'" + host + "' is not a fully qualified host name (no wildcards, no IP addresses)");
            }
            normalised.add(ascii);
        }
        return normalised.stream().distinct().toList();
    }

    private Duration validity(IssueRequest request, CertificateProfile profile, String target) {
        int max = Math.min(settings.maxValidityDays(), profile.maxValidityDays());
        int days = request.validityDays().orElse(Math.min(settings.validityDays(), max));
        if (days < 1 || days > max) {
            throw refuse("ca.issue", target, ErrorType.BAD_REQUEST, "validity must be 1 to " + max + " days for " + profile.name() + ", got " + days);
        }
        return Duration.ofDays(days);
    }

    /** An owner may act on a mailbox registered to their account and verified; an RA officer on any mailbox. */
    @Override
    public void authorizeMailbox(Requester requester, String address, String action) {
        if (requester.has(Role.RA_OFFICER)) {
            return;
        }
        if (requester.has(Role.MAILBOX_OWNER)) {
            Optional<MailboxIdentity> identity = identities.find(address);
            if (identity.isEmpty() || !identity.get().owner().equals(requester.name())) {
                throw refuse(action, "mailbox:" + address, ErrorType.FORBIDDEN, address + " is not a mailbox of " + requester.name());
            }
            if (!identity.get().verified()) {
                throw refuse(action, "mailbox:" + address, ErrorType.FORBIDDEN, address + " is not verified yet: confirm the link mailed to it first");
            }
            return;
        }
        throw refuse(action, "mailbox:" + address, ErrorType.FORBIDDEN, "this needs role ra-officer, or mailbox-owner of " + address);
    }

    private void requireRole(Requester requester, String action, String target, Role... roles) {
        if (Arrays.stream(roles).noneMatch(requester::has)) {
            throw refuse(action, target, ErrorType.FORBIDDEN, "this needs one of the roles " + Arrays.stream(roles).map(Role::id).toList());
        }
    }

    /** Audits a refusal and returns the error to throw. */
    private LetterlockException refuse(String action, String target, ErrorType type, String message) {
        return audit.refusal(action, target, type, message);
    }

    private IssuedCertificate fromHolder(X509CertificateHolder certificate, String issuerId, String profile, Optional<String> mailbox, Optional<String> pairId,
                                         String requestedBy) {
        org.bouncycastle.asn1.x509.Certificate structure = certificate.toASN1Structure();
        return new IssuedCertificate(certificate.getSerialNumber(), issuerId, profile, mailbox, certificate.getSubject().toString(),
                Asn1Times.instant(structure.getStartDate()), Asn1Times.instant(structure.getEndDate()), Certificates.der(certificate), pairId, requestedBy, clock.instant(),
                Optional.empty());
    }

    private static X500Name subject(ASN1ObjectIdentifier attribute, String value) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(attribute, value).build();
    }

    @Override
    public void requireIssuing() {
        activeIssuer(IssuerRecord.Kind.ISSUING);
    }

    @Override
    public IssuedCertificate issueRecoveryCertificate(SubjectPublicKeyInfo publicKey, String commonName) {
        return issueToSystem(Profiles.KRA_TRANSPORT, publicKey, truncate(commonName, 64), List.of(), Duration.ofDays(Profiles.KRA_TRANSPORT.maxValidityDays()));
    }

    /**
     * A tls-server certificate for Letterlock's own listeners, for host names and address literals: the CA issues it to
     * itself, so the API's rule that hosts be fully qualified names does not apply (a listener on 127.0.0.1 is named so).
     */
    IssuedCertificate issueListenerCertificate(SubjectPublicKeyInfo publicKey, List<String> hosts, Duration validity) {
        return issueToSystem(Profiles.TLS_SERVER, publicKey, hosts.get(0).length() <= 64 ? hosts.get(0) : null, hosts, validity);
    }

    /**
     * A mailbox-signing certificate for a key Letterlock itself holds (the mail gateway's organisation signature) and
     * an address of the organisation: the newest unrevoked one the CA issued to itself for that key and address with
     * more than a third of its life left, else a new one valid for {@code validity}.
     */
    public synchronized IssuedCertificate systemSigningCertificate(SubjectPublicKeyInfo publicKey, String address, Duration validity) {
        String mailbox = MailAddress.normalise(address);
        Instant now = clock.instant();
        return systemCertificates(publicKey, Profiles.MAILBOX_SIGNING).stream()
                .filter(c -> mailAddresses(c).equals(List.of(mailbox)) && c.notBefore().isBefore(now)
                        && Duration.between(now, c.notAfter()).compareTo(Duration.between(c.notBefore(), c.notAfter()).dividedBy(3)) > 0)
                .findFirst()
                .orElseGet(() -> issueToSystem(Profiles.MAILBOX_SIGNING, publicKey, mailbox, List.of(mailbox), validity));
    }

    /** The unrevoked tls-server certificates the CA issued to itself for {@code publicKey}, newest first. */
    List<IssuedCertificate> listenerCertificates(SubjectPublicKeyInfo publicKey) {
        return systemCertificates(publicKey, Profiles.TLS_SERVER);
    }

    /**
     * The unrevoked certificates of {@code profile} the CA issued to itself for {@code publicKey}, newest first: found
     * by the key's hash, not among the profile's first rows, which an organisation's own certificates soon outnumber.
     */
    private List<IssuedCertificate> systemCertificates(SubjectPublicKeyInfo publicKey, CertificateProfile profile) {
        byte[] key = Certificates.der(publicKey);
        return store.unrevokedWithKey(KeyFamily.canonicalKeyHash(publicKey)).stream()
                .filter(c -> c.profile().equals(profile.name()) && c.requestedBy().equals(SYSTEM)
                        && Arrays.equals(Certificates.der(c.holder().getSubjectPublicKeyInfo()), key))
                .sorted(java.util.Comparator.comparing(IssuedCertificate::notBefore).reversed())
                .toList();
    }

    /** The rfc822Names of a certificate's subjectAltName, normalised. */
    private static List<String> mailAddresses(IssuedCertificate certificate) {
        org.bouncycastle.asn1.x509.GeneralNames names = org.bouncycastle.asn1.x509.GeneralNames.fromExtensions(certificate.holder().getExtensions(),
                Extension.subjectAlternativeName);
        if (names == null) {
            return List.of();
        }
        return java.util.Arrays.stream(names.getNames()).filter(n -> n.getTagNo() == org.bouncycastle.asn1.x509.GeneralName.rfc822Name)
                .map(n -> MailAddress.normalise(n.getName().toString())).toList();
    }

    private IssuedCertificate issueToSystem(CertificateProfile profile, SubjectPublicKeyInfo publicKey, String commonName, List<String> names, Duration validity) {
        Active issuing = activeIssuer(issuingKind(profile));
        X509CertificateHolder certificate = issuing.issuer().issue(profile, publicKey, commonName == null ? NO_SUBJECT : subject(BCStyle.CN, commonName), names,
                Set.of(), validity);
        IssuedCertificate issued = fromHolder(certificate, issuing.record().id(), profile.name(), Optional.empty(), Optional.empty(), SYSTEM);
        store.insertCertificate(issued, KeyFamily.canonicalKeyHash(publicKey), Optional.empty());
        presignAhead(issued, () -> ocsp.presign(issuing.record(), issued));
        audit.record("ca.issue", "certificate:" + issued.serialHex(), Outcome.ALLOWED, profile.id() + " "
                + (names.isEmpty() ? commonName : "hosts:" + String.join(",", names)) + " by " + issuing.record().id());
        return issued;
    }

    // ---- reading

    @Override
    public List<IssuedCertificate> publishedFor(String mailbox) {
        String address;
        try {
            address = MailAddress.normalise(mailbox);
        } catch (LetterlockException e) {
            return List.of();
        }
        Instant now = clock.instant();
        return published.get(address, now, this::publishable).stream().filter(c -> c.notAfter().isAfter(now) && !c.notBefore().isAfter(now))
                .sorted(java.util.Comparator.comparing(IssuedCertificate::notBefore).reversed()).toList();
    }

    /** The mailbox's unrevoked certificates of the mail profiles, if it is verified; whether they are valid now is asked at each read. */
    private List<IssuedCertificate> publishable(String address) {
        if (identities.find(address).map(i -> !i.verified()).orElse(true)) {
            return List.of();
        }
        Set<String> mailProfiles = Set.of(Profiles.MAILBOX_SIGNING.name(), Profiles.MAILBOX_ENCRYPTION.name(), Profiles.MAILBOX_MULTIPURPOSE.name());
        return store.search(address, null, false, 100).stream().filter(c -> mailProfiles.contains(c.profile())).toList();
    }

    @Override
    public Optional<IssuedCertificate> find(BigInteger serial) {
        return store.certificate(serial);
    }

    public IssuedCertificate certificate(BigInteger serial, Requester requester) {
        IssuedCertificate certificate = store.certificate(serial).orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "no certificate with serial "
                + IssuedCertificate.hex(serial)));
        if (!requester.has(Role.RA_OFFICER) && !requester.has(Role.CA_ADMIN) && !requester.has(Role.AUDITOR)) {
            authorizeMailbox(requester, certificate.mailbox().orElse("(none)"), "ca.read");
        }
        return certificate;
    }

    public List<IssuedCertificate> search(String mailbox, String profile, Boolean revoked, int limit, Requester requester) {
        if (limit < 1 || limit > 1000) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "limit must be 1 to 1000");
        }
        String address = mailbox == null ? null : MailAddress.normalise(mailbox);
        if (!requester.has(Role.RA_OFFICER) && !requester.has(Role.CA_ADMIN) && !requester.has(Role.AUDITOR)) {
            if (address == null) {
                throw refuse("ca.search", "certificates", ErrorType.FORBIDDEN, "a mailbox-owner searches one of their own mailboxes: add mailbox=...");
            }
            authorizeMailbox(requester, address, "ca.search");
        }
        return store.search(address, profile, revoked, limit);
    }

    /** The certificates of a pair, oldest first. */
    public List<IssuedCertificate> pair(String pairId, Requester requester) {
        String mailbox = store.pairMailbox(pairId).orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "no pair " + pairId));
        if (!requester.has(Role.RA_OFFICER) && !requester.has(Role.CA_ADMIN) && !requester.has(Role.AUDITOR)) {
            authorizeMailbox(requester, mailbox, "ca.read");
        }
        return store.pair(pairId);
    }

    // ---- revocation

    /**
     * Revokes a certificate; with {@code withPair}, the other certificates of its pair too (what a keyCompromise of a
     * mailbox usually needs). Returns every certificate this call revoked.
     */
    @Override
    public List<IssuedCertificate> revoke(BigInteger serial, RevocationReason reason, boolean withPair, Requester requester) {
        IssuedCertificate certificate = store.certificate(serial).orElseThrow(() -> refuse("ca.revoke", "certificate:" + IssuedCertificate.hex(serial),
                ErrorType.NOT_FOUND, "no certificate with serial " + IssuedCertificate.hex(serial)));
        authorizeRevocation(certificate, requester);
        checkReason(certificate, reason, requester);
        List<IssuedCertificate> targets = new ArrayList<>();
        if (!certificate.revoked()) {
            targets.add(certificate);
        }
        // With the pair, a second call still revokes a partner the first one did not reach.
        if (withPair && certificate.pairId().isPresent()) {
            store.pair(certificate.pairId().get()).stream().filter(c -> !c.revoked() && !c.serial().equals(serial)).forEach(targets::add);
        }
        if (targets.isEmpty()) {
            throw refuse("ca.revoke", "certificate:" + certificate.serialHex(), ErrorType.CONFLICT, "certificate " + certificate.serialHex() + " was revoked already on "
                    + certificate.revocation().get().at());
        }
        return readableBy(requester, revokeAll(targets, reason, requester.name(), ""));
    }

    /** Revokes every unrevoked certificate of a pair. */
    public List<IssuedCertificate> revokePair(String pairId, RevocationReason reason, Requester requester) {
        List<IssuedCertificate> members = pair(pairId, requester);
        for (IssuedCertificate member : members) {
            authorizeRevocation(member, requester);
            checkReason(member, reason, requester);
        }
        return readableBy(requester, revokeAll(members.stream().filter(c -> !c.revoked()).toList(), reason, requester.name(), ""));
    }

    private void authorizeRevocation(IssuedCertificate certificate, Requester requester) {
        String target = "certificate:" + certificate.serialHex();
        if (certificate.profile().equals(ISSUING_CA_PROFILE) || certificate.profile().equals(Profiles.OCSP_SIGNING.name())) {
            requireRole(requester, "ca.revoke", target, Role.CA_ADMIN);
        } else if (certificate.mailbox().isPresent()) {
            if (!requester.has(Role.CA_ADMIN)) {
                authorizeMailbox(requester, certificate.mailbox().get(), "ca.revoke");
            }
        } else {
            requireRole(requester, "ca.revoke", target, Role.CA_ADMIN, Role.RA_OFFICER);
        }
    }

    /**
     * What a revocation answers its requester: a compromised key's certificates for other mailboxes were revoked too
     * (and audited), but an owner sees only their own, as a read would show them.
     */
    private List<IssuedCertificate> readableBy(Requester requester, List<IssuedCertificate> revoked) {
        if (requester.has(Role.RA_OFFICER) || requester.has(Role.CA_ADMIN) || requester.has(Role.AUDITOR)) {
            return revoked;
        }
        return revoked.stream().filter(c -> c.mailbox().flatMap(identities::find).map(i -> i.owner().equals(requester.name())).orElse(false)).toList();
    }

    /**
     * cACompromise names a CA's key (RFC 5280), so only a CA certificate gets it; the Baseline Requirements (7.2.2)
     * allow a subscriber certificate keyCompromise, affiliationChanged, superseded, cessationOfOperation and
     * privilegeWithdrawn, and the last is the CA's finding, not the owner's to give.
     */
    private void checkReason(IssuedCertificate certificate, RevocationReason reason, Requester requester) {
        String target = "certificate:" + certificate.serialHex();
        if (reason == RevocationReason.CA_COMPROMISE && !certificate.profile().equals(ISSUING_CA_PROFILE)) {
            throw refuse("ca.revoke", target, ErrorType.BAD_REQUEST, "cACompromise is for CA certificates; certificate " + certificate.serialHex()
                    + " is not one (a leaked key of its own is keyCompromise)");
        }
        if (!reason.subscriberMayGive() && !requester.has(Role.RA_OFFICER) && !requester.has(Role.CA_ADMIN)) {
            throw refuse("ca.revoke", target, ErrorType.FORBIDDEN, reason.rfcName() + " is given by an ra-officer or ca-admin; an owner gives one of "
                    + RevocationReason.subscriberCodes());
        }
    }

    /**
     * Revokes each target not revoked yet, with its follow-ups; {@code why} ends each audit record. A key revoked for
     * keyCompromise takes every other certificate that carries it along (S/MIME BR 4.9.1.1), whoever's they are: only a
     * holder of the key could have had them certified.
     */
    private List<IssuedCertificate> revokeAll(List<IssuedCertificate> targets, RevocationReason reason, String by, String why) {
        Instant now = clock.instant();
        List<IssuedCertificate> revoked = new ArrayList<>();
        for (IssuedCertificate target : targets) {
            if (store.revoke(target.serial(), now, reason, by)) {
                crlsDue.add(target.issuerId());
                ocsp.forget(target.issuerId(), target.serial());
                target.mailbox().ifPresent(published::forget);
                audit.record("ca.revoke", "certificate:" + target.serialHex(), Outcome.ALLOWED, reason.rfcName()
                        + target.mailbox().map(m -> " mailbox:" + m).orElse("") + target.pairId().map(p -> " pair " + p).orElse("") + why);
                revoked.add(store.certificate(target.serial()).orElseThrow());
            }
        }
        stopUsingRevoked(revoked);
        for (IssuedCertificate target : revoked) {
            presignAhead(target, () -> issuer(target.issuerId()).ifPresent(i -> ocsp.presign(i, target)));
        }
        if (reason == RevocationReason.KEY_COMPROMISE) {
            for (IssuedCertificate compromised : List.copyOf(revoked)) {
                // The hash from the certificate itself: a row stored before hashes were kept has none yet.
                String keyHash = KeyFamily.canonicalKeyHash(compromised.holder().getSubjectPublicKeyInfo());
                revoked.addAll(revokeAll(store.unrevokedWithKey(keyHash), reason, by, "; same key as certificate " + compromised.serialHex()));
            }
        }
        return revoked;
    }

    /**
     * Revokes what carries a key listed as compromised but escaped the revocation that listed it: certificates stored
     * before their key hashes were kept, or issued while the key was being revoked on another node.
     */
    void revokeCertificatesOfCompromisedKeys() {
        List<IssuedCertificate> found;
        while (!(found = store.unrevokedWithCompromisedKeys(COMPROMISED_SWEEP_BATCH)).isEmpty()) {
            revokeAll(found, RevocationReason.KEY_COMPROMISE, SYSTEM, "; its key was revoked for keyCompromise before");
        }
    }

    /** Fills the key hashes of certificates stored before they were kept, then revokes what carries a compromised key among them. */
    private void fillKeyHashes() {
        int filled = store.fillKeyHashes(KEY_HASH_BATCH);
        if (filled > 0) {
            LOG.info("kept the key hashes of " + filled + " certificates stored before they were kept");
        }
        revokeCertificatesOfCompromisedKeys();
    }

    /**
     * An issuing CA or responder certificate revoked in the store while this CA still uses it: the revocation's own
     * follow-up (stopUsingRevoked) failed, or ran on a node that died. Retires or replaces it now.
     */
    private void stopUsingRevokedOwnCertificates() {
        List<IssuedCertificate> revoked = new ArrayList<>();
        for (IssuerRecord issuer : signingIssuers()) {
            Stream.of(issuer.certificate(), issuer.ocspCertificate()).flatMap(Optional::stream)
                    .flatMap(own -> store.certificate(own.getSerialNumber()).stream()).filter(IssuedCertificate::revoked).forEach(revoked::add);
        }
        if (!revoked.isEmpty()) {
            try {
                stopUsingRevoked(revoked);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "could not stop using the revoked certificates " + revoked.stream().map(IssuedCertificate::serialHex).toList()
                        + "; the next maintenance run tries again", e);
            }
        }
    }

    /**
     * A revoked issuing CA issues nothing more (it is retired: CRLs and OCSP go on; a rollover makes the next one), and a
     * revoked responder certificate is replaced at once.
     */
    private void stopUsingRevoked(List<IssuedCertificate> revoked) {
        boolean changed = false;
        for (IssuedCertificate certificate : revoked) {
            for (IssuerRecord issuer : issuersNow.all()) {
                if (issuer.certificate().map(c -> c.getSerialNumber().equals(certificate.serial())).orElse(false) && issuer.state() == IssuerRecord.State.ACTIVE) {
                    store.setState(issuer.id(), IssuerRecord.State.RETIRED);
                    audit.record("ca.issuer.retire", "issuer:" + issuer.id(), Outcome.ALLOWED, "its certificate was revoked; roll over to issue again");
                    changed = true;
                }
                if (issuer.ocspCertificate().map(c -> c.getSerialNumber().equals(certificate.serial())).orElse(false)) {
                    createResponder(issuer);
                    changed = true;
                }
            }
        }
        if (changed) {
            reload();
        }
    }

    /**
     * Renews a pair: a new pair for the same mailbox with a new signing certificate from the client's CSR and, until
     * escrow makes encryption keys, a new encryption certificate from the encryption CSR if one is sent.
     */
    public List<IssuedCertificate> renewPair(String pairId, byte[] signingCsr, Optional<byte[]> encryptionCsr, Requester requester) {
        List<IssuedCertificate> old = pair(pairId, requester);
        String mailbox = store.pairMailbox(pairId).orElseThrow();
        // Both requests are checked (syntax, key type, addresses, compromised keys) before anything is issued, so a bad
        // encryption CSR leaves no half-renewed pair.
        Map<CertificateProfile, byte[]> requests = new LinkedHashMap<>();
        requests.put(Profiles.MAILBOX_SIGNING, signingCsr);
        encryptionCsr.ifPresent(csr -> requests.put(Profiles.MAILBOX_ENCRYPTION, csr));
        requests.forEach((profile, csr) -> {
            CertificationRequest request;
            try {
                request = readRequest(csr);
                Issuer.requireCertifiable(profile, request.publicKey());
            } catch (LetterlockException e) {
                throw refuse("ca.pair.renew", "pair:" + pairId, e.type(), e.getMessage());
            }
            requireOnly(mailbox, request.mailboxes(), profile);
            refuseCompromised(request.publicKey(), profile);
        });
        boolean nonRepudiation = old.stream().filter(c -> c.profile().equals(Profiles.MAILBOX_SIGNING.name())).findFirst()
                .map(c -> KeyUsage.fromExtensions(c.holder().getExtensions()).hasUsages(KeyUsage.nonRepudiation)).orElse(false);
        IssuedCertificate signing = issue(new IssueRequest(Profiles.MAILBOX_SIGNING.name(), Optional.of(signingCsr), Optional.empty(), Optional.of(mailbox),
                List.of(), Optional.empty(), OptionalInt.empty(), nonRepudiation), requester);
        List<IssuedCertificate> renewed = new ArrayList<>(List.of(signing));
        encryptionCsr.ifPresent(csr -> renewed.add(issue(IssueRequest.mailbox(Profiles.MAILBOX_ENCRYPTION.name(), csr, mailbox).inPair(signing.pairId().orElseThrow()),
                requester)));
        audit.record("ca.pair.renew", "pair:" + pairId, Outcome.ALLOWED, "renewed as pair " + signing.pairId().orElseThrow());
        return renewed;
    }

    // ---- CRLs and OCSP

    public OcspResponder ocsp() {
        return ocsp;
    }

    private Optional<IssuedCertificate> findForOcsp(BigInteger serial) {
        return store.certificate(serial);
    }

    /** The last signed full or delta CRL of an issuer. */
    public Optional<CertificateStore.StoredCrl> crl(String issuerId, boolean delta) {
        return store.crl(issuerId, delta);
    }

    /** Signs new full and delta CRLs for every issuer now, at an admin's request, which is recorded. */
    public void publishAllCrls() {
        List<String> published = publishCrls();
        // The CRLs' own vault.sign records say what was signed; this one who asked for it.
        audit.record("ca.crl.publish", "issuers", Outcome.ALLOWED, "full and delta CRLs of " + published);
    }

    /** Signs new full and delta CRLs for every issuer; returns the issuers' ids. */
    private List<String> publishCrls() {
        List<String> published = new ArrayList<>();
        for (IssuerRecord issuer : signingIssuers()) {
            crls.publishFull(issuer);
            crls.publishDelta(issuer);
            crlsDue.remove(issuer.id());
            published.add(issuer.id());
        }
        return published;
    }

    private void publishDueDeltas() {
        for (IssuerRecord issuer : signingIssuers()) {
            if (crlsDue.remove(issuer.id())) {
                crls.publishDelta(issuer);
            }
        }
    }

    /** Other nodes revoke too: their revocations drop this node's cached OCSP responses within seconds. */
    private void followRevocations() {
        Instant until = clock.instant();
        // A minute of overlap covers clocks that disagree and commits that land late; answers already saying
        // "revoked" are left alone, so seeing a revocation again costs nothing.
        for (CertificateStore.RecentRevocation revocation : store.revokedSince(revocationsSeenUntil.minus(REVOCATION_OVERLAP))) {
            ocsp.forgetUnlessRevoked(revocation.issuerId(), revocation.serial());
            published.forgetCertificate(revocation.serial());
        }
        revocationsSeenUntil = until;
    }

    /** Another node's rollover, import or responder renewal: reload when the stored issuers differ from ours. */
    private void followIssuers() {
        List<IssuerRecord> stored = store.issuers();
        if (!fingerprint(stored).equals(fingerprint(issuersNow.all()))) {
            reload();
        }
    }

    private static List<String> fingerprint(List<IssuerRecord> records) {
        return records.stream().map(i -> i.id() + "/" + i.state() + "/" + i.certificate().map(c -> c.getSerialNumber().toString(16)).orElse("-")
                + "/" + i.ocspCertificate().map(c -> c.getSerialNumber().toString(16)).orElse("-")).toList();
    }

    // ---- expiry

    /** Mails owners whose certificates expire within the configured days, once per notice. */
    void sendExpiryNotices() {
        List<Integer> days = settings.expiryNoticeDays();
        Instant now = clock.instant();
        for (int index = days.size(); index >= 1; index--) {
            int notice = index;
            for (IssuedCertificate certificate : store.expiring(now, now.plus(Duration.ofDays(days.get(index - 1))), notice, 1000)) {
                if (store.noticeSent(certificate.serial(), notice)) {
                    try {
                        mailNotice(certificate, now);
                    } catch (RuntimeException e) {
                        // Given back, so the next run tries again; the others still go out.
                        store.releaseNotice(certificate.serial(), notice);
                        LOG.log(Level.WARNING, "expiry notice for " + certificate.serialHex() + " not sent; retried on the next run", e);
                    }
                }
            }
        }
    }

    private void mailNotice(IssuedCertificate certificate, Instant now) {
        String mailbox = certificate.mailbox().orElseThrow();
        long left = Math.max(0, (Duration.between(now, certificate.notAfter()).toSeconds() + 86_399) / 86_400);
        mail.send(mailbox, "Your " + certificate.profile() + " certificate for " + mailbox + " expires on " + DAY.format(certificate.notAfter()),
                "Your certificate for " + mailbox + " (" + certificate.profile() + ", serial " + certificate.serialHex() + ") expires in " + left
                        + " days, on " + DAY.format(certificate.notAfter()) + ".\n\n"
                        + "Renew it before then so that you can keep signing and reading encrypted mail: run letterlock-enroll, or ask your "
                        + "administrator" + certificate.pairId().map(p -> " to renew pair " + p).orElse("") + ".\n");
        audit.record("ca.expiry-notice", "certificate:" + certificate.serialHex(), Outcome.ALLOWED, left + " days left");
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        ocspRefresher.shutdownNow();
    }

    private static byte[] encoded(PKCS10CertificationRequest csr) {
        try {
            return csr.getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a certificate request", e);
        }
    }
}
