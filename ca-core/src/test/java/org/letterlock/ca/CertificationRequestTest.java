package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

class CertificationRequestTest {

    @Test
    void readsDerAndPemWithTheRequestedMailboxes() throws Exception {
        byte[] der = TestRequests.csr(TestRequests.ec("secp256r1"), "CN=Alice", List.of("Alice@Example.org")).getEncoded();
        CertificationRequest fromDer = CertificationRequest.read(der);
        assertThat(fromDer.mailboxes()).containsExactly("alice@example.org");
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END CERTIFICATE REQUEST-----\n";
        assertThat(CertificationRequest.read(pem.getBytes(StandardCharsets.US_ASCII)).publicKey()).isEqualTo(fromDer.publicKey());
    }

    @Test
    void aRequestReadAgainIsNotCheckedAgainButAnAlteredCopyIs() throws Exception {
        byte[] der = TestRequests.csr(TestRequests.ec("secp256r1"), "CN=Twice", List.of("twice@example.org")).getEncoded();
        CertificationRequest first = CertificationRequest.read(der);

        assertThat(CertificationRequest.read(der.clone())).isSameAs(first);
        byte[] altered = der.clone();
        altered[altered.length - 5] ^= 0x01;
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> CertificationRequest.read(altered)).hasMessageContaining("proof of possession");
        }
        assertThat(CertificationRequest.read(der)).isSameAs(first);
    }

    private static byte[] bytes(Callable supplier) {
        try {
            return supplier.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    interface Callable {
        byte[] call() throws Exception;
    }

    static Stream<Arguments> badRequests() {
        Supplier<byte[]> wrongSignature = () -> bytes(() -> {
            byte[] der = TestRequests.csr(TestRequests.ec("secp256r1"), "CN=Mallory", List.of()).getEncoded();
            der[der.length - 5] ^= 0x01;
            return der;
        });
        return Stream.of(
                Arguments.of("rejects/empty", (Supplier<byte[]>) () -> new byte[0], "empty"),
                Arguments.of("rejects/oversized", (Supplier<byte[]>) () -> new byte[CertificationRequest.MAX_BYTES + 1], "at most"),
                Arguments.of("rejects/garbage", (Supplier<byte[]>) () -> "hello, CA".getBytes(StandardCharsets.US_ASCII), "not a PKCS#10"),
                Arguments.of("rejects/pem-of-another-kind", (Supplier<byte[]>) () -> bytes(() -> ("-----BEGIN PUBLIC KEY-----\n"
                        + Base64.getMimeEncoder().encodeToString(TestRequests.ec("secp256r1").getPublic().getEncoded())
                        + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII)), "CERTIFICATE REQUEST"),
                Arguments.of("rejects/wrong-signature", wrongSignature, "proof of possession"),
                Arguments.of("rejects/rsa-1024", (Supplier<byte[]>) () -> bytes(() -> TestRequests.csr(TestRequests.rsa(1024), "CN=Weak", List.of()).getEncoded()), "2048 to 8192"),
                Arguments.of("rejects/curve-secp256k1", (Supplier<byte[]>) () -> bytes(() -> TestRequests.csr(TestRequests.ec("secp256k1"), "CN=K", List.of()).getEncoded()), "secp256k1"),
                Arguments.of("rejects/dsa-key", (Supplier<byte[]>) () -> bytes(() -> {
                    var keys = TestRequests.keyPair("DSA", null, 2048);
                    var builder = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(new org.bouncycastle.asn1.x500.X500Name("CN=D"), keys.getPublic());
                    return builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withDSA").setProvider(TestRequests.BC).build(keys.getPrivate())).getEncoded();
                }), "not certified"),
                // Keys Bouncy Castle refuses to read at all; refused before the signature is checked, so any signature does.
                Arguments.of("rejects/rsa-even-modulus", (Supplier<byte[]>) () -> rsaKeyRequest(n -> n.clearBit(0), BigInteger.valueOf(65537)), "RSA public key is refused"),
                Arguments.of("rejects/rsa-even-exponent", (Supplier<byte[]>) () -> rsaKeyRequest(n -> n, BigInteger.valueOf(65538)), "RSA public key is refused"),
                Arguments.of("rejects/rsa-modulus-with-factor-3", (Supplier<byte[]>) () -> rsaKeyRequest(n -> n.multiply(BigInteger.valueOf(3)),
                        BigInteger.valueOf(65537)), "RSA public key is refused"));
    }

    /** A PKCS#10 request for the RSA key (a real 2048-bit modulus made {@code broken}, exponent), its signature 256 zero bytes. */
    private static byte[] rsaKeyRequest(java.util.function.UnaryOperator<BigInteger> broken, BigInteger exponent) {
        return bytes(() -> {
            BigInteger modulus = broken.apply(((java.security.interfaces.RSAPublicKey) TestRequests.rsa(2048).getPublic()).getModulus());
            var key = new org.bouncycastle.asn1.x509.SubjectPublicKeyInfo(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                    org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption, org.bouncycastle.asn1.DERNull.INSTANCE),
                    new org.bouncycastle.asn1.pkcs.RSAPublicKey(modulus, exponent));
            var info = new org.bouncycastle.asn1.pkcs.CertificationRequestInfo(new org.bouncycastle.asn1.x500.X500Name("CN=Broken"), key,
                    new org.bouncycastle.asn1.DERSet());
            return new org.bouncycastle.asn1.pkcs.CertificationRequest(info, new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                    org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.sha256WithRSAEncryption, org.bouncycastle.asn1.DERNull.INSTANCE),
                    new org.bouncycastle.asn1.DERBitString(new byte[256])).getEncoded();
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsGetAPrecise400(String name, Supplier<byte[]> request, String reason) {
        assertThatThrownBy(() -> CertificationRequest.read(request.get()))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                .hasMessageContaining(reason);
    }

    @Test
    void randomAndMutatedBytesNeverEscapeAsAnythingButA400() throws Exception {
        java.util.Random random = new java.util.Random(7);
        byte[] good = TestRequests.csr(TestRequests.ec("secp256r1"), "CN=Fuzz", List.of("fuzz@example.org")).getEncoded();
        for (int i = 0; i < 2000; i++) {
            byte[] input = good.clone();
            int flips = 1 + random.nextInt(8);
            for (int f = 0; f < flips; f++) {
                input[random.nextInt(input.length)] = (byte) random.nextInt(256);
            }
            if (i % 4 == 0) {
                input = java.util.Arrays.copyOf(input, random.nextInt(input.length));
            }
            byte[] candidate = input;
            try {
                CertificationRequest.read(candidate);
            } catch (LetterlockException e) {
                assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            }
        }
    }
}
