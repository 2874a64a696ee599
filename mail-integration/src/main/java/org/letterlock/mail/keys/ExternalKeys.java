package org.letterlock.mail.keys;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;

/**
 * Key resolution beyond Letterlock's own store, for a recipient whose key Letterlock does not hold: the sources the
 * policy allows are asked in the order given here (partner directories, then WKD, then HKP is the order that puts
 * the strongest vouching first), and the first that finds a usable key ends the search. Lookups are cached per
 * source and address ({@link LookupCache}). Nothing a peer does makes this throw: a peer that is down or cannot tell
 * is a {@link Outcome#TEMPORARY_FAILURE}, distinct from {@link Outcome#NO_KEY}, so the policy can defer the message
 * rather than send it in clear. Independent of CDI and configuration: the caller builds the sources, e.g.
 *
 * <pre>{@code
 * PeerHttp http = new PeerHttp(SSLContext.getDefault(), PeerAddresses.system(), PeerLimits.DEFAULT);
 * PartnerCertificateCheck check = new PartnerCertificateCheck(partnerCaCertificates, partnerIntermediates, http, clock);
 * ExternalKeys keys = new ExternalKeys(List.of(
 *         new PartnerLdap(partnerDirectories, SSLContext.getDefault(), PeerAddresses.system(), PeerLimits.DEFAULT, check, clock),
 *         new WkdClient(http, clock),
 *         new HkpClient(http, List.of(URI.create("hkps://keys.openpgp.org")), clock)),
 *         new LookupCache(LookupCache.Lifetimes.DEFAULT), clock);
 * }</pre>
 */
public final class ExternalKeys {
    private static final Logger LOG = Logger.getLogger(ExternalKeys.class.getName());

    private final List<KeySource> sources;
    private final LookupCache cache;
    private final Clock clock;

    /** @param sources asked in this order */
    public ExternalKeys(List<KeySource> sources, LookupCache cache, Clock clock) {
        this.sources = List.copyOf(sources);
        this.cache = cache;
        this.clock = clock;
    }

    /**
     * What the {@code allowed} sources hold for {@code address}, with each lookup's provenance. An address that is not
     * a plain mailbox (a quoted local part, say) cannot be looked up: no key, and no source asked.
     */
    public Resolution resolve(String address, Set<Source> allowed) {
        String normalised;
        try {
            normalised = MailAddress.normalise(address);
        } catch (LetterlockException e) {
            return new Resolution(address, Outcome.NO_KEY, List.of());
        }
        List<Lookup> lookups = new ArrayList<>();
        for (KeySource source : sources) {
            if (!allowed.contains(source.source()) || !source.covers(normalised)) {
                continue;
            }
            Lookup lookup = cached(source, normalised);
            lookups.add(lookup);
            if (lookup.outcome() == Outcome.FOUND) {
                return new Resolution(normalised, Outcome.FOUND, lookups);
            }
        }
        boolean temporary = lookups.stream().anyMatch(l -> l.outcome() == Outcome.TEMPORARY_FAILURE);
        return new Resolution(normalised, temporary ? Outcome.TEMPORARY_FAILURE : Outcome.NO_KEY, lookups);
    }

    private Lookup cached(KeySource source, String address) {
        Optional<Lookup> kept = cache.get(source.source(), address, clock.instant());
        if (kept.isPresent()) {
            return kept.get();
        }
        Lookup fresh;
        try {
            fresh = source.lookup(address);
        } catch (RuntimeException e) {
            // A fault here, not the peer's: logged in full, and the message waits rather than leaving in clear.
            LOG.log(Level.SEVERE, source.source() + " lookup for " + address + " failed", e);
            fresh = Lookup.temporaryFailure(source.source(), "", clock.instant(), "internal error: " + e);
        }
        cache.put(address, fresh);
        return fresh;
    }
}
