package org.letterlock.mail.smime;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.letterlock.platform.config.GatewaySettings.SmimeContent;

/**
 * What one S/MIME encryption to several recipients uses (RFC 8551 2.7): content every recipient reads, key transport
 * per recipient. AES-256-GCM AuthEnvelopedData only when every recipient is known to read id-aes256-GCM (or the
 * operator forces it), else AES-256-CBC EnvelopedData. An RSA recipient gets RSAES-OAEP unless its client's announced
 * capabilities leave id-RSAES-OAEP out (gpgsm 2.2 announces only aes128-cbc and des-ede3-cbc, OpenSSL 3.0 only content
 * ciphers): then PKCS#1 v1.5, which RFC 8551 2.3 requires every receiver to read. Unknown clients get OAEP.
 *
 * @param cipher     the content encryption
 * @param recipients each certificate with its key transport, in the order given
 * @param summary    what was chosen and from which sources, naming no recipient (for the decision header and audit)
 */
public record SmimeChoice(ContentCipher cipher, List<SmimeEncryption.RecipientCertificate> recipients, String summary) {

    /**
     * A recipient's certificate and what is known of its client.
     *
     * @param source where the capabilities come from ({@code signed-mail}, {@code certificate}), or {@code unknown}
     */
    public record KnownRecipient(X509Certificate certificate, Optional<SmimeCapabilities> capabilities, String source) {
        public static KnownRecipient unknown(X509Certificate certificate) {
            return new KnownRecipient(certificate, Optional.empty(), "unknown");
        }
    }

    public SmimeChoice {
        recipients = List.copyOf(recipients);
    }

    public static SmimeChoice of(SmimeContent setting, List<KnownRecipient> recipients) {
        boolean allReadGcm = recipients.stream().allMatch(r -> r.capabilities().map(SmimeCapabilities::readsAes256Gcm).orElse(false));
        ContentCipher cipher = switch (setting) {
            case AES256_GCM -> ContentCipher.AES256_GCM;
            case AES256_CBC -> ContentCipher.AES256_CBC;
            case CAPABILITIES -> allReadGcm ? ContentCipher.AES256_GCM : ContentCipher.AES256_CBC;
        };
        List<SmimeEncryption.RecipientCertificate> chosen = recipients.stream()
                .map(r -> new SmimeEncryption.RecipientCertificate(r.certificate(), r.capabilities().map(c -> c.readsRsaesOaep() ? RsaKeyTransport.RSAES_OAEP
                        : RsaKeyTransport.PKCS1_V15).orElse(RsaKeyTransport.RSAES_OAEP)))
                .toList();
        TreeSet<String> rsa = chosen.stream().filter(r -> r.certificate().getPublicKey().getAlgorithm().equals("RSA"))
                .map(r -> r.rsaKeyTransport().label()).collect(Collectors.toCollection(TreeSet::new));
        String summary = "content=" + (cipher == ContentCipher.AES256_GCM ? "aes256-gcm" : "aes256-cbc")
                + (setting == SmimeContent.CAPABILITIES ? "" : " (setting)")
                + (rsa.isEmpty() ? "" : "; rsa=" + String.join(",", rsa))
                + "; capabilities=" + recipients.stream().map(KnownRecipient::source).collect(Collectors.toCollection(TreeSet::new)).stream().collect(Collectors.joining(","));
        return new SmimeChoice(cipher, chosen, summary);
    }

    /** The encryption this choice describes. */
    public SmimeEncryption encryption() {
        return SmimeEncryption.toRecipients(recipients, cipher);
    }
}
