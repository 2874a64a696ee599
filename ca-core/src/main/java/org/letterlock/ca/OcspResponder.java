package org.letterlock.ca;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Null;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.ocsp.CertStatus;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.ocsp.SingleResponse;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcDigestCalculatorProvider;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.VaultException;

/**
 * OCSP (RFC 6960) in the lightweight profile (RFC 5019). Responses without a nonce are signed ahead, kept in memory
 * and re-signed in the background once half their validity has passed, so the common request costs a map lookup;
 * a request with a nonce is signed for that request. Every response is signed by the issuer's delegated responder
 * (ocsp-signing profile, id-pkix-ocsp-nocheck). Serials an issuer never issued are answered "unknown" from a small
 * cache of their own, so random serials can neither fill memory nor make every request a signature.
 */
public final class OcspResponder {
    /** Responses kept in memory at most; beyond it the least useful are dropped and signed again when asked for. */
    static final int MAX_CACHED = 100_000;
    /** "unknown" answers kept: enough to absorb a scan of random serials without a signature per request. */
    static final int MAX_UNKNOWN = 10_000;
    /** Requests signed on demand at once; more wait up to {@link #SIGNING_WAIT_MILLIS}, then get tryLater. */
    static final int MAX_SIGNING_AT_ONCE = 32;
    static final long SIGNING_WAIT_MILLIS = 200;
    /** RFC 8954: a nonce longer than 32 octets is refused. */
    static final int MAX_NONCE = 32;
    /** A request with more than this many CertIDs is refused: each one costs a lookup. */
    static final int MAX_REQUESTS = 20;
    public static final int MAX_REQUEST_BYTES = 10 * 1024;
    /** A plain request is about 80 bytes (SHA-1 CertID) to 110 (SHA-256); larger ones are answered but not remembered. */
    static final int MAX_REMEMBERED_BYTES = 256;
    /** CertID hash algorithms answered: SHA-1 (what RFC 5019 clients send) and SHA-256. */
    private static final List<ASN1ObjectIdentifier> HASHES = List.of(OIWObjectIdentifiers.idSHA1, NISTObjectIdentifiers.id_sha256);
    private static final boolean[] BOTH = {false, true};
    /** A 20-octet DER INTEGER that is positive holds at most 159 bits. */
    private static final int MAX_SERIAL_BITS = 159;
    /** thisUpdate is this far back, for relying parties whose clocks run behind; nextUpdate is thisUpdate plus the validity. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

    private static final int REVOKED = 1;
    private static final CertStatus GOOD_STATUS = new CertStatus();
    private static final CertStatus UNKNOWN_STATUS = new CertStatus(2, DERNull.INSTANCE);

    /** The DER of the nonce extension's OID, which every request with a nonce carries. */
    private static final byte[] NONCE_OID = DerBytes.encoded(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);

    /** RFC 6960 4.2.1: OCSPResponse's responseStatus successful, and its [0] EXPLICIT responseBytes of type basic. */
    private static final byte[] SUCCESSFUL = DerBytes.encoded(new OCSPResponseStatus(OCSPResponseStatus.SUCCESSFUL));
    private static final int RESPONSE_BYTES_TAG = 0xA0;
    private static final byte[] BASIC_RESPONSE_TYPE = DerBytes.encoded(OCSPObjectIdentifiers.id_pkix_ocsp_basic);
    /** ResponseData's [1] EXPLICIT responseExtensions and BasicOCSPResponse's [0] EXPLICIT certs. */
    private static final int RESPONSE_EXTENSIONS_TAG = 0xA1;
    private static final int CERTS_TAG = 0xA0;

    private static final byte[] MALFORMED = simple(OCSPRespBuilder.MALFORMED_REQUEST);
    private static final byte[] UNAUTHORIZED = simple(OCSPRespBuilder.UNAUTHORIZED);
    private static final byte[] TRY_LATER = simple(OCSPRespBuilder.TRY_LATER);

