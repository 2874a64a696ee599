package org.letterlock.ca;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.vault.KeyUri;

/** Where the CA keeps issuers, certificates with their revocation, mailbox pairs and the CRLs last signed. */
public interface CertificateStore {

    /** A revoked certificate as a CRL lists it. */
    record RevokedEntry(BigInteger serial, Instant revokedAt, RevocationReason reason) {
    }

    /** A signed CRL as stored; {@code baseNumber} is set on delta CRLs. */
    record StoredCrl(String issuerId, boolean delta, long number, Optional<Long> baseNumber, Instant thisUpdate, Instant nextUpdate, byte[] der) {
    }

    /** Fails with CONFLICT when an issuer of that id exists: ids are how concurrent rollovers on several nodes are told apart. */
    void insertIssuer(IssuerRecord issuer);

    /**
     * Sets the signed certificate of a PENDING issuing CA and makes it the one ACTIVE issuing CA of its kind, retiring
     * the others of that kind in the same transaction; returns the ids it retired. CONFLICT when the issuer is not pending.
     */
    List<String> activate(String id, X509CertificateHolder certificate);

    void setState(String id, IssuerRecord.State state);

    void setOcspResponder(String id, KeyUri key, X509CertificateHolder certificate);

    /** The root first, then issuing CAs oldest first. */
    List<IssuerRecord> issuers();

    /** The next CRL number of an issuer, unique even when several nodes sign at once. */
    long nextCrlNumber(String issuerId);

    /**
     * Stores a certificate and, when {@code newPairMailbox} is given, creates its pair first: both or neither. A pair
     * holds one certificate per profile; a second one is a CONFLICT, however many requests race for it. {@code keyHash} is
     * the certificate key's {@link KeyFamily#canonicalKeyHash}, which the caller has from the key it certified.
     */
    void insertCertificate(IssuedCertificate certificate, String keyHash, Optional<String> newPairMailbox);

    Optional<IssuedCertificate> certificate(BigInteger serial);

    Optional<String> pairMailbox(String pairId);

    /** A pair's certificates, oldest first (signing before encryption when issued together). */
    List<IssuedCertificate> pair(String pairId);

    /** Certificates of a mailbox (all when null), filtered by profile and revocation when given, newest first. */
    List<IssuedCertificate> search(String mailbox, String profile, Boolean revoked, int limit);

    /**
     * Marks a certificate revoked unless it is already; true if this call revoked it. For keyCompromise its key goes
     * on the list of compromised keys in the same transaction.
     */
    boolean revoke(BigInteger serial, Instant at, RevocationReason reason, String by);

    /** The certificate whose revocation for keyCompromise put the key with this {@link KeyFamily#canonicalKeyHash} on the list. */
    Optional<BigInteger> compromisedKey(String keyHash);

    /** The unrevoked certificates whose public key has this {@link KeyFamily#canonicalKeyHash} (in whatever encoding they carry it). */
    List<IssuedCertificate> unrevokedWithKey(String keyHash);

    /** At most {@code limit} unrevoked certificates whose public key is listed as compromised. */
    List<IssuedCertificate> unrevokedWithCompromisedKeys(int limit);

    /** Writes the key hash of every certificate stored before it was kept, {@code batch} rows per transaction; returns how many. */
    int fillKeyHashes(int batch);

    /** Lists the keys of certificates revoked for keyCompromise that are not listed yet (revoked before the list existed); how many it added. */
    int listCompromisedKeys();

    /**
     * The revoked, unexpired certificates of an issuer, revoked at or after {@code since} (everything when null),
     * streamed to {@code sink} so a CRL of a million entries is never a list in memory.
     */
    void revoked(String issuerId, Instant since, Instant notExpiredAt, Consumer<RevokedEntry> sink);

    /** A certificate revoked lately, by issuer and serial. */
    record RecentRevocation(String issuerId, BigInteger serial) {
    }

    /** Certificates revoked at or after {@code since}: how other nodes' OCSP caches learn of revocations. */
    List<RecentRevocation> revokedSince(Instant since);

    /** Unrevoked mailbox certificates expiring before {@code before} that have had fewer than {@code notices} notices. */
    List<IssuedCertificate> expiring(Instant now, Instant before, int notices, int limit);

    /** Records that the {@code notices}-th notice went out; false if another node got there first. */
    boolean noticeSent(BigInteger serial, int notices);

    /** Gives a claimed notice back after its mail failed, so that the next run sends it. */
    void releaseNotice(BigInteger serial, int notices);

    long count();

    /** Keeps a newly signed CRL unless a higher-numbered one of the same kind is stored already (another node's). */
    void saveCrl(StoredCrl crl);

    Optional<StoredCrl> crl(String issuerId, boolean delta);
}
