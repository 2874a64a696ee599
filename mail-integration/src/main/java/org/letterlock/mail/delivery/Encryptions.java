package org.letterlock.mail.delivery;

import java.security.cert.X509Certificate;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.Optional;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.mail.pgp.PgpMimeEncryption;
import org.letterlock.mail.policy.RecipientRule;
import org.letterlock.mail.smime.ContentCipher;
import org.letterlock.mail.smime.SmimeEncryption;
import org.letterlock.mail.smime.SmimeSignature;

/** The encryption of one copy for all recipients of a group, in the format the group's decision names. */
public final class Encryptions {
    private final ContentCipher smimeCipher;
    private final Optional<OrganisationSignature> organisationSignature;
    private final Clock clock;

    /**
     * @param smimeGcm              S/MIME content in AES-256-GCM AuthEnvelopedData, else AES-256-CBC EnvelopedData (letterlock.gateway.smime.content-encryption)
     * @param organisationSignature what signed S/MIME copies are signed with, if the gateway has it
     */
    public Encryptions(boolean smimeGcm, Optional<OrganisationSignature> organisationSignature, Clock clock) {
        this.smimeCipher = smimeGcm ? ContentCipher.AES256_GCM : ContentCipher.AES256_CBC;
        this.organisationSignature = organisationSignature;
        this.clock = clock;
    }

    EntityEncryption smime(List<X509Certificate> recipients, boolean signed) {
        EntityEncryption encryption = SmimeEncryption.toCertificates(recipients, smimeCipher);
        if (!signed) {
            return encryption;
        }
        SmimeSignature signature = organisationSignature.orElseThrow(() -> new IllegalStateException("a signed copy was decided without a signature")).current();
        // Sign, then encrypt (RFC 8551 3.7): the signed entity, protected header fields included, is what gets encrypted.
        return out -> {
            OutputStream encrypted = encryption.open(out);
            OutputStream signedEntity = signature.open(encrypted);
            return new FilterOutputStream(signedEntity) {
                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    signedEntity.write(bytes, offset, length);
                }

                @Override
                public void close() throws IOException {
                    signedEntity.close();
                    encrypted.close();
                }
            };
        };
    }

    EntityEncryption pgp(List<PGPPublicKeyRing> recipients) {
        return PgpMimeEncryption.forKeys(recipients, clock.instant());
    }

    /** Under a passphrase; the caller may wipe {@code passphrase} once this returns. */
    EntityEncryption password(RecipientRule.PasswordFormat format, char[] passphrase) {
        return switch (format) {
            case CMS -> SmimeEncryption.toPassword(passphrase);
            case OPENPGP -> PgpMimeEncryption.forPassphrase(passphrase);
        };
    }
}
