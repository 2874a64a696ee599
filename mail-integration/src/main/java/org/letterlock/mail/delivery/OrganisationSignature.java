package org.letterlock.mail.delivery;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.mail.smime.SmimeSignature;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * The organisation's S/MIME signature for the gateway: an EC P-256 key made in the vault ({@value #KEY_OBJECT}) and a
 * mailbox-signing certificate for the configured address that Letterlock's CA issues to itself, renewed when a third
 * of its life is left (checked daily). Personal signing keys never come here; this one signs as the organisation.
 */
public final class OrganisationSignature {
    public static final String KEY_OBJECT = "gateway-signing";
    static final Duration VALIDITY = Duration.ofDays(365);
    static final Duration CHECK_INTERVAL = Duration.ofHours(24);

    private final CertificateAuthority ca;
    private final KeyVault vault;
    private final KeyUri key;
    private final String address;
    private final SubjectPublicKeyInfo publicKey;
    private final Clock clock;
    private volatile SmimeSignature current;
    private volatile Instant checkedAt;

    public OrganisationSignature(CertificateAuthority ca, KeyVault vault, String tokenLabel, String address, Clock clock) {
        this.ca = ca;
        this.vault = vault;
        this.key = KeyUri.of(tokenLabel, KEY_OBJECT);
        this.address = address;
        this.clock = clock;
        this.publicKey = SubjectPublicKeyInfo.getInstance((vault.contains(key) ? vault.publicKey(key) : vault.createKey(key, KeySpec.EC_P256)).getEncoded());
        refresh();
    }

    /** The signature with the current certificate. */
    public SmimeSignature current() {
        if (checkedAt.plus(CHECK_INTERVAL).isBefore(clock.instant())) {
            refresh();
        }
        return current;
    }

    private synchronized void refresh() {
        IssuedCertificate certificate = ca.systemSigningCertificate(publicKey, address, VALIDITY);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(x509(certificate.holder()));
        for (X509CertificateHolder issuer : ca.chain(certificate.issuerId())) {
            chain.add(x509(issuer));
        }
        current = SmimeSignature.by(() -> vault.signer(key), chain);
        checkedAt = clock.instant();
    }

    private static X509Certificate x509(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalStateException("the CA's certificate does not parse", e);
        }
    }
}
