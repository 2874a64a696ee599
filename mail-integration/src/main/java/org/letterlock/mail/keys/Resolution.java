package org.letterlock.mail.keys;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * The answer to "which key may this recipient's mail be encrypted to", from outside Letterlock's own store.
 *
 * @param address the address as looked up (normalised)
 * @param outcome {@link Outcome#FOUND} when a source found a usable key; else {@link Outcome#TEMPORARY_FAILURE} when
 *                any allowed source could not answer; else {@link Outcome#NO_KEY}
 * @param lookups every source asked, in the order asked (the last one found the key, when one did)
 */
public record Resolution(String address, Outcome outcome, List<Lookup> lookups) {

    public Resolution {
        lookups = List.copyOf(lookups);
    }

    /** The lookup that found the key, with its provenance. */
    public Optional<Lookup> found() {
        return lookups.stream().filter(l -> l.outcome() == Outcome.FOUND).findFirst();
    }

    public List<X509Certificate> certificates() {
        return found().map(Lookup::certificates).orElse(List.of());
    }

    public List<PGPPublicKeyRing> openPgpKeys() {
        return found().map(Lookup::openPgpKeys).orElse(List.of());
    }

    /** One line for the policy's reason and the audit log: each source asked, its outcome and detail. */
    public String summary() {
        if (lookups.isEmpty()) {
            return "no external source asked for " + address;
        }
        return String.join("; ", lookups.stream().map(l -> l.source() + " " + l.outcome() + " (" + l.detail() + ")").toList());
    }
}
