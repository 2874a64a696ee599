package org.letterlock.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuingDistributionPoint;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.letterlock.vault.KeyVault;

/**
 * Signs full and delta CRLs for one issuer at a time. Full and delta CRLs share one number sequence (RFC 5280 5.2.3);
 * a delta lists what was revoked since its base was made, with a margin so a revocation committed while the base was
 * being read is never missed (listing it twice is harmless, missing it is not).
 */
public final class CrlPublisher {
    /** Revocations this close before a base CRL's thisUpdate are repeated in its deltas. */
    static final Duration DELTA_MARGIN = Duration.ofMinutes(5);

    private final CertificateStore store;
    private final KeyVault vault;
    private final CaUrls urls;
    private final Duration validity;
    private final Clock clock;

    public CrlPublisher(CertificateStore store, KeyVault vault, CaUrls urls, Duration validity, Clock clock) {
        this.store = store;
        this.vault = vault;
        this.urls = urls;
        this.validity = validity;
        this.clock = clock;
    }

    /** Signs and stores a new full CRL of the issuer. */
    public CertificateStore.StoredCrl publishFull(IssuerRecord issuer) {
        return publish(issuer, Optional.empty());
    }

    /** Signs and stores a new delta CRL against the current full CRL (a full one first if there is none). */
    public CertificateStore.StoredCrl publishDelta(IssuerRecord issuer) {
        CertificateStore.StoredCrl base = store.crl(issuer.id(), false).orElseGet(() -> publishFull(issuer));
        return publish(issuer, Optional.of(base));
    }

    private CertificateStore.StoredCrl publish(IssuerRecord issuer, Optional<CertificateStore.StoredCrl> base) {
        X509CertificateHolder certificate = issuer.requireCertificate();
        Instant now = clock.instant();
        Instant thisUpdate = now.minusSeconds(60);
        // From thisUpdate, so the interval is the configured validity exactly (SBR 4.9.7 caps it).
        Instant nextUpdate = thisUpdate.plus(validity);
        long number = store.nextCrlNumber(issuer.id());
        X509v2CRLBuilder builder = new X509v2CRLBuilder(certificate.getSubject(), Date.from(thisUpdate));
        builder.setNextUpdate(Date.from(nextUpdate));
        Instant since = base.map(b -> b.thisUpdate().minus(DELTA_MARGIN)).orElse(null);
        store.revoked(issuer.id(), since, now, entry -> {
            if (entry.reason() == RevocationReason.UNSPECIFIED) {
                builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), (Extensions) null);
            } else {
                builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), entry.reason().code());
            }
        });
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false, Issuer.authorityKeyIdentifier(certificate));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            URI fullUrl = urls.crl(issuer.id());
            builder.addExtension(Extension.issuingDistributionPoint, true, new IssuingDistributionPoint(
                    new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, fullUrl.toString()))),
                    // The root also certifies its own OCSP responder (an end-entity certificate): its CRL is not CA-only.
                    issuer.issuing(), false, null, false, false));
            if (base.isPresent()) {
                builder.addExtension(Extension.deltaCRLIndicator, true, new CRLNumber(BigInteger.valueOf(base.get().number())));
            } else {
                builder.addExtension(Extension.freshestCRL, false, new CRLDistPoint(new DistributionPoint[] {new DistributionPoint(
                        new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, urls.deltaCrl(issuer.id()).toString()))),
                        null, null)}));
            }
            X509CRLHolder crl = builder.build(vault.signer(issuer.requireKey()));
            CertificateStore.StoredCrl stored = new CertificateStore.StoredCrl(issuer.id(), base.isPresent(), number, base.map(CertificateStore.StoredCrl::number), thisUpdate, nextUpdate,
                    crl.getEncoded());
            store.saveCrl(stored);
            return stored;
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a CRL of " + issuer.id(), e);
        }
    }
}
