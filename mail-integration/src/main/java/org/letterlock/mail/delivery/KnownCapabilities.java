package org.letterlock.mail.delivery;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.policy.CapabilityStore;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smime.SignedCapabilities;
import org.letterlock.mail.smime.SmimeCapabilities;
import org.letterlock.mail.smime.SmimeChoice.KnownRecipient;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.LetterlockException;

/**
 * What each recipient's S/MIME client reads: learned from signed mail passing the gateway, else from its certificate's
 * SMIMECapabilities extension (RFC 4262), else unknown (the operator's setting decides).
 *
 * <p>Against downgrades: a message's capabilities count only when its signature verifies, its signer certificate
 * chains to a CA the gateway trusts (Letterlock's, the partner CAs) and names the message's From address, and it
 * carries a signingTime no later than now (plus clock skew) and later than what is stored. They apply only to
 * encryption certificates for that address from the same issuing CA as the signer's: whoever can announce what the
 * holder of bob's certificate reads must hold a certificate for bob from bob's own CA. Unsigned, badly signed or
 * forged announcements change nothing.
 */
public final class KnownCapabilities {
    private static final Logger LOG = Logger.getLogger(KnownCapabilities.class.getName());
    /** How far a signingTime may lie ahead of our clock; one further ahead would pin its capabilities until then. */
    static final Duration CLOCK_SKEW = Duration.ofHours(1);

    private final CapabilityStore store;
    private final List<X509Certificate> trusted;
    private final AuditRecorder audit;
    private final Clock clock;

    /** @param trusted the CA certificates a signer certificate must chain to */
    public KnownCapabilities(CapabilityStore store, List<X509Certificate> trusted, AuditRecorder audit, Clock clock) {
        this.store = store;
        this.trusted = List.copyOf(trusted);
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Records what the sender of an S/MIME-signed message announced, if its signature counts; anything else changes
     * nothing. Never throws: learning is a side matter of delivery, and a failure here (a store that cannot be written,
     * a signature the parser chokes on) must not stop or repeat the message's delivery. It is logged and audited.
     */
    void learnFrom(Envelope envelope, HeaderSection headers, SignedCapabilities.MessageSource message) {
        try {
            learn(envelope, headers, message);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "S/MIME capabilities: message " + envelope.id() + " could not be learned from", e);
            record(envelope, "not learned: " + (e instanceof LetterlockException l ? l.detail() : e.toString()), Outcome.FAILED);
        }
    }

    private void learn(Envelope envelope, HeaderSection headers, SignedCapabilities.MessageSource message) throws IOException {
        if (!SignedCapabilities.signed(headers)) {
            return;
        }
        Instant now = clock.instant();
        Optional<SignedCapabilities.Announcement> announcement;
        try {
            announcement = SignedCapabilities.read(headers, message, trusted, now);
        } catch (LetterlockException e) {
            record(envelope, "ignored: " + e.detail(), Outcome.DENIED);
            return;
        }
        if (announcement.isEmpty()) {
            return;
        }
        SignedCapabilities.Announcement announced = announcement.get();
        if (announced.signingTime().isAfter(now.plus(CLOCK_SKEW))) {
            record(envelope, "ignored: signingTime " + announced.signingTime() + " is in the future", Outcome.DENIED);
            return;
        }
        String issuer = announced.signer().getIssuerX500Principal().getName();
        boolean stored = store.record(announced.address(), issuer, announced.capabilities(), announced.signingTime(), sha256(announced.signer()), now);
        record(envelope, (stored ? "recorded" : "not newer than what is stored, kept") + " for " + announced.address() + " (" + issuer + ", signed "
                + announced.signingTime() + "): " + announced.capabilities().algorithms().size() + " algorithms", stored ? Outcome.ALLOWED : Outcome.DENIED);
    }

    /** What the holder of {@code certificate}, a certificate for {@code address}, is known to read. */
    KnownRecipient of(String address, X509Certificate certificate) {
        Optional<CapabilityStore.Learned> learned = store.find(address, certificate.getIssuerX500Principal().getName());
        if (learned.isPresent()) {
            return new KnownRecipient(certificate, Optional.of(learned.get().capabilities()), "signed-mail");
        }
        try {
            return SmimeCapabilities.ofCertificate(certificate).map(c -> new KnownRecipient(certificate, Optional.of(c), "certificate"))
                    .orElseGet(() -> KnownRecipient.unknown(certificate));
        } catch (LetterlockException e) {
            LOG.warning("S/MIME capabilities: the extension of certificate " + certificate.getSubjectX500Principal().getName() + " is ignored: " + e.detail());
            return KnownRecipient.unknown(certificate);
        }
    }

    private void record(Envelope envelope, String detail, Outcome outcome) {
        audit.recordAsync(new AuditEvent(Actor.current(), "gateway.smime-capabilities", "message:" + envelope.id(), outcome, detail));
    }

    private static String sha256(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate does not encode", e);
        }
    }
}
