package org.letterlock.mail.delivery;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * What the gateway does with one recipient's copy of a message, and why. The reason names no content: it is logged,
 * audited and written into the delivered copy.
 *
 * @param certificates the recipient's encryption certificates (S/MIME), else empty
 * @param openPgpKeys  the recipient's OpenPGP keys (PGP/MIME), else empty
 * @param reason       the policy level that decided and what key resolution found
 */
public record Decision(Action action, Route route, List<X509Certificate> certificates, List<PGPPublicKeyRing> openPgpKeys, String reason) {

    public Decision {
        certificates = List.copyOf(certificates);
        openPgpKeys = List.copyOf(openPgpKeys);
    }

    public static Decision clear(Route route, String reason) {
        return new Decision(Action.CLEAR, route, List.of(), List.of(), reason);
    }

    /** The actions policy can take for a recipient. */
    public enum Action {
        /** S/MIME to the recipient's certificate. */
        SMIME,
        /** PGP/MIME to the recipient's OpenPGP key. */
        PGP,
        /** As it is, over the TLS the route requires (also mail its sender already encrypted). */
        CLEAR,
        /** Returned to the sender. */
        REJECT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The header value recorded in the delivered copy. */
    public String headerValue() {
        return action.label() + "; route=" + route.name() + "; " + reason;
    }
}
