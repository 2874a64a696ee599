package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MailGatewayTest {

    static X509Certificate certificate(KeyPair key) throws Exception {
        X500Name name = new X500Name("CN=rcpt@relay.test");
        return new JcaX509CertificateConverter().setProvider(Ocsp.PROVIDER).getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 3_600_000), name, key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Ocsp.PROVIDER).build(key.getPrivate())));
    }

    /** An S/MIME message as a gateway would write it: outer header, then the encrypted entity (header and body) in base64. */
    static byte[] smime(KeyPair recipient, boolean gcm, byte[] body) throws Exception {
        byte[] entity = concat("Content-Type: text/plain; charset=us-ascii\r\n\r\n".getBytes(StandardCharsets.US_ASCII), body);
        KeyPair ephemeral = Ocsp.ecP256();
        JceKeyAgreeRecipientInfoGenerator info = new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(), ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP);
        info.addRecipient(certificate(recipient)).setProvider(Ocsp.PROVIDER);
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        OutputStream content;
        if (gcm) {
            CMSAuthEnvelopedDataStreamGenerator generator = new CMSAuthEnvelopedDataStreamGenerator();
            generator.addRecipientInfoGenerator(info);
            content = generator.open(der, (OutputAEADEncryptor) new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_GCM).setProvider(Ocsp.PROVIDER).build());
        } else {
            CMSEnvelopedDataStreamGenerator generator = new CMSEnvelopedDataStreamGenerator();
            generator.addRecipientInfoGenerator(info);
            content = generator.open(der, new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider(Ocsp.PROVIDER).build());
        }
        content.write(entity);
        content.close();
        String header = "From: <a@source.test>\r\nMessage-ID: <bench-x-1@source.test>\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime;\r\n"
                + " smime-type=" + (gcm ? "authEnveloped-data" : "enveloped-data") + "; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        return concat(header.getBytes(StandardCharsets.US_ASCII), Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encode(der.toByteArray()));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    static MailGateway.Check check(byte[] message, KeyPair key, byte[] body) throws IOException {
        return MailGateway.check(new ByteArrayInputStream(message), key.getPrivate(), body, message.length);
    }

    @Test
    void anEncryptedMessageIsOpenedWithTheRecipientsKeyAndItsBodyFound() throws Exception {
        KeyPair recipient = Ocsp.ecP256();
        byte[] body = Smtp.body(51_200);
        for (boolean gcm : new boolean[] {true, false}) {
            MailGateway.Check check = check(smime(recipient, gcm, body), recipient, body);
            assertThat(check.ok()).as(check.text()).isTrue();
            assertThat(check.smimeType()).isEqualTo(gcm ? "authEnveloped-data" : "enveloped-data");
            assertThat(check.innerType()).startsWith("text/plain");
            assertThat(check.text()).contains("opened with the recipient's key", "body intact");
        }
    }

    @Test
    void theWrongKeyOrAnotherBodyOrClearTextIsReported() throws Exception {
        KeyPair recipient = Ocsp.ecP256();
        byte[] body = Smtp.body(5_000);
        MailGateway.Check wrongKey = check(smime(recipient, true, body), Ocsp.ecP256(), body);
        assertThat(wrongKey.encrypted()).isTrue();
        assertThat(wrongKey.decrypted()).isFalse();
        assertThat(wrongKey.text()).contains("does not open it");
        MailGateway.Check otherBody = check(smime(recipient, false, Smtp.body(4_000)), recipient, body);
        assertThat(otherBody.decrypted()).isTrue();
        assertThat(otherBody.bodyFound()).isFalse();
        assertThat(otherBody.text()).contains("BODY NOT FOUND");
        byte[] clear = concat(Smtp.header("bench-x-1@source.test", "bench-x-1@source.test", "rcpt@relay.test", java.time.ZonedDateTime.now()), body);
        MailGateway.Check inClear = check(clear, recipient, body);
        assertThat(inClear.encrypted()).isFalse();
        assertThat(inClear.bodyFound()).isTrue();
        assertThat(inClear.text()).startsWith("NOT ENCRYPTED");
    }

    @Test
    void aKeptFileIsCheckedTheSameWay(@TempDir Path dir) throws Exception {
        KeyPair recipient = Ocsp.ecP256();
        byte[] body = Smtp.body(300_000);
        Path file = dir.resolve("m.eml");
        Files.write(file, smime(recipient, true, body));
        assertThat(MailGateway.check(file, recipient.getPrivate(), body).ok()).isTrue();
    }

    @Test
    void theVerificationTokenIsTakenFromTheNewestMailToTheAddress(@TempDir Path outbox) throws IOException {
        Files.writeString(outbox.resolve("0001.eml"), "To: rcpt@relay.test\r\n\r\nhttp://x/api/identities/verify?token=OLD-token_1\r\n");
        Files.writeString(outbox.resolve("0002.eml"), "To: other@relay.test\r\n\r\nhttp://x/verify?token=OTHER\r\n");
        Files.writeString(outbox.resolve("0003.eml"), "To: rcpt@relay.test\r\n\r\nhttp://x/api/identities/verify?token=new-Token_2\r\n");
        assertThat(MailGateway.verificationToken(outbox, "rcpt@relay.test")).isEqualTo("new-Token_2");
        assertThatThrownBy(() -> MailGateway.verificationToken(outbox, "nobody@relay.test")).hasMessageContaining("no verification mail");
    }

    @Test
    void theGatewayIsConfiguredByItsKeysAsEnvironmentVariables() {
        assertThat(MailGateway.config(2600, 2700)).containsEntry("LETTERLOCK_GATEWAY_SMTP_PORT", "2600").containsEntry("LETTERLOCK_GATEWAY_SMTP_ADDRESS", "127.0.0.1")
                .containsEntry("LETTERLOCK_GATEWAY_NEXT_HOP", "127.0.0.1:2700").containsEntry("LETTERLOCK_GATEWAY_NEXT_HOP_TLS", "none")
                .containsEntry("LETTERLOCK_KEYSERVER_HKP_PORT", "0");
        assertThat(MailGateway.smimeType("application/pkcs7-mime; smime-type=\"authEnveloped-data\"")).isEqualTo("authEnveloped-data");
        assertThat(MailGateway.smimeType("application/x-pkcs7-mime")).isEqualTo("enveloped-data");
        assertThat(MailGateway.indexOf("abcabd".getBytes(StandardCharsets.US_ASCII), "abd".getBytes(StandardCharsets.US_ASCII))).isEqualTo(3);
        assertThat(MailGateway.indexOf("ab".getBytes(StandardCharsets.US_ASCII), "abd".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
    }
}
