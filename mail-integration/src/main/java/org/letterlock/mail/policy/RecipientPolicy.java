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
import java.util.EnumSet;
import java.util.Set;
import org.letterlock.mail.keys.ExternalKeys;
import org.letterlock.mail.keys.Lookup;
import org.letterlock.mail.keys.Resolution;
import org.letterlock.mail.keys.Source;
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
 * Decides each recipient's copy from the most specific rule (mailbox, domain, organisation) and the keys Letterlock
 * holds: S/MIME certificates from the CA's published certificates, picked by RFC 8551's rule for separate
 * certificates (the key-management certificate, newest first, else a multipurpose one), and OpenPGP keys the
 * keyserver publishes with a usable encryption subkey. Mail its sender already encrypted passes as it is.
 */
public final class RecipientPolicy implements Decider {
    private static final List<String> ENCRYPTION_PROFILES = List.of("mailbox-encryption", "mailbox-multipurpose");

    private final Routes routes;
    private final PolicyBook rules;
    private final PassphraseBook passphrases;
    private final PublishedCertificates certificates;
    private final Function<String, List<PGPPublicKeyRing>> openPgpKeys;
    private final ExternalKeys externalKeys;
    private final boolean canSign;
    private final Clock clock;

    /**
     * @param openPgpKeys the OpenPGP keys published for an address (the keyserver's published view)
     * @param externalKeys where keys are looked up outside, for rules that allow it
     * @param canSign     the gateway has an organisation signature (rules asking for signing are honoured)
     */
    public RecipientPolicy(Routes routes, PolicyBook rules, PassphraseBook passphrases, PublishedCertificates certificates,
                           Function<String, List<PGPPublicKeyRing>> openPgpKeys, ExternalKeys externalKeys, boolean canSign, Clock clock) {
        this.routes = routes;
        this.rules = rules;
        this.passphrases = passphrases;
        this.certificates = certificates;
        this.openPgpKeys = openPgpKeys;
        this.externalKeys = externalKeys;
        this.canSign = canSign;
        this.clock = clock;
    }

    /** The keys the keyserver publishes for an address, as the policy reads them. */
    public static Function<String, List<PGPPublicKeyRing>> publishedKeys(Keyserver keyserver) {
        return address -> keyserver.byAddress(address).stream()
                .flatMap(key -> OpenPgpKeys.read(key.publishedKey(), keyserver.limits()).stream())
                .toList();
    }

    /**
     * The gateway's own notices (a bounce or a "held" notice: the reason and the original's header fields) are never
     * held, so that senders learn what became of their mail. A notice received from elsewhere may carry a whole
     * original, so it is held like any mail, without a notice about it; one still held at max-queue-time is dropped
     * with a log line, as bounces are never bounced.
     */
    @Override
    public Decision decide(Envelope envelope, HeaderSection headers, String recipient) {
        Decision decision = ruled(envelope, headers, recipient);
        if (decision.action() == Decision.Action.HOLD && envelope.gatewayNotice()) {
            return Decision.clear(decision.route(), decision.reason().replace("held until", "not held, as the gateway's own notices never are, though policy holds mail until"));
        }
        return decision;
    }

    private Decision ruled(Envelope envelope, HeaderSection headers, String recipient) {
        Route route = routes.of(recipient);
        RecipientRule rule = rules.ruleFor(recipient);
        String level = "policy=" + rule.level();
        if (ProtectedMessage.alreadyEncrypted(headers)) {
            return Decision.clear(route, level + "; already encrypted by its sender");
        }
        switch (rule.encryption()) {
            case NONE:
                return Decision.clear(route, level + "; encryption=none");
            case PASSWORD:
                return password(envelope, recipient, route, rule, level);
            default:
                break;
        }
        if (rule.encryption() != RecipientRule.Encryption.PGP) {
            Optional<X509Certificate> certificate = encryptionCertificate(recipient);
            if (certificate.isPresent()) {
                boolean signed = rule.sign() && canSign;
                return Decision.smime(route, List.of(certificate.get()), signed, level + "; key=letterlock-ca"
                        + (rule.sign() && !canSign ? "; not signed: letterlock.gateway.signing.address is not set" : ""));
            }
        }
        if (rule.encryption() != RecipientRule.Encryption.SMIME) {
            List<PGPPublicKeyRing> usable = openPgpKeys.apply(recipient).stream()
                    .filter(key -> !PgpRecipientKeys.encryptionSubkeys(key, clock.instant()).isEmpty())
                    .toList();
            if (!usable.isEmpty()) {
                return Decision.pgp(route, usable, level + "; key=letterlock-keyserver");
            }
        }
        Set<Source> allowed = EnumSet.noneOf(Source.class);
        allowed.addAll(rule.externalSources());
        if (rule.encryption() == RecipientRule.Encryption.SMIME) {
            allowed.retainAll(Set.of(Source.PARTNER_LDAP));
        } else if (rule.encryption() == RecipientRule.Encryption.PGP) {
            allowed.removeAll(Set.of(Source.PARTNER_LDAP));
        }
        if (!allowed.isEmpty()) {
            Resolution resolution = externalKeys.resolve(recipient, allowed);
            switch (resolution.outcome()) {
                case FOUND: {
                    Lookup found = resolution.found().orElseThrow();
                    String provenance = level + "; key=" + RecipientRule.label(found.source()) + " " + origin(found.location());
                    if (!found.certificates().isEmpty()) {
                        boolean signed = rule.sign() && canSign;
                        return Decision.smime(route, found.certificates(), signed, provenance);
                    }
                    return Decision.pgp(route, found.openPgpKeys(), provenance);
                }
                case TEMPORARY_FAILURE:
                    return Decision.withheld(Decision.Action.DEFER, route, level + "; key lookup failed for now (" + resolution.summary() + "); retried, never sent in clear");
                default:
                    break;
            }
        }
        String noKey = level + "; no " + (rule.encryption() == RecipientRule.Encryption.ANY ? "" : RecipientRule.label(rule.encryption()) + " ") + "key for the recipient";
        return switch (rule.withoutKey()) {
            case CLEAR -> Decision.clear(route, noKey);
            case PASSWORD -> password(envelope, recipient, route, rule, noKey);
            case HOLD -> Decision.withheld(Decision.Action.HOLD, route, noKey + "; held until one is published");
            case REJECT -> Decision.withheld(Decision.Action.REJECT, route, noKey + "; policy rejects mail without encryption");
        };
    }

    private Decision password(Envelope envelope, String recipient, Route route, RecipientRule rule, String reason) {
        Optional<char[]> passphrase = passphrases.find(envelope.sender(), recipient);
        if (passphrase.isEmpty()) {
            return Decision.withheld(Decision.Action.HOLD, route, reason + "; no passphrase set for the recipient; held until the sender sets one");
        }
        return Decision.password(route, passphrase.get(), rule.passwordFormat(), reason + "; passphrase");
    }

    /** Where a key came from, without the path: a lookup URL names the recipient, and the reason goes into every copy (and a Bcc must stay hidden). */
    private static String origin(String location) {
        try {
            java.net.URI uri = java.net.URI.create(location);
            return uri.getScheme() + "://" + uri.getRawAuthority();
        } catch (IllegalArgumentException e) {
            return "(unparsable location)";
        }
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
