package org.letterlock.enroll;

import java.net.URI;
import java.time.Clock;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.config.EnrollSettings;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.secret.VaultSeal;
import org.letterlock.vault.KeyUri;

/**
 * What the enrollment protocols share: the CA and escrow behind {@link MailboxEnrollment}, the enrollment secrets,
 * the audit log and the clock, and the base URL clients reach the enrollment listener at; and the platform, for a
 * protocol with state or mail of its own (ACME's tables, challenge mails and settings).
 */
public record EnrollmentServices(MailboxEnrollment mailboxes, EnrollmentSecrets secrets, AuditRecorder audit, Clock clock, URI baseUrl, Letterlock platform) {
    /** The seal of enrollment secrets: vault key {@code enroll-secrets-aes}, and {@code enroll-secrets} for values sealed before it (docs/decisions/013). */
    public static final String SECRET_KEY_OBJECT = "enroll-secrets";

    /** Paths on the enrollment listener. */
    public static final String EST_PATH = "/.well-known/est";
    public static final String ACME_PATH = "/acme";
    public static final String CMP_PATH = "/cmp";
    public static final String SECRETS_PATH = "/secrets";
    public static final String DISCOVERY_PATH = "/.well-known/letterlock-enrollment";

    public static EnrollmentServices start(Letterlock platform, CertificateAuthority ca, KeyEscrow escrow) {
        EnrollSettings settings = platform.config().enroll();
        VaultSeal seal = VaultSeal.of(platform.vault(), KeyUri.of(platform.config().vault().tokenLabel(), SECRET_KEY_OBJECT));
        String instructions = "Enroll with: letterlock-enroll --server " + settings.url() + " <your address>  (or any EST or CMP client: " + settings.url()
                + DISCOVERY_PATH + " lists the endpoints).";
        EnrollmentSecrets secrets = new EnrollmentSecrets(platform.database().dataSource(), seal, platform.identities(), platform.mail(), platform.auditLog(),
                platform.clock(), new EnrollmentSecrets.Settings(settings.secretTtl(), settings.secretMailsPerHour(), settings.secretAttempts(), instructions));
        return new EnrollmentServices(new MailboxEnrollment(ca, escrow, platform.clock()), secrets, platform.auditLog(), platform.clock(), settings.url(), platform);
    }
}
