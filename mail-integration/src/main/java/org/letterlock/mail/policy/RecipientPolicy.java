package org.letterlock.mail.policy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.mail.pgp.PgpRecipientKeys;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.PublishedCertificates;
import org.letterlock.mail.delivery.Decider;
import org.letterlock.mail.delivery.Decision;
import org.letterlock.mail.delivery.Route;
import org.letterlock.mail.delivery.Routes;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.message.ProtectedMessage;
import org.letterlock.mail.queue.Envelope;

/**
 * The organisation's default policy: encrypt to the recipient's key when Letterlock has one (an S/MIME certificate
 * from the CA first, else an OpenPGP key the keyserver publishes), else send in clear over
 * the TLS the route requires; mail its sender already encrypted passes as it is. S/MIME keys come from the CA's
 * published certificates and are picked by RFC 8551's rule for separate certificates: the key-management certificate
 * (newest first), else a multipurpose one.
 */
public final class RecipientPolicy implements Decider {
    private static final List<String> ENCRYPTION_PROFILES = List.of("mailbox-encryption", "mailbox-multipurpose");

    private final Routes routes;
    private final PublishedCertificates certificates;
    private final Function<String, List<PGPPublicKeyRing>> openPgpKeys;
    private final Clock clock;

    /** @param openPgpKeys the OpenPGP keys published for an address (the keyserver's published view) */
    public RecipientPolicy(Routes routes, PublishedCertificates certificates, Function<String, List<PGPPublicKeyRing>> openPgpKeys, Clock clock) {
        this.routes = routes;
        this.certificates = certificates;
        this.openPgpKeys = openPgpKeys;
        this.clock = clock;
    }

    /** The keys the keyserver publishes for an address, as the policy reads them. */
    public static Function<String, List<PGPPublicKeyRing>> publishedKeys(Keyserver keyserver) {
        return address -> keyserver.byAddress(address).stream()
                .flatMap(key -> OpenPgpKeys.read(key.publishedKey(), keyserver.limits()).stream())
                .toList();
    }

    @Override
    public Decision decide(Envelope envelope, HeaderSection headers, String recipient) {
        Route route = routes.of(recipient);
        if (ProtectedMessage.alreadyEncrypted(headers)) {
            return Decision.clear(route, "policy=organisation; already encrypted by its sender");
        }
        Optional<X509Certificate> certificate = encryptionCertificate(recipient);
        if (certificate.isPresent()) {
            return new Decision(Decision.Action.SMIME, route, List.of(certificate.get()), List.of(), "policy=organisation; key=letterlock-ca");
        }
        List<PGPPublicKeyRing> usable = openPgpKeys.apply(recipient).stream()
                .filter(key -> !PgpRecipientKeys.encryptionSubkeys(key, clock.instant()).isEmpty())
                .toList();
        if (!usable.isEmpty()) {
            return new Decision(Decision.Action.PGP, route, List.of(), usable, "policy=organisation; key=letterlock-keyserver");
        }
        return Decision.clear(route, "policy=organisation; no key for the recipient");
    }

    /** The certificate to encrypt to: valid now, key-management before multipurpose, newest first. */
    Optional<X509Certificate> encryptionCertificate(String recipient) {
        Instant now = clock.instant();
        return certificates.publishedFor(recipient).stream()
                .filter(c -> ENCRYPTION_PROFILES.contains(c.profile()) && !c.revoked() && c.notBefore().isBefore(now) && c.notAfter().isAfter(now))
                .min(Comparator.comparingInt((IssuedCertificate c) -> ENCRYPTION_PROFILES.indexOf(c.profile())).thenComparing(IssuedCertificate::notBefore, Comparator.reverseOrder()))
                .map(RecipientPolicy::x509);
    }

    private static X509Certificate x509(IssuedCertificate certificate) {
        try {
            return new JcaX509CertificateConverter().getCertificate(certificate.holder());
        } catch (CertificateException e) {
            throw new IllegalStateException("the CA's stored certificate " + certificate.serialHex() + " does not parse", e);
        }
    }
}