    /** What the HTTP layer sends: the DER, and for cacheable answers their validity (RFC 5019 HTTP caching headers). */
    public record Answer(byte[] der, Optional<Instant> thisUpdate, Optional<Instant> nextUpdate, String outcome) {
    }

    /** The status of a serial as the store knows it; empty when the issuer never issued it. */
    public interface StatusLookup {
        Optional<IssuedCertificate> find(BigInteger serial);
    }

    /**
     * @param responderId the DER of the ResponderID (byKey)
     * @param certs       the DER of BasicOCSPResponse's {@code [0] EXPLICIT SEQUENCE OF Certificate}: the responder's
     *                    certificate, as every answer carries it
     */
    private record ResponderKey(IssuerRecord issuer, byte[] responderId, byte[] certs) {
    }

    /** A signer of a responder key kept for the next answer, and the DER of its AlgorithmIdentifier. */
    private record ReusableSigner(ContentSigner signer, byte[] algorithm) {
        ReusableSigner(ContentSigner signer) {
            this(signer, DerBytes.encoded(signer.getAlgorithmIdentifier()));
        }
    }

    /**
     * {@code nullParameters}: whether the CertID's hash algorithm carries NULL parameters or none. An answer echoes the
     * CertID as asked, and a client comparing CertIDs whole (Bouncy Castle's) finds no answer in the other form.
     */
    private record CacheKey(String issuerId, BigInteger serial, ASN1ObjectIdentifier hash, boolean nullParameters) {
        static CacheKey of(String issuerId, CertificateID id) {
            return new CacheKey(issuerId, id.getSerialNumber(), id.getHashAlgOID(), id.toASN1Primitive().getHashAlgorithm().getParameters() != null);
        }
    }

    /** What a request without a nonce, for one CertID of an issuer served here, names: read once per distinct request. */
    private record PlainRequest(ResponderKey responder, CertificateID id, CacheKey key) {
    }

    /** A request's DER as a map key: equal when the bytes are. */
    private static final class RequestBytes {
        private final byte[] der;
        private final int hash;

