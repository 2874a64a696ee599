package org.letterlock.escrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyDecrypter;
import org.letterlock.vault.VaultException;

/**
 * The sealed format is plain CMS that OpenSSL opens with the recovery key, and every malformed submission gets a 400
 * that says what is wrong. A software RSA key stands in for the vault here (the SoftHSM2 path is EscrowConformance's).
 */
class KeySealerTest {
    static KeyPair recoveryKeys;
    static X509CertificateHolder recoveryCertificate;
    static KeyDecrypter decrypter;

    @TempDir
    Path work;

    @BeforeAll
    static void recoveryKey() throws Exception {
        recoveryKeys = TestRequests.rsa(2048);
        recoveryCertificate = selfSigned(recoveryKeys, "CN=test recovery");
        decrypter = softDecrypter(recoveryKeys.getPrivate());
    }

    static X509CertificateHolder selfSigned(KeyPair keys, String subject) throws Exception {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(new X500Name(subject), BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
    }

    static KeyDecrypter softDecrypter(PrivateKey key) {
        return (transformation, ciphertext) -> {
            try {
                Cipher cipher = Cipher.getInstance(transformation);
                cipher.init(Cipher.DECRYPT_MODE, key);
                return cipher.doFinal(ciphertext);
            } catch (javax.crypto.BadPaddingException | javax.crypto.IllegalBlockSizeException e) {
                throw new VaultException(VaultException.Reason.INVALID_INPUT, "decryption refused the ciphertext: " + e.getMessage(), e);
            } catch (Exception e) {
                throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "decryption failed: " + e.getMessage(), e);
            }
        };
    }

    @Test
    void opensslOpensWhatWasSealedWithTheRecoveryKeyAlone() throws Exception {
        KeyPair mailboxKeys = TestRequests.ec("secp256r1");
        byte[] sealed = KeySealer.seal(PrivateKeyInfo.getInstance(mailboxKeys.getPrivate().getEncoded()), recoveryCertificate);
        Tools tools = new Tools(work);
        Path key = tools.write("recovery.key", ("-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                recoveryKeys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n").getBytes());
        Path out = work.resolve("opened.der");
        Tools.Run opened = tools.openssl("cms", "-decrypt", "-inform", "DER", "-in", tools.write("sealed.der", sealed).toString(), "-inkey", key.toString(),
                "-recip", tools.pem("recovery", recoveryCertificate).toString(), "-out", out.toString());
        assertThat(opened.exit()).as(opened.output()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(mailboxKeys.getPrivate().getEncoded());
        assertThat(KeySealer.unseal(sealed, recoveryCertificate, decrypter).getEncoded()).isEqualTo(mailboxKeys.getPrivate().getEncoded());
    }

    @Test
    void aSealedKeyChangedByOneByteDoesNotOpen() throws Exception {
        byte[] sealed = KeySealer.seal(PrivateKeyInfo.getInstance(TestRequests.ec("secp256r1").getPrivate().getEncoded()), recoveryCertificate);
        sealed[sealed.length - 30] ^= 0x01;
        assertThatThrownBy(() -> KeySealer.unseal(sealed, recoveryCertificate, decrypter)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
    }

    /** What a client might send instead of its key encrypted to the transport certificate. */
    static Stream<Arguments> badSubmissions() throws Exception {
        return Stream.of(
                Arguments.of("rejects/empty", new byte[0], "not DER CMS"),
                Arguments.of("rejects/not-der", "hello".getBytes(), "not DER CMS"),
                Arguments.of("rejects/signed-data-not-enveloped", signedDataContentInfo(), "must be CMS EnvelopedData or AuthEnvelopedData"),
                Arguments.of("rejects/truncated-enveloped", truncated(KeySealer.seal(PrivateKeyInfo.getInstance(TestRequests.ec("secp256r1").getPrivate().getEncoded()),
                        recoveryCertificate())), "not"),
                Arguments.of("rejects/encrypted-to-another-certificate", KeySealer.seal(PrivateKeyInfo.getInstance(TestRequests.ec("secp256r1").getPrivate().getEncoded()),
                        selfSigned(TestRequests.rsa(2048), "CN=someone else")), "not encrypted to the recovery transport certificate"),
                Arguments.of("rejects/oversized", new byte[70_000], "larger than"));
    }

    private static X509CertificateHolder recoveryCertificate() throws Exception {
        if (recoveryCertificate == null) {
            recoveryKey();
        }
        return recoveryCertificate;
    }

    private static byte[] signedDataContentInfo() throws Exception {
        return new org.bouncycastle.asn1.cms.ContentInfo(org.bouncycastle.asn1.cms.CMSObjectIdentifiers.signedData, org.bouncycastle.asn1.DERNull.INSTANCE).getEncoded();
    }

    private static byte[] truncated(byte[] der) {
        return java.util.Arrays.copyOf(der, der.length / 2);
    }

    @Test
    void aVaultOutageIsAnOutageNotTheClientsFault() throws Exception {
        KeyDecrypter down = (transformation, ciphertext) -> {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "token removed");
        };
        byte[] sealed = KeySealer.seal(PrivateKeyInfo.getInstance(TestRequests.ec("secp256r1").getPrivate().getEncoded()), recoveryCertificate);
        assertThatThrownBy(() -> KeySealer.unseal(sealed, recoveryCertificate, down)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.UNAVAILABLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSubmissions")
    void aBadSubmissionIsABadRequestThatSaysWhy(String name, byte[] cms, String message) throws Exception {
        assertThatThrownBy(() -> KeySealer.openSubmitted(cms, recoveryCertificate(), decrypter)).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains(message);
        });
    }
}
