package org.letterlock.mail.delivery;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.mail.policy.RecipientRule;

/**
 * What the gateway does with one recipient's copy of a message, and why. The reason names no content and no secret:
 * it is logged, audited and written into the delivered copy.
 *
 * @param certificates the recipient's encryption certificates (S/MIME), else empty
 * @param openPgpKeys  the recipient's OpenPGP keys (PGP/MIME), else empty
 * @param passphrase   the passphrase (PASSWORD), else null; wiped once the copy is written
 * @param signed       an S/MIME copy is signed with the organisation's certificate inside the encryption
 * @param reason       the policy level that decided and what key resolution found
 */
public record Decision(Action action, Route route, List<X509Certificate> certificates, List<PGPPublicKeyRing> openPgpKeys, char[] passphrase,
                       RecipientRule.PasswordFormat passwordFormat, boolean signed, String reason) {

    public Decision {
        certificates = List.copyOf(certificates);
        openPgpKeys = List.copyOf(openPgpKeys);
    }

    public static Decision clear(Route route, String reason) {
        return new Decision(Action.CLEAR, route, List.of(), List.of(), null, null, false, reason);
    }

    public static Decision smime(Route route, List<X509Certificate> certificates, boolean signed, String reason) {
        return new Decision(Action.SMIME, route, certificates, List.of(), null, null, signed, reason);
    }

    public static Decision pgp(Route route, List<PGPPublicKeyRing> keys, String reason) {
        return new Decision(Action.PGP, route, List.of(), keys, null, null, false, reason);
    }

    public static Decision password(Route route, char[] passphrase, RecipientRule.PasswordFormat format, String reason) {
        return new Decision(Action.PASSWORD, route, List.of(), List.of(), passphrase, format, false, reason);
    }

    /** Not sent now: {@code HOLD} waits (the sender is told), {@code DEFER} waits, {@code REJECT} returns the message. */
    public static Decision withheld(Action action, Route route, String reason) {
        return new Decision(action, route, List.of(), List.of(), null, null, false, reason);
    }

    /** This decision with {@code note} (how it was carried out) added to its reason. */
    public Decision noting(String note) {
        return new Decision(action, route, certificates, openPgpKeys, passphrase, passwordFormat, signed, reason + "; " + note);
    }

    /** The actions policy can take for a recipient. */
    public enum Action {
        /** S/MIME to the recipient's certificate. */
        SMIME,
        /** PGP/MIME to the recipient's OpenPGP key. */
        PGP,
        /** Under the passphrase set for the recipient, with a clear notice on how to open it. */
        PASSWORD,
        /** As it is, over the TLS the route requires (also mail its sender already encrypted). */
        CLEAR,
        /** Kept in the queue and retried; the sender is told once. */
        HOLD,
        /** Retried later without telling anyone: a key may exist but could not be looked up now. */
        DEFER,
        /** Returned to the sender. */
        REJECT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The header value recorded in the delivered copy. */
    public String headerValue() {
        return action.label() + (passwordFormat == null ? "" : " (" + passwordFormat.name().toLowerCase(Locale.ROOT) + ")") + (signed ? ", signed" : "")
                + "; route=" + route.name() + "; " + reason;
    }
}