        RequestBytes(byte[] der) {
            this.der = der;
            this.hash = Arrays.hashCode(der);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof RequestBytes that && hash == that.hash && Arrays.equals(der, that.der);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** @param revoked the answer says "revoked": a revocation seen again need not drop it */
    private record Cached(byte[] der, Instant thisUpdate, Instant nextUpdate, Instant refreshAt, CertStatus status) {
        boolean revoked() {
            return status.getTagNo() == REVOKED;
        }
    }

    /** How the responder keys sign answers made on request or refreshed: an audited vault's leased signer, say. */
    private final Function<KeyUri, ContentSigner> signers;
    private final Function<KeyUri, ContentSigner> signersWithoutWaiting;
    private final StatusLookup lookup;
    private final Duration validity;
    private final Clock clock;
    private final Executor refresher;
    private final ConcurrentHashMap<CacheKey, Cached> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CacheKey, Cached> unknown = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CacheKey, Boolean> refreshing = new ConcurrentHashMap<>();
    /** Answers signed for one request (nonce, several CertIDs, not cached yet): bounded, so a flood gets tryLater, not the HSM. */
    private final Semaphore signing;
    /**
     * The issuers answered for, keyed by (hash algorithm, issuerNameHash, issuerKeyHash) in hex, how a CertID names its
     * CA; and the plain requests already read against them, so a repeated one skips the ASN.1 parse (relying parties
     * ask the same few bytes again and again). Swapped as one, so a parse made against old issuers lands in the old map.
     */
    private record Serving(Map<String, ResponderKey> responders, ConcurrentHashMap<RequestBytes, PlainRequest> plainRequests,
            ConcurrentHashMap<IdleSigners, Queue<ReusableSigner>> idleSigners) {
        Serving(Map<String, ResponderKey> responders) {
            this(responders, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        }
    }

    /**
     * Signers of {@link #signers} or of {@link #signersWithoutWaiting} ({@code mayWait} false) for a responder key, not
     * in use: at most as many as have signed at once; dropped with the issuers they served.
     */
    private record IdleSigners(KeyUri key, boolean mayWait) {
    }

    private volatile Serving serving = new Serving(Map.of());

    /**
     * @param signers               how the responder keys sign
     * @param signersWithoutWaiting the same keys' signers for {@link #respondNow}: a signature that would wait (for a
     *                              lease to be granted, say) fails with {@link VaultException.Reason#WOULD_WAIT} instead
     */
    public OcspResponder(Function<KeyUri, ContentSigner> signers, Function<KeyUri, ContentSigner> signersWithoutWaiting, StatusLookup lookup,
            Duration validity, Clock clock, Executor refresher) {
        this(signers, signersWithoutWaiting, lookup, validity, clock, refresher, MAX_SIGNING_AT_ONCE);
    }

    OcspResponder(Function<KeyUri, ContentSigner> signers, Function<KeyUri, ContentSigner> signersWithoutWaiting, StatusLookup lookup, Duration validity,
            Clock clock, Executor refresher, int signingAtOnce) {
        this.signing = new Semaphore(signingAtOnce);
        this.signers = signers;
        this.signersWithoutWaiting = signersWithoutWaiting;
        this.lookup = lookup;
        this.validity = validity;
        this.clock = clock;
        this.refresher = refresher;
    }

    /** malformedRequest, for input that is not an OCSP request at all. */
    public static Answer malformed(String why) {
        return new Answer(MALFORMED, Optional.empty(), Optional.empty(), "malformed: " + why);
    }

    /** tryLater, while the responder cannot answer (not started, store unreachable). */
    public static Answer tryLater(String why) {
        return new Answer(TRY_LATER, Optional.empty(), Optional.empty(), "tryLater: " + why);
    }

    /** Sets the issuers answered for: those with a delegated responder certificate. */
    public void useIssuers(List<IssuerRecord> issuers) {
        Map<String, ResponderKey> byHash = new HashMap<>();
        for (IssuerRecord issuer : issuers) {
            if (issuer.certificate().isEmpty() || issuer.ocspCertificate().isEmpty() || issuer.ocspKey().isEmpty()) {
                continue;
            }
            X509CertificateHolder responderCertificate = issuer.ocspCertificate().get();
            ResponderKey key = new ResponderKey(issuer, DerBytes.encoded(respId(responderCertificate.getSubjectPublicKeyInfo()).toASN1Primitive()),
                    DerBytes.tlv(CERTS_TAG, DerBytes.sequence(DerBytes.encoded(responderCertificate.toASN1Structure()))));
            for (ASN1ObjectIdentifier hash : HASHES) {
                byHash.put(issuerHashKey(hash, issuer.certificate().get()), key);
            }
        }
        serving = new Serving(Map.copyOf(byHash));
        cache.clear();
        unknown.clear();
    }

    /**
     * The answer to a plain request (one CertID, no nonce) when memory holds it, without signing, storage or waiting;
     * empty for every other request, which {@link #respond} answers. Lets a listener answer on its network thread and
     * hand only the rest to threads that may wait.
     */
    public Optional<Answer> respondFromMemory(byte[] request) {
        if (request == null || request.length == 0 || request.length > MAX_REQUEST_BYTES) {
            return Optional.empty();
        }
        Serving now = serving;
        RequestBytes bytes = new RequestBytes(request);
        PlainRequest plain = now.plainRequests().get(bytes);
        if (plain == null) {
            if (contains(request, NONCE_OID)) {
                return Optional.empty();
            }
            plain = readPlain(request, now.responders());
            if (plain == null) {
                return Optional.empty();
            }
            if (request.length <= MAX_REMEMBERED_BYTES) {
                if (now.plainRequests().size() >= MAX_UNKNOWN) {
                    now.plainRequests().clear();
                }
                now.plainRequests().put(bytes, plain);
            }
        }
        return Optional.ofNullable(fromMemory(plain.responder(), plain.id(), plain.key(), clock.instant()));
    }

    private static PlainRequest readPlain(byte[] request, Map<String, ResponderKey> responders) {
        try {
            OCSPReq parsed = new OCSPReq(request);
            Req[] requests = parsed.getRequestList();
            if (requests.length != 1 || nonce(parsed).isPresent()) {
                return null;
            }
            CertificateID id = requests[0].getCertID();
            ResponderKey responder = responders.get(issuerHashKey(id));
            return responder == null || unanswerable(id) != null ? null : new PlainRequest(responder, id, CacheKey.of(responder.issuer().id(), id));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Answers a DER OCSPRequest. Never throws for bad input: that is a malformedRequest response. */
    public Answer respond(byte[] request) {
        return respond(request, true).orElseThrow();
    }

    /**
     * The answer when this thread can make it without waiting: from memory ({@link #respondFromMemory}), a refusal,
     * or signed for this request (a nonce) when every status asked for is in memory and the responder key signs
     * without waiting for storage ({@code signersWithoutWaiting}). Empty otherwise, for {@link #respond}. Lets a
     * network thread sign instead of handing the request to another thread and back, while lookups and lease grants
     * stay off it.
     */
    public Optional<Answer> respondNow(byte[] request) {
        Optional<Answer> fromMemory = respondFromMemory(request);
        return fromMemory.isPresent() ? fromMemory : respond(request, false);
    }

    /** @param mayWait whether to look statuses up in the store and wait for signing; if not, empty where it would */
    private Optional<Answer> respond(byte[] request, boolean mayWait) {
        OCSPReq parsed;
        try {
            if (request == null || request.length == 0 || request.length > MAX_REQUEST_BYTES) {
                return Optional.of(malformed("empty or over " + MAX_REQUEST_BYTES + " bytes"));
            }
            parsed = new OCSPReq(request);
        } catch (IOException | RuntimeException e) {
            return Optional.of(malformed("not an OCSPRequest"));
        }
        Req[] requests;
        Optional<ASN1OctetString> nonce;
        try {
            requests = parsed.getRequestList();
            nonce = nonce(parsed);
        } catch (RuntimeException e) {
            return Optional.of(malformed(e.getMessage()));
        }
        if (requests.length == 0 || requests.length > MAX_REQUESTS) {
            return Optional.of(malformed(requests.length + " CertIDs (1 to " + MAX_REQUESTS + ")"));
        }
        if (nonce.isPresent() && (nonce.get().getOctets().length == 0 || nonce.get().getOctets().length > MAX_NONCE)) {
            return Optional.of(malformed("nonce of " + nonce.get().getOctets().length + " octets (1 to 32)"));
        }
        ResponderKey responder = null;
        for (Req single : requests) {
            String unanswerable = unanswerable(single.getCertID());
            if (unanswerable != null) {
                return Optional.of(malformed(unanswerable));
            }
            ResponderKey match = serving.responders().get(issuerHashKey(single.getCertID()));
            if (match == null || responder != null && match != responder) {
                return Optional.of(new Answer(UNAUTHORIZED, Optional.empty(), Optional.empty(), "unauthorized: issuer not served here"));
            }
            responder = match;
        }
        try {
            if (requests.length == 1 && nonce.isEmpty()) {
                return mayWait ? Optional.of(cached(responder, requests[0].getCertID())) : Optional.empty();
            }
            Instant now = clock.instant();
            ASN1EncodableVector answers = new ASN1EncodableVector(requests.length);
            ASN1GeneralizedTime thisUpdate = Asn1Times.generalized(now.minus(CLOCK_SKEW));
            ASN1GeneralizedTime nextUpdate = Asn1Times.generalized(now.minus(CLOCK_SKEW).plus(validity));
            for (Req single : requests) {
                CertStatus status = statusInMemory(responder, single.getCertID(), now);
                if (status == null) {
                    if (!mayWait) {
                        return Optional.empty();
                    }
                    status = status(find(responder, single.getCertID()));
                }
                answers.add(answer(single.getCertID(), status, thisUpdate, nextUpdate));
            }
            // The request's own extension goes back: its value is the nonce OCTET STRING, byte for byte.
            Extensions extensions = nonce.isPresent() ? new Extensions(parsed.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)) : null;
            if (!(mayWait ? acquireSigning() : signing.tryAcquire())) {
                return mayWait ? Optional.of(tryLater("too many requests to sign at once")) : Optional.empty();
            }
            try {
                return Optional.of(new Answer(sign(responder, new DERSequence(answers), extensions, now, mayWait ? signers : signersWithoutWaiting),
                        Optional.empty(), Optional.empty(), "signed for this request"));
            } finally {
                signing.release();
            }
        } catch (VaultException e) {
            if (!mayWait && e.reason() == VaultException.Reason.WOULD_WAIT) {
                return Optional.empty();
            }
            return Optional.of(tryLater(e.getMessage()));
        } catch (RuntimeException e) {
            return Optional.of(tryLater(e.getMessage()));
        }
    }

    /**
     * Signs the response for a new or changed certificate now, so the first request after it finds it ready. The
     * caller hands over the certificate as just stored: no second read of the row on the issuance path.
     */
    public void presign(IssuerRecord issuer, IssuedCertificate certificate) {
        presign(issuer, certificate, signers);
    }

    /** As above, signing through {@code signers} (an audited vault's deferred signer, say). */
    public void presign(IssuerRecord issuer, IssuedCertificate certificate, Function<KeyUri, ContentSigner> signers) {
        ResponderKey responder = serving.responders().get(issuerHashKey(OIWObjectIdentifiers.idSHA1, issuer.requireCertificate()));
        if (responder == null || !certificate.issuerId().equals(issuer.id())) {
            return;
        }
        BigInteger serial = certificate.serial();
        forget(issuer.id(), serial);
        CertificateID id = certificateId(issuer.requireCertificate(), serial);
        put(CacheKey.of(issuer.id(), id), signOne(responder, id, Optional.of(certificate), clock.instant(), signers), responder);
    }

    /** Drops the cached responses of a serial (every CertID hash): a revocation is answered as such from now on. */
    public void forget(String issuerId, BigInteger serial) {
        for (ASN1ObjectIdentifier hash : HASHES) {
            for (boolean nullParameters : BOTH) {
                cache.remove(new CacheKey(issuerId, serial, hash, nullParameters));
                unknown.remove(new CacheKey(issuerId, serial, hash, nullParameters));
            }
        }
    }

    /** Drops cached answers of a serial that do not say "revoked" yet: how revocations made on other nodes arrive. */
    public void forgetUnlessRevoked(String issuerId, BigInteger serial) {
        for (ASN1ObjectIdentifier hash : HASHES) {
            for (boolean nullParameters : BOTH) {
                cache.computeIfPresent(new CacheKey(issuerId, serial, hash, nullParameters), (key, cached) -> cached.revoked() ? cached : null);
            }
        }
    }

    public int cachedCount() {
        return cache.size();
    }

    /** Drops expired entries; run from the CA's scheduler. */
    public void sweep() {
        Instant now = clock.instant();
        cache.values().removeIf(c -> !c.nextUpdate().isAfter(now));
        unknown.values().removeIf(c -> !c.refreshAt().isAfter(now));
    }

    private Answer cached(ResponderKey responder, CertificateID id) {
        CacheKey key = CacheKey.of(responder.issuer().id(), id);
        Instant now = clock.instant();
        Answer remembered = fromMemory(responder, id, key, now);
        if (remembered != null) {
            return remembered;
        }
        if (!acquireSigning()) {
            return tryLater("too many requests to sign at once");
        }
        Optional<IssuedCertificate> known;
        Cached signed;
        try {
            known = find(responder, id);
            signed = signOne(responder, id, known, now, signers);
        } finally {
            signing.release();
        }
        if (known.isPresent()) {
            put(key, signed, responder);
        } else {
            if (unknown.size() >= MAX_UNKNOWN) {
                unknown.clear();
            }
            unknown.put(key, signed);
            if (!stillServed(responder)) {
                unknown.remove(key, signed);
            }
        }
        return new Answer(signed.der(), Optional.of(signed.thisUpdate()), Optional.of(signed.nextUpdate()), known.isPresent() ? "signed and cached" : "unknown serial");
    }

    /** The cached answer for {@code key}, starting its refresh when due; null when memory has none that is fresh. */
    private Answer fromMemory(ResponderKey responder, CertificateID id, CacheKey key, Instant now) {
        Cached hit = fresh(key, now);
        if (hit != null) {
            if (!hit.refreshAt().isAfter(now) && refreshing.putIfAbsent(key, Boolean.TRUE) == null) {
                try {
                    refresher.execute(() -> {
                        try {
                            if (stillServed(responder)) {
                                put(key, signOne(responder, id), responder);
                            }
                        } finally {
                            refreshing.remove(key);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // The refresher is saturated: this entry is signed again on request once it expires.
                    refreshing.remove(key);
                }
            }
            return new Answer(hit.der(), Optional.of(hit.thisUpdate()), Optional.of(hit.nextUpdate()), "cached");
        }
        Cached unknownHit = freshUnknown(key, now);
        if (unknownHit != null) {
            return new Answer(unknownHit.der(), Optional.of(unknownHit.thisUpdate()), Optional.of(unknownHit.nextUpdate()), "unknown, cached");
        }
        return null;
    }

    /** The cached answer for {@code key} while it is valid; null otherwise. */
    private Cached fresh(CacheKey key, Instant now) {
        Cached hit = cache.get(key);
        return hit != null && hit.nextUpdate().isAfter(now) ? hit : null;
    }

    /** The cached "unknown" for {@code key} until its refresh is due (a serial issued since then is asked for again); null otherwise. */
    private Cached freshUnknown(CacheKey key, Instant now) {
        Cached hit = unknown.get(key);
        return hit != null && hit.refreshAt().isAfter(now) ? hit : null;
    }

    private boolean acquireSigning() {
        try {
            return signing.tryAcquire(SIGNING_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Optional<IssuedCertificate> find(ResponderKey responder, CertificateID id) {
        return lookup.find(id.getSerialNumber()).filter(c -> c.issuerId().equals(responder.issuer().id()));
    }

    private Cached signOne(ResponderKey responder, CertificateID id) {
        return signOne(responder, id, find(responder, id), clock.instant(), signers);
    }

    private Cached signOne(ResponderKey responder, CertificateID id, Optional<IssuedCertificate> known, Instant now, Function<KeyUri, ContentSigner> signers) {
        Instant thisUpdate = now.minus(CLOCK_SKEW);
        Instant nextUpdate = thisUpdate.plus(validity);
        CertStatus status = status(known);
        SingleResponse answer = answer(id, status, Asn1Times.generalized(thisUpdate), Asn1Times.generalized(nextUpdate));
        byte[] der = sign(responder, new DERSequence(answer), null, now, signers);
        return new Cached(der, thisUpdate, nextUpdate, now.plus(validity.dividedBy(2)), status);
    }

    /**
     * The status as a fresh cached answer gives it (a revocation drops that answer at once, so it is as current as the
     * cached GET answers); null when memory has none, and the store must be asked. A nonce for a certificate already
     * asked about costs no lookup.
     */
    private CertStatus statusInMemory(ResponderKey responder, CertificateID id, Instant now) {
        CacheKey key = CacheKey.of(responder.issuer().id(), id);
        Cached known = fresh(key, now);
        Cached unknownHit = known == null ? freshUnknown(key, now) : null;
        return known != null ? known.status() : unknownHit != null ? unknownHit.status() : null;
    }

    private static CertStatus status(Optional<IssuedCertificate> known) {
        if (known.isEmpty()) {
            return UNKNOWN_STATUS;
        }
        return known.get().revocation()
                .map(r -> new CertStatus(new RevokedInfo(Asn1Times.generalized(r.at()),
                        r.reason() == RevocationReason.UNSPECIFIED ? null : CRLReason.lookup(r.reason().code()))))
                .orElse(GOOD_STATUS);
    }

    private static SingleResponse answer(CertificateID id, CertStatus status, ASN1GeneralizedTime thisUpdate, ASN1GeneralizedTime nextUpdate) {
        return new SingleResponse(id.toASN1Primitive(), status, thisUpdate, nextUpdate, (Extensions) null);
    }

    /**
     * A signed BasicOCSPResponse in a successful OCSPResponse. The constant parts are copied as DER made once (see
     * DerBytes), and signers of the responder's own {@link #signers} and {@link #signersWithoutWaiting} are kept for the
     * next answer: making one costs a provider lookup and a key initialisation. A signer from any other source (an
     * issuance's deferred records, say), or for a key no longer served, signs this answer only.
     */
    private byte[] sign(ResponderKey responder, ASN1Sequence answers, Extensions extensions, Instant producedAt, Function<KeyUri, ContentSigner> signers) {
        byte[] responseData = DerBytes.sequence(responder.responderId(), DerBytes.encoded(Asn1Times.generalized(producedAt)), DerBytes.encoded(answers),
                extensions == null ? new byte[0] : DerBytes.tlv(RESPONSE_EXTENSIONS_TAG, DerBytes.encoded(extensions)));
        KeyUri key = responder.issuer().ocspKey().orElseThrow();
        Serving now = serving;
        if (signers != this.signers && signers != signersWithoutWaiting || !now.responders().containsValue(responder)) {
            return signed(responder, responseData, new ReusableSigner(signers.apply(key)));
        }
        Queue<ReusableSigner> idle = now.idleSigners().computeIfAbsent(new IdleSigners(key, signers == this.signers), k -> new ConcurrentLinkedQueue<>());
        ReusableSigner signer = idle.poll();
        if (signer == null) {
            signer = new ReusableSigner(signers.apply(key));
        }
        byte[] der;
        try {
            der = signed(responder, responseData, signer);
        } catch (VaultException e) {
            // WOULD_WAIT comes before anything reaches the key: the signer is as new.
            if (e.reason() == VaultException.Reason.WOULD_WAIT) {
                idle.offer(signer);
            }
            throw e;
        }
        // Only after a signature made: a signer that threw otherwise may hold half an input.
        idle.offer(signer);
        return der;
    }

    private static byte[] signed(ResponderKey responder, byte[] responseData, ReusableSigner signer) {
        try (OutputStream out = signer.signer().getOutputStream()) {
            out.write(responseData);
        } catch (IOException e) {
            throw new IllegalStateException("cannot sign an OCSP response: " + e.getMessage(), e);
        }
        byte[] basic = DerBytes.sequence(responseData, signer.algorithm(), DerBytes.bitString(signer.signer().getSignature()), responder.certs());
        return DerBytes.sequence(SUCCESSFUL, DerBytes.tlv(RESPONSE_BYTES_TAG, DerBytes.sequence(BASIC_RESPONSE_TYPE, DerBytes.tlv(DerBytes.OCTET_STRING, basic))));
    }

    /**
     * Caches an answer signed by {@code responder}, unless new issuers replaced it meanwhile: {@link #useIssuers} swaps
     * the issuers before it clears the caches, so an answer put after that clear is seen here and taken out again.
     */
    private void put(CacheKey key, Cached value, ResponderKey responder) {
        put(key, value);
        if (!stillServed(responder)) {
            cache.remove(key, value);
        }
    }

    private boolean stillServed(ResponderKey responder) {
        return serving.responders().containsValue(responder);
    }

    private void put(CacheKey key, Cached value) {
        if (cache.size() >= MAX_CACHED) {
            sweep();
            if (cache.size() >= MAX_CACHED) {
                // Still full of live entries: drop a slice; they are signed again on their next request.
                int drop = MAX_CACHED / 10;
                var keys = cache.keySet().iterator();
                while (drop-- > 0 && keys.hasNext()) {
                    keys.next();
                    keys.remove();
                }
            }
        }
        // A revocation is final: an answer saying otherwise, signed from a store read made before the revocation
        // committed, does not replace the revoked answer pre-signed after it.
        cache.merge(key, value, (held, offered) -> held.revoked() && !offered.revoked() ? held : offered);
    }

    /**
     * Whether {@code bytes} hold {@code part} anywhere. A request naming the nonce extension is never answered from
     * memory, and finding its OID is cheaper than the parse that would say so; bytes that only look like it (inside a
     * serial) go to {@link #respond}, which answers a plain request from memory all the same.
     */
    private static boolean contains(byte[] bytes, byte[] part) {
        outer:
        for (int start = 0; start + part.length <= bytes.length; start++) {
            for (int i = 0; i < part.length; i++) {
                if (bytes[start + i] != part[i]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static Optional<ASN1OctetString> nonce(OCSPReq request) {
        Extension extension = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        if (extension == null) {
            return Optional.empty();
        }
        // RFC 8954: the nonce is an OCTET STRING inside the extension's OCTET STRING.
        return Optional.of(ASN1OctetString.getInstance(extension.getParsedValue()));
    }

    static CertificateID certificateId(X509CertificateHolder issuer, BigInteger serial) {
        try {
            return new CertificateID(digest(OIWObjectIdentifiers.idSHA1), issuer, serial);
        } catch (OCSPException e) {
            throw new IllegalStateException("cannot make a CertID", e);
        }
    }

    /**
     * Why a CertID gets malformedRequest, or null: hash parameters other than NULL or none (RFC 5754 allows only those),
     * or a serial over RFC 5280's 20 octets. Either would otherwise be echoed into an answer kept in memory.
     */
    private static String unanswerable(CertificateID id) {
        ASN1Encodable parameters = id.toASN1Primitive().getHashAlgorithm().getParameters();
        if (parameters != null && !(parameters.toASN1Primitive() instanceof ASN1Null)) {
            return "CertID hash algorithm with parameters other than NULL";
        }
        if (id.getSerialNumber().bitLength() > MAX_SERIAL_BITS) {
            return "CertID serial over 20 octets";
        }
        return null;
    }

    private static String issuerHashKey(CertificateID id) {
        return id.getHashAlgOID().getId() + ":" + HexFormat.of().formatHex(id.getIssuerNameHash()) + ":" + HexFormat.of().formatHex(id.getIssuerKeyHash());
    }

    private static String issuerHashKey(ASN1ObjectIdentifier hash, X509CertificateHolder issuer) {
        try {
            return issuerHashKey(new CertificateID(digest(hash), issuer, BigInteger.ONE));
        } catch (OCSPException e) {
            throw new IllegalStateException("cannot hash issuer " + issuer.getSubject(), e);
        }
    }

    private static RespID respId(SubjectPublicKeyInfo responderKey) {
        try {
            return new RespID(responderKey, digest(OIWObjectIdentifiers.idSHA1));
        } catch (OCSPException e) {
            throw new IllegalStateException("cannot make the responder id", e);
        }
    }

    private static DigestCalculator digest(ASN1ObjectIdentifier algorithm) {
        try {
            return new BcDigestCalculatorProvider().get(new AlgorithmIdentifier(algorithm, DERNull.INSTANCE));
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("no digest " + algorithm, e);
        }
    }

    private static byte[] simple(int status) {
        try {
            return new OCSPRespBuilder().build(status, null).getEncoded();
        } catch (OCSPException | IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
