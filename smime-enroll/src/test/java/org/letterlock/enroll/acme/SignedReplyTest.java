package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

class SignedReplyTest {
    static Stream<Arguments> bodies() {
        String header = "From: a@example.org\r\nContent-Type: multipart/signed; boundary=\"b1\"\r\n\r\n";
        return Stream.of(
                Arguments.of("with-preamble", header + "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nsig\r\n--b1--\r\n",
                        "Content-Type: text/plain\r\n\r\nhi"),
                Arguments.of("without-preamble", header + "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n\r\n--b1\r\nsig\r\n--b1--\r\n",
                        "Content-Type: text/plain\r\n\r\nhi\r\n"),
                Arguments.of("transport-padding-after-the-delimiter", header + "--b1  \r\nX: y\r\n\r\nhi\r\n--b1\r\nsig\r\n--b1--\r\n", "X: y\r\n\r\nhi"),
                Arguments.of("no-second-delimiter", header + "--b1\r\nX: y\r\n\r\nhi\r\n", null),
                Arguments.of("no-delimiter-at-all", header + "just text\r\n", null),
                Arguments.of("no-header-end", "From: a@example.org\r\n--b1\r\n", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void theSignedBytesAreTheFirstPartWithoutTheCrlfBeforeTheNextDelimiter(String name, String raw, String expected) {
        Optional<byte[]> part = SignedReply.firstPart(raw.getBytes(StandardCharsets.ISO_8859_1), "b1");
        assertThat(part.map(bytes -> new String(bytes, StandardCharsets.ISO_8859_1))).isEqualTo(Optional.ofNullable(expected));
    }

    /** A multipart/signed reply signed by a fresh EC key with a self-signed certificate for digital signatures. */
    private static byte[] signedReply() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair key = generator.generateKeyPair();
        X500Name name = new X500Name("CN=a@example.org");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), name, key.getPublic())
                .addExtension(Extension.keyUsage, true, new KeyUsage(
                        KeyUsage.digitalSignature));
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate());
        X509CertificateHolder certificate = builder.build(signer);
        byte[] content = "Content-Type: text/plain\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII);
        CMSSignedDataGenerator cms = new CMSSignedDataGenerator();
        cms.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                new JcaDigestCalculatorProviderBuilder().build()).build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()), certificate));
        cms.addCertificate(certificate);
        byte[] signature = cms.generate(new CMSProcessableByteArray(content), false).getEncoded();
        String raw = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
                + "micalg=sha-256; boundary=\"b1\"\r\n\r\n--b1\r\n" + new String(content, StandardCharsets.US_ASCII) + "\r\n--b1\r\n"
                + "Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(signature) + "\r\n--b1--\r\n";
        return raw.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aSignatureVerifiesOnlyForACertificateTheCheckAcceptsAndAFailedCheckIsNoVerdict() throws Exception {
        byte[] raw = signedReply();
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(raw));
        assertThat(SignedReply.content(raw, message, certificate -> true)).as("accepted signer").isPresent();
        assertThat(SignedReply.content(raw, message, certificate -> false)).as("refused signer").isEmpty();
        assertThatThrownBy(() -> SignedReply.content(raw, message, certificate -> {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the database is not available");
        })).as("the store unreachable: the MTA is to try again, not to bounce").hasMessageContaining("database is not available");
    }
}
