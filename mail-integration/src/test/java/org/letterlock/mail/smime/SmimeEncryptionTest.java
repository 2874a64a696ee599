package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.AuthEnvelopedData;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.cms.KeyAgreeRecipientInfo;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.PasswordRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cms.CMSAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.mail.smime.TestCertificates.Holder;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * S/MIME encryption checked by OpenSSL 3.0 as a recipient's client would: every key type and cipher decrypts to the
 * very bytes of the cleartext entity, the output is a well-formed application/pkcs7-mime entity, and the CMS carries
 * the algorithms the gateway's documentation names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmimeEncryptionTest {
    /** 8-bit text, a line longer than 76 characters, a length that is no multiple of a block or of a base64 group. */
    static final byte[] ENTITY = ("""
            Content-Type: multipart/mixed; boundary="part"\r
            \r
            --part\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            \r
            Grüße aus Köln. This line is longer than seventy-six characters, and the encryption must not touch it.\r
            --part\r
            Content-Type: application/octet-stream\r
            Content-Transfer-Encoding: base64\r
            \r
            AAECAwQFBgc=\r
            --part--\r
            """).getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private TestCertificates certificates;
    private Tools tools;
    private final Map<String, Holder> recipients = new LinkedHashMap<>();

    @BeforeAll
    void issueRecipientCertificates() throws Exception {
        certificates = new TestCertificates();
        recipients.put("RSA-2048", encryptionCertificate(TestRequests.rsa(2048), "rsa2048@example.org"));
        recipients.put("RSA-3072", encryptionCertificate(TestRequests.rsa(3072), "rsa3072@example.org"));
        recipients.put("P-256", encryptionCertificate(TestRequests.ec("secp256r1"), "p256@example.org"));
        recipients.put("P-384", encryptionCertificate(TestRequests.ec("secp384r1"), "p384@example.org"));
        recipients.put("P-521", encryptionCertificate(TestRequests.ec("secp521r1"), "p521@example.org"));
    }

    @BeforeEach
    void toolsInThisTestsFolder() {
        tools = new Tools(dir);
    }

    @AfterAll
    void closeVault() {
        certificates.close();
    }

    private Holder encryptionCertificate(KeyPair keys, String mailbox) {
        return certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, keys, mailbox);
    }

    static Stream<Arguments> keysAndCiphers() {
        return Stream.of("RSA-2048", "RSA-3072", "P-256", "P-384", "P-521")
                .flatMap(key -> Stream.of(ContentCipher.values()).map(cipher -> Arguments.of(key, cipher)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("keysAndCiphers")
    void opensslDecryptsToTheCleartextEntity(String key, ContentCipher cipher) throws Exception {
        Holder recipient = recipients.get(key);
        Path message = encryptToFile("message", SmimeEncryption.toCertificates(List.of(recipient.certificate()), cipher));

        assertThat(decrypt(message, recipient)).isEqualTo(ENTITY);
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void oneMessageForAnRsaAndAnEcRecipientDecryptsForEachAndNobodyElse(ContentCipher cipher) throws Exception {
        Holder rsa = recipients.get("RSA-2048");
        Holder ec = recipients.get("P-256");
        Path message = encryptToFile("both", SmimeEncryption.toCertificates(List.of(rsa.certificate(), ec.certificate()), cipher));

        assertThat(decrypt(message, rsa)).isEqualTo(ENTITY);
        assertThat(decrypt(message, ec)).isEqualTo(ENTITY);
        Holder outsider = recipients.get("P-384");
        Tools.Run refused = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-recip", pem("outsider-cert", outsider.certificate()).toString(),
                "-inkey", pem("outsider-key", outsider.key()).toString(), "-out", dir.resolve("outsider.out").toString());
        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("Error decrypting CMS using private key");
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void theOutputIsABase64Pkcs7MimeEntityWithShortCrlfLinesAndTheStreamStaysOpen(ContentCipher cipher) throws Exception {
        CloseRecordingStream out = new CloseRecordingStream();
        try (OutputStream cleartext = SmimeEncryption.toCertificates(List.of(recipients.get("P-256").certificate()), cipher).open(out)) {
            cleartext.write(ENTITY);
        }
        String text = out.toString(StandardCharsets.US_ASCII);

        assertThat(out.closed).isFalse();
        assertThat(text).startsWith("Content-Type: application/pkcs7-mime; smime-type=" + cipher.smimeType() + ";\r\n"
                + "\tname=\"smime.p7m\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                + "\r\n");
        assertThat(text).endsWith("\r\n").doesNotContain("\r\n\r\n\r\n");
        assertThat(text.replace("\r\n", "")).doesNotContain("\r", "\n");
        assertThat(text.split("\r\n")).allSatisfy(line -> assertThat(line).hasSizeLessThanOrEqualTo(76));
        String body = text.substring(text.indexOf("\r\n\r\n") + 4);
        assertThat(body.split("\r\n")).allSatisfy(line -> assertThat(line).hasSizeBetween(1, 76).matches("[A-Za-z0-9+/=]+"));
        assertThat(body.split("\r\n")[0]).hasSize(76);
        assertThat(contentInfo(out.toByteArray()).getContentType())
                .isEqualTo(cipher == ContentCipher.AES256_GCM ? CMSObjectIdentifiers.authEnvelopedData : CMSObjectIdentifiers.envelopedData);
    }

    @Test
    void gcmParametersWriteTheIcvLengthSixteenExplicitly() throws Exception {
        byte[] message = encrypt(SmimeEncryption.toCertificates(List.of(recipients.get("P-256").certificate()), ContentCipher.AES256_GCM), ENTITY);
        AuthEnvelopedData envelope = AuthEnvelopedData.getInstance(contentInfo(message).getContent());
        AlgorithmIdentifier algorithm = envelope.getAuthEncryptedContentInfo().getContentEncryptionAlgorithm();

        assertThat(algorithm.getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_aes256_GCM);
        ASN1Sequence parameters = ASN1Sequence.getInstance(algorithm.getParameters());
        assertThat(parameters.size()).as("nonce and an explicit ICV length").isEqualTo(2);
        assertThat(ASN1Integer.getInstance(parameters.getObjectAt(1)).intValueExact()).isEqualTo(16);
        assertThat(GCMParameters.getInstance(parameters).getNonce()).hasSize(12);
        assertThat(envelope.getMac().getOctets()).hasSize(16);
    }

    @Test
    void rsaRecipientsGetOaepSha256AndEcRecipientsEcdhSha256KdfWithAes256WrapAndAFreshEphemeralKey() throws Exception {
        SmimeEncryption encryption = SmimeEncryption.toCertificates(
                List.of(recipients.get("RSA-3072").certificate(), recipients.get("P-384").certificate()), ContentCipher.AES256_CBC);
        List<RecipientInfo> first = recipientInfos(encrypt(encryption, ENTITY));
        List<RecipientInfo> second = recipientInfos(encrypt(encryption, ENTITY));

        KeyTransRecipientInfo rsa = KeyTransRecipientInfo.getInstance(first.get(0).getInfo());
        assertThat(rsa.getKeyEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_RSAES_OAEP);
        RSAESOAEPparams oaep = RSAESOAEPparams.getInstance(rsa.getKeyEncryptionAlgorithm().getParameters());
        assertThat(oaep.getHashAlgorithm().getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_sha256);
        assertThat(oaep.getMaskGenAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_mgf1);
        assertThat(AlgorithmIdentifier.getInstance(oaep.getMaskGenAlgorithm().getParameters()).getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_sha256);

        KeyAgreeRecipientInfo ec = KeyAgreeRecipientInfo.getInstance(first.get(1).getInfo());
        assertThat(ec.getKeyEncryptionAlgorithm().getAlgorithm()).isEqualTo(CMSAlgorithm.ECDH_SHA256KDF);
        assertThat(AlgorithmIdentifier.getInstance(ec.getKeyEncryptionAlgorithm().getParameters()).getAlgorithm()).isEqualTo(CMSAlgorithm.AES256_WRAP);
        KeyAgreeRecipientInfo ecAgain = KeyAgreeRecipientInfo.getInstance(second.get(1).getInfo());
        assertThat(ecAgain.getOriginator().getOriginatorKey().getPublicKey().getBytes())
                .isNotEqualTo(ec.getOriginator().getOriginatorKey().getPublicKey().getBytes());
    }

    @Test
    void aPasswordRecipientDecryptsWithOpensslAndTheRightPasswordOnly() throws Exception {
        char[] password = "correct horse battery staple".toCharArray();
        Path message = encryptToFile("password", SmimeEncryption.toPassword(password));
        Arrays.fill(password, '\0');

        assertThat(Files.readString(message)).startsWith("Content-Type: application/pkcs7-mime; smime-type=enveloped-data;\r\n");
        Path clear = dir.resolve("password.out");
        Tools.Run right = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-pwri_password", "correct horse battery staple", "-out", clear.toString());
        assertThat(right.exit()).as(right.output()).isZero();
        assertThat(Files.readAllBytes(clear)).isEqualTo(ENTITY);

        Path wrongClear = dir.resolve("wrong.out");
        Tools.Run wrong = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-pwri_password", "correct horse battery stapler", "-out", wrongClear.toString());
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.output()).contains("Error decrypting CMS using password", "unwrap failure");
        assertThat(wrongClear).satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyFile());
    }

    @Test
    void aNonAsciiPasswordIsItsUtf8Bytes() throws Exception {
        String password = "Kölner Dom – 大聖堂";
        Path message = encryptToFile("utf8-password", SmimeEncryption.toPassword(password.toCharArray()));
        Path clear = dir.resolve("utf8-password.out");

        Tools.Run run = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-pwri_password", password, "-out", clear.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(Files.readAllBytes(clear)).isEqualTo(ENTITY);
    }

    @Test
    void thePasswordKeyIsPbkdf2WithHmacSha256AndSixHundredThousandIterationsWrappedByAes256() throws Exception {
        RecipientInfo info = recipientInfos(encrypt(SmimeEncryption.toPassword("secret".toCharArray()), ENTITY)).get(0);
        PasswordRecipientInfo password = PasswordRecipientInfo.getInstance(info.getInfo());

        assertThat(password.getKeyDerivationAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_PBKDF2);
        PBKDF2Params pbkdf2 = PBKDF2Params.getInstance(password.getKeyDerivationAlgorithm().getParameters());
        assertThat(pbkdf2.getPrf().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_hmacWithSHA256);
        assertThat(pbkdf2.getIterationCount().intValueExact()).isEqualTo(600_000);
        assertThat(pbkdf2.getSalt()).hasSize(16);
        assertThat(password.getKeyEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_alg_PWRI_KEK);
        assertThat(AlgorithmIdentifier.getInstance(password.getKeyEncryptionAlgorithm().getParameters()).getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_aes256_CBC);
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void aTwentyFiveMegabyteEntityStreamsThroughAndDecrypts(ContentCipher cipher) throws Exception {
        Holder recipient = recipients.get("P-256");
        Path message = dir.resolve("large.eml");
        MessageDigest cleartextDigest = MessageDigest.getInstance("SHA-256");
        long encodedWhileStreaming;
        try (CountingStream file = new CountingStream(new BufferedOutputStream(Files.newOutputStream(message)))) {
            OutputStream cleartext = SmimeEncryption.toCertificates(List.of(recipient.certificate()), cipher).open(file);
            writeLargeEntity(new DigestOutputStream(cleartext, cleartextDigest));
            encodedWhileStreaming = file.count;
            cleartext.close();
        }

        assertThat(encodedWhileStreaming).as("base64 written before the cleartext ends: nothing waits for the whole message")
                .isGreaterThan(LARGE_BYTES / 3 * 4 - 8 * 1024);
        Path clear = dir.resolve("large.out");
        Tools.Run run = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-recip", pem("large-cert", recipient.certificate()).toString(),
                "-inkey", pem("large-key", recipient.key()).toString(), "-out", clear.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(Files.size(clear)).isEqualTo(LARGE_BYTES);
        try (InputStream decrypted = Files.newInputStream(clear)) {
            MessageDigest decryptedDigest = MessageDigest.getInstance("SHA-256");
            decrypted.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), decryptedDigest));
            assertThat(decryptedDigest.digest()).isEqualTo(cleartextDigest.digest());
        }
    }

    private static final long LARGE_BYTES = 25L * 1024 * 1024;

    /** An attachment of random bytes in base64 lines, made as it is written so the test holds no copy either. */
    private static void writeLargeEntity(OutputStream out) throws IOException {
        byte[] header = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        out.write(header);
        Random random = new Random(25);
        byte[] raw = new byte[57];
        Base64.Encoder base64 = Base64.getEncoder();
        long written = header.length;
        while (written < LARGE_BYTES) {
            random.nextBytes(raw);
            byte[] line = (base64.encodeToString(raw) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            int length = (int) Math.min(line.length, LARGE_BYTES - written);
            out.write(line, 0, length);
            written += length;
        }
    }

    static Stream<Arguments> unusableCertificates() {
        return Stream.of(
                refusal("RSA key of 1024 bits", t -> t.certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, quietly(() -> TestRequests.rsa(1024)), "small@example.org"),
                        "its RSA key has 1024 bits; at least 2048 are needed"),
                refusal("RSA signing certificate", t -> t.certificates.mailbox(Profiles.MAILBOX_SIGNING, quietly(() -> TestRequests.rsa(2048)), "signer@example.org"),
                        "its keyUsage does not allow keyEncipherment"),
                refusal("EC signing certificate", t -> t.certificates.mailbox(Profiles.MAILBOX_SIGNING, quietly(() -> TestRequests.ec("secp256r1")), "signer@example.org"),
                        "its keyUsage does not allow keyAgreement"),
                refusal("EC key for encipherOnly", t -> quietly(() -> TestCertificates.selfSigned(TestRequests.ec("secp256r1"), "SHA256withECDSA",
                        "CN=enciphers@example.org", KeyUsage.keyAgreement | KeyUsage.encipherOnly)), "its keyUsage limits key agreement to encipherOnly"),
                refusal("Ed25519 key", t -> t.certificates.mailbox(Profiles.MAILBOX_SIGNING, quietly(() -> TestRequests.keyPair("Ed25519", null, 0)), "ed@example.org"),
                        "its key is Ed25519; S/MIME encryption takes RSA or EC (P-256, P-384, P-521) keys"),
                refusal("DSA key", t -> quietly(() -> TestCertificates.selfSigned(TestRequests.keyPair("DSA", null, 2048), "SHA256withDSA", "CN=dsa@example.org", 0)),
                        "its key is DSA;"),
                refusal("EC key on secp256k1", t -> t.certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, quietly(() -> TestRequests.ec("secp256k1")), "k1@example.org"),
                        "its EC key is on curve secp256k1; S/MIME encryption takes P-256, P-384 or P-521"),
                refusal("TLS server certificate", t -> t.certificates.server(Profiles.TLS_SERVER, quietly(() -> TestRequests.rsa(2048)), "mx.example.org"),
                        "its extendedKeyUsage does not include emailProtection"));
    }

    private static Arguments refusal(String name, Function<SmimeEncryptionTest, Holder> certificate, String reason) {
        return Arguments.of(name, certificate, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableCertificates")
    void aCertificateWhoseKeyCannotBeUsedIsRefusedByNameAndReason(String name, Function<SmimeEncryptionTest, Holder> certificate, String reason) {
        X509Certificate refused = certificate.apply(this).certificate();
        List<X509Certificate> withAGoodOne = List.of(recipients.get("P-256").certificate(), refused);

        assertThatThrownBy(() -> SmimeEncryption.toCertificates(withAGoodOne, ContentCipher.AES256_GCM))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                .hasMessageContaining("certificate " + refused.getSubjectX500Principal().getName() + " (serial " + refused.getSerialNumber().toString(16) + ")")
                .hasMessageContaining("cannot be an S/MIME encryption recipient: " + reason);
    }

    @Test
    void noRecipientsAndAnEmptyPasswordAreRefused() {
        assertThatThrownBy(() -> SmimeEncryption.toCertificates(List.of(), ContentCipher.AES256_CBC))
                .isInstanceOf(LetterlockException.class).hasMessage("S/MIME encryption needs at least one recipient certificate");
        assertThatThrownBy(() -> SmimeEncryption.toPassword(new char[0]))
                .isInstanceOf(LetterlockException.class).hasMessage("the password for S/MIME encryption is empty");
    }

    @Test
    void aCertificateWithoutKeyUsageOrExtendedKeyUsageAllowsEncryption() throws Exception {
        Holder plain = TestCertificates.selfSigned(TestRequests.rsa(2048), "SHA256withRSA", "CN=plain@example.org", 0);
        Path message = encryptToFile("plain", SmimeEncryption.toCertificates(List.of(plain.certificate()), ContentCipher.AES256_CBC));

        assertThat(decrypt(message, plain)).isEqualTo(ENTITY);
    }

    private byte[] decrypt(Path message, Holder recipient) throws Exception {
        String name = message.getFileName() + "-" + recipient.certificate().getSerialNumber().toString(16);
        Path clear = dir.resolve(name + ".out");
        Tools.Run run = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-recip", pem(name + "-cert", recipient.certificate()).toString(),
                "-inkey", pem(name + "-key", recipient.key()).toString(), "-out", clear.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        return Files.readAllBytes(clear);
    }

    private Path pem(String name, Object object) throws IOException {
        return TestCertificates.pem(dir, name, object);
    }

    private Path encryptToFile(String name, SmimeEncryption encryption) throws IOException {
        return Files.write(dir.resolve(name + ".eml"), encrypt(encryption, ENTITY));
    }

    static byte[] encrypt(SmimeEncryption encryption, byte[] entity) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream cleartext = encryption.open(out)) {
            cleartext.write(entity);
        }
        return out.toByteArray();
    }

    /** The CMS ContentInfo in the base64 body of an encrypted entity. */
    static ContentInfo contentInfo(byte[] entity) throws IOException {
        String text = new String(entity, StandardCharsets.US_ASCII);
        byte[] der = Base64.getMimeDecoder().decode(text.substring(text.indexOf("\r\n\r\n") + 4));
        return ContentInfo.getInstance(ASN1Primitive.fromByteArray(der));
    }

    private static List<RecipientInfo> recipientInfos(byte[] entity) throws IOException {
        ContentInfo info = contentInfo(entity);
        var set = info.getContentType().equals(CMSObjectIdentifiers.authEnvelopedData)
                ? AuthEnvelopedData.getInstance(info.getContent()).getRecipientInfos()
                : EnvelopedData.getInstance(info.getContent()).getRecipientInfos();
        return Stream.of(set.toArray()).map(RecipientInfo::getInstance).toList();
    }

    @FunctionalInterface
    interface Making<T> {
        T make() throws Exception;
    }

    static <T> T quietly(Making<T> making) {
        try {
            return making.make();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts the bytes the encryption has handed on. */
    static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            count += length;
        }
    }

    /** Remembers whether anyone closed it: the encryption must leave the caller's stream open. */
    static final class CloseRecordingStream extends ByteArrayOutputStream {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }
}
