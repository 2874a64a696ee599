package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.platform.config.GatewaySettings.SmimeContent;
import org.letterlock.platform.error.LetterlockException;

/**
 * The choice of content encryption and RSA key transport for one message from what its recipients announce (RFC 8551
 * 2.7), and capabilities from a certificate's SMIMECapabilities extension (RFC 4262), opened with openssl cms.
 */
class SmimeChoiceTest {
    /** What clients announce: gpgsm 2.2.40 and OpenSSL 3.0 as their signatures carry it, a modern client, an old one naming rsaEncryption. */
    private static final Map<String, SmimeCapabilities> CLIENTS = Map.of(
            "gpgsm22", capabilities(NISTObjectIdentifiers.id_aes128_CBC, PKCSObjectIdentifiers.des_EDE3_CBC),
            "openssl30", capabilities(NISTObjectIdentifiers.id_aes256_CBC, NISTObjectIdentifiers.id_aes192_CBC, NISTObjectIdentifiers.id_aes128_CBC,
                    PKCSObjectIdentifiers.des_EDE3_CBC),
            "modern", capabilities(NISTObjectIdentifiers.id_aes256_GCM, NISTObjectIdentifiers.id_aes256_CBC, PKCSObjectIdentifiers.id_RSAES_OAEP),
            "gcm-rsa15", capabilities(NISTObjectIdentifiers.id_aes256_GCM, PKCSObjectIdentifiers.rsaEncryption));

    private static TestCertificates certificates;
    private static X509Certificate rsa;
    private static X509Certificate ec;

    @TempDir
    Path dir;

