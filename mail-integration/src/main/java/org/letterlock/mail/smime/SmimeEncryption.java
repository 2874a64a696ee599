package org.letterlock.mail.smime;

import java.io.IOException;
import java.io.OutputStream;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * S/MIME encryption (RFC 8551 3.3) of one MIME entity into an {@code application/pkcs7-mime} entity: CMS
 * AuthEnvelopedData with AES-256-GCM or EnvelopedData with AES-256-CBC, for recipients' certificates or for a password.
 * The CMS structure is streamed with indefinite lengths and base64-encoded as it is made, so a message of any size
 * passes through a few kilobytes of buffers. Immutable: one encryption can serve several messages, also at once.
 */
public final class SmimeEncryption implements EntityEncryption {
    private final ContentCipher cipher;
    private final List<Recipient> recipients;

    private SmimeEncryption(ContentCipher cipher, List<Recipient> recipients) {
        this.cipher = cipher;
        this.recipients = recipients;
    }

    /**
     * Encryption for the holders of {@code certificates} (RSA of at least 2048 bits, EC P-256/P-384/P-521), each of
     * which can decrypt the one encrypted entity. A certificate whose key cannot be used is refused with BAD_REQUEST
     * naming it; the caller has already checked that each is valid and not revoked.
     */
    public static SmimeEncryption toCertificates(Collection<X509Certificate> certificates, ContentCipher cipher) {
        return toRecipients(certificates.stream().map(c -> new RecipientCertificate(c, RsaKeyTransport.RSAES_OAEP)).toList(), cipher);
    }

    /** As {@link #toCertificates}, with the RSA key transport chosen for each recipient (what its client reads). */
    public static SmimeEncryption toRecipients(List<RecipientCertificate> recipients, ContentCipher cipher) {
        if (recipients.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "S/MIME encryption needs at least one recipient certificate");
        }
        return new SmimeEncryption(cipher, recipients.stream().map(r -> CertificateRecipients.of(r.certificate(), r.rsaKeyTransport())).toList());
    }

    /** A recipient's certificate and, should its key be RSA, how the content key is encrypted to it. */
    public record RecipientCertificate(X509Certificate certificate, RsaKeyTransport rsaKeyTransport) {
    }

    /**
     * Encryption for whoever knows {@code password} (RFC 3211 password recipient), with AES-256-CBC: OpenSSL
     * ({@code openssl cms -decrypt -pwri_password}) reads it, gpgsm 2.2 does not. The key is derived
     * here (PBKDF2-HMAC-SHA256, {@value PasswordRecipient#ITERATIONS} iterations); the caller may clear
     * {@code password} as soon as this returns.
     */
    public static SmimeEncryption toPassword(char[] password) {
        return new SmimeEncryption(ContentCipher.AES256_CBC, List.of(PasswordRecipient.derive(password)));
    }

    @Override
    public OutputStream open(OutputStream out) throws IOException {
        List<RecipientInfoGenerator> recipientInfos = recipients.stream().map(Recipient::infoGenerator).toList();
        // folded: on one line the field has up to 85 characters, past RFC 5322's 78
        MimeOutput.header(out,
                "Content-Type: application/pkcs7-mime; smime-type=" + cipher.smimeType() + ";",
                "\tname=\"smime.p7m\"",
                "Content-Transfer-Encoding: base64",
                "Content-Disposition: attachment; filename=\"smime.p7m\"");
        OutputStream body = MimeOutput.base64Body(out);
        OutputStream content = openCms(body, recipientInfos);
        return MimeOutput.finishing(content, () -> {
            content.close();
            body.close();
        });
    }

    private OutputStream openCms(OutputStream body, List<RecipientInfoGenerator> recipientInfos) throws IOException {
        try {
            return switch (cipher) {
                case AES256_GCM -> {
                    CMSAuthEnvelopedDataStreamGenerator generator = new CMSAuthEnvelopedDataStreamGenerator();
                    recipientInfos.forEach(generator::addRecipientInfoGenerator);
                    yield generator.open(body, (OutputAEADEncryptor) contentEncryptor(CMSAlgorithm.AES256_GCM).build());
                }
                case AES256_CBC -> {
                    CMSEnvelopedDataStreamGenerator generator = new CMSEnvelopedDataStreamGenerator();
                    recipientInfos.forEach(generator::addRecipientInfoGenerator);
                    yield generator.open(body, contentEncryptor(CMSAlgorithm.AES256_CBC).build());
                }
            };
        } catch (CMSException e) {
            throw new IllegalStateException("cannot start the CMS encryption: " + e.getMessage(), e);
        }
    }

    /**
     * The content is encrypted by the JDK's AES (SunJCE), which runs on the CPU's AES and carry-less multiply
     * instructions: for 50 KB here AES-256-GCM takes 22 µs against Bouncy Castle's 591 µs, CBC 72 µs against 477 µs.
     * The key agreement stays with Bouncy Castle, 4x faster than the JDK's at P-256 ({@link CertificateRecipients}).
     */
    private static JceCMSContentEncryptorBuilder contentEncryptor(ASN1ObjectIdentifier algorithm) {
        // Named, so that a provider registered before it (a PKCS#11 token, Bouncy Castle) cannot take the content.
        return new JceCMSContentEncryptorBuilder(algorithm).setProvider("SunJCE");
    }
}
