package org.letterlock.mail.delivery;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.mail.pgp.PgpMimeEncryption;
import org.letterlock.mail.smime.ContentCipher;
import org.letterlock.mail.smime.SmimeEncryption;

/** The encryption of one copy for all recipients of a group, in the format the group's decision names. */
public final class Encryptions {
    private final ContentCipher smimeCipher;
    private final Clock clock;

    /** @param smimeGcm S/MIME content in AES-256-GCM AuthEnvelopedData, else AES-256-CBC EnvelopedData (letterlock.gateway.smime.content-encryption) */
    public Encryptions(boolean smimeGcm, Clock clock) {
        this.smimeCipher = smimeGcm ? ContentCipher.AES256_GCM : ContentCipher.AES256_CBC;
        this.clock = clock;
    }

    EntityEncryption smime(List<X509Certificate> recipients) {
        return SmimeEncryption.toCertificates(recipients, smimeCipher);
    }

    EntityEncryption pgp(List<PGPPublicKeyRing> recipients) {
        return PgpMimeEncryption.forKeys(recipients, clock.instant());
    }
}