    @BeforeAll
    static void issue() throws Exception {
        certificates = new TestCertificates();
        rsa = certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, TestRequests.rsa(2048), "rsa@example.org").certificate();
        ec = certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, TestRequests.ec("secp256r1"), "ec@example.org").certificate();
    }

    @AfterAll
    static void close() {
        certificates.close();
    }

    static Stream<Arguments> choices() {
        return Stream.of(
                Arguments.of("capabilities/unknown-gets-cbc-and-oaep", SmimeContent.CAPABILITIES, List.of("rsa:unknown"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.RSAES_OAEP), "content=aes256-cbc; rsa=oaep; capabilities=unknown"),
                Arguments.of("capabilities/gpgsm22-gets-cbc-and-pkcs1", SmimeContent.CAPABILITIES, List.of("rsa:gpgsm22"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.PKCS1_V15), "content=aes256-cbc; rsa=pkcs1v15; capabilities=signed-mail"),
                Arguments.of("capabilities/openssl30-names-no-oaep", SmimeContent.CAPABILITIES, List.of("rsa:openssl30"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.PKCS1_V15), "content=aes256-cbc; rsa=pkcs1v15; capabilities=signed-mail"),
                Arguments.of("capabilities/modern-gets-gcm-and-oaep", SmimeContent.CAPABILITIES, List.of("rsa:modern"),
                        ContentCipher.AES256_GCM, List.of(RsaKeyTransport.RSAES_OAEP), "content=aes256-gcm; rsa=oaep; capabilities=signed-mail"),
                Arguments.of("capabilities/rsaEncryption-without-oaep", SmimeContent.CAPABILITIES, List.of("rsa:gcm-rsa15"),
                        ContentCipher.AES256_GCM, List.of(RsaKeyTransport.PKCS1_V15), "content=aes256-gcm; rsa=pkcs1v15; capabilities=signed-mail"),
                Arguments.of("capabilities/mixed-gets-the-common-content-and-each-its-transport", SmimeContent.CAPABILITIES, List.of("rsa:modern", "rsa:gpgsm22"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.RSAES_OAEP, RsaKeyTransport.PKCS1_V15), "content=aes256-cbc; rsa=oaep,pkcs1v15; capabilities=signed-mail"),
                Arguments.of("capabilities/one-unknown-keeps-cbc", SmimeContent.CAPABILITIES, List.of("rsa:modern", "ec:unknown"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.RSAES_OAEP, RsaKeyTransport.RSAES_OAEP), "content=aes256-cbc; rsa=oaep; capabilities=signed-mail,unknown"),
                Arguments.of("capabilities/ec-alone-names-no-rsa-transport", SmimeContent.CAPABILITIES, List.of("ec:modern"),
                        ContentCipher.AES256_GCM, List.of(RsaKeyTransport.RSAES_OAEP), "content=aes256-gcm; capabilities=signed-mail"),
                Arguments.of("setting/gcm-forced", SmimeContent.AES256_GCM, List.of("rsa:gpgsm22"),
                        ContentCipher.AES256_GCM, List.of(RsaKeyTransport.PKCS1_V15), "content=aes256-gcm (setting); rsa=pkcs1v15; capabilities=signed-mail"),
                Arguments.of("setting/cbc-forced", SmimeContent.AES256_CBC, List.of("rsa:modern"),
                        ContentCipher.AES256_CBC, List.of(RsaKeyTransport.RSAES_OAEP), "content=aes256-cbc (setting); rsa=oaep; capabilities=signed-mail"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void choosesWhatEveryRecipientReads(String name, SmimeContent setting, List<String> recipients, ContentCipher cipher, List<RsaKeyTransport> transports,
                                        String summary) {
        List<SmimeChoice.KnownRecipient> known = recipients.stream().map(SmimeChoiceTest::known).toList();

        SmimeChoice choice = SmimeChoice.of(setting, known);

        assertThat(choice.cipher()).isEqualTo(cipher);
        assertThat(choice.recipients()).extracting(SmimeEncryption.RecipientCertificate::rsaKeyTransport).containsExactlyElementsOf(transports);
        assertThat(choice.summary()).isEqualTo(summary);
    }

    @Test
    void aCertificateAnnouncingGcmAndOaepGetsThemAndOpensslReadsIt() throws Exception {
        KeyPair keys = TestRequests.rsa(2048);
        X509Certificate certificate = withCapabilities(keys, CLIENTS.get("modern").encoded());
        Optional<SmimeCapabilities> announced = SmimeCapabilities.ofCertificate(certificate);
        assertThat(announced).contains(CLIENTS.get("modern"));

        SmimeChoice choice = SmimeChoice.of(SmimeContent.CAPABILITIES, List.of(new SmimeChoice.KnownRecipient(certificate, announced, "certificate")));
        assertThat(choice.summary()).isEqualTo("content=aes256-gcm; rsa=oaep; capabilities=certificate");
        Path message = Files.write(dir.resolve("m.eml"), SmimeEncryptionTest.encrypt(choice.encryption(), SmimeEncryptionTest.ENTITY));

        assertThat(Files.readString(message)).contains("smime-type=authEnveloped-data");
        Path clear = dir.resolve("m.out");
        Tools.Run run = new Tools(dir).openssl("cms", "-decrypt", "-in", message.toString(), "-recip", TestCertificates.pem(dir, "c", certificate).toString(),
                "-inkey", TestCertificates.pem(dir, "k", keys.getPrivate()).toString(), "-out", clear.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(clear).hasBinaryContent(SmimeEncryptionTest.ENTITY);
    }

    @Test
    void pkcs1Version15IsWrittenAsRsaEncryptionAndOaepAsRsaesOaep() throws Exception {
        SmimeEncryption both = SmimeEncryption.toRecipients(List.of(new SmimeEncryption.RecipientCertificate(rsa, RsaKeyTransport.PKCS1_V15),
                new SmimeEncryption.RecipientCertificate(rsa, RsaKeyTransport.RSAES_OAEP)), ContentCipher.AES256_CBC);
        byte[] entity = SmimeEncryptionTest.encrypt(both, SmimeEncryptionTest.ENTITY);

        var infos = org.bouncycastle.asn1.cms.EnvelopedData.getInstance(SmimeEncryptionTest.contentInfo(entity).getContent()).getRecipientInfos();
        assertThat(Arrays.stream(infos.toArray()).map(i -> KeyTransRecipientInfo.getInstance(
                org.bouncycastle.asn1.cms.RecipientInfo.getInstance(i).getInfo()).getKeyEncryptionAlgorithm().getAlgorithm()))
                .containsExactly(PKCSObjectIdentifiers.rsaEncryption, PKCSObjectIdentifiers.id_RSAES_OAEP);
    }

    @Test
    void aCertificateExtensionThatDoesNotDecodeIsRefusedByName() throws Exception {
        X509Certificate certificate = withCapabilities(TestRequests.rsa(2048), new byte[] {0x30, 0x03, 0x06, 0x01});

        assertThatThrownBy(() -> SmimeCapabilities.ofCertificate(certificate)).isInstanceOf(LetterlockException.class)
                .hasMessageStartingWith("SMIMECapabilities do not decode");
    }

    private static SmimeChoice.KnownRecipient known(String spec) {
        String[] parts = spec.split(":");
        X509Certificate certificate = parts[0].equals("rsa") ? rsa : ec;
        return parts[1].equals("unknown") ? SmimeChoice.KnownRecipient.unknown(certificate)
                : new SmimeChoice.KnownRecipient(certificate, Optional.of(CLIENTS.get(parts[1])), "signed-mail");
    }

    private static SmimeCapabilities capabilities(ASN1ObjectIdentifier... algorithms) {
        return new SmimeCapabilities(List.of(algorithms));
    }

    /** Self-signed, for key encipherment, with {@code extension} as the SMIMECapabilities extension's value (RFC 4262). */
    private static X509Certificate withCapabilities(KeyPair keys, byte[] extension) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=announcing@example.org");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(30))), name, keys.getPublic());
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment));
        builder.addExtension(SmimeCapabilities.OID, false, extension);
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(TestRequests.BC).build(keys.getPrivate())));
    }
}
