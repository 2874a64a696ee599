package org.letterlock.mail.delivery;

import java.security.cert.X509Certificate;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Optional;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.mail.pgp.PgpMimeEncryption;
import org.letterlock.mail.policy.RecipientRule;
import org.letterlock.mail.smime.SmimeChoice;
import org.letterlock.mail.smime.SmimeEncryption;
import org.letterlock.mail.smime.SmimeSignature;
import org.letterlock.platform.config.GatewaySettings.SmimeContent;

/** The encryption of one copy for all recipients of a group, in the format the group's decision names. */
public final class Encryptions {
    private final SmimeContent smimeContent;
    private final KnownCapabilities capabilities;
    private final Optional<OrganisationSignature> organisationSignature;
    private final Clock clock;

    /**
     * @param smimeContent          how S/MIME content encryption is chosen (letterlock.gateway.smime.content-encryption)
     * @param capabilities          what recipients' S/MIME clients are known to read
     * @param organisationSignature what signed S/MIME copies are signed with, if the gateway has it
     */
    public Encryptions(SmimeContent smimeContent, KnownCapabilities capabilities, Optional<OrganisationSignature> organisationSignature, Clock clock) {
        this.smimeContent = smimeContent;
        this.capabilities = capabilities;
        this.organisationSignature = organisationSignature;
        this.clock = clock;
    }

    /** What recipients' S/MIME clients are known to read, and what learns it from signed mail. */
    KnownCapabilities capabilities() {
        return capabilities;
    }

    /** What one S/MIME copy to {@code recipients} (each with its decision's certificates) uses: what all of them read. */
    SmimeChoice smimeChoice(List<String> recipients, List<Decision> decisions) {
        List<SmimeChoice.KnownRecipient> known = new ArrayList<>();
        for (int i = 0; i < recipients.size(); i++) {
            for (X509Certificate certificate : decisions.get(i).certificates()) {
                known.add(capabilities.of(recipients.get(i), certificate));
            }
        }
        return SmimeChoice.of(smimeContent, known);
    }

    EntityEncryption smime(SmimeChoice choice, boolean signed) {
        EntityEncryption encryption = choice.encryption();
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
