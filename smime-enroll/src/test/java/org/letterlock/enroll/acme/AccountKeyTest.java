package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.vault.SignatureVerifiers;

/**
 * Account keys from their JWKs: what is refused as badPublicKey, and for ES256, RS256 and EdDSA keys made by the JDK with
 * JWKs written by jose4j, the thumbprint jose4j computes, the public key bits a certificate for the key carries, and
 * signatures made by the JDK and Bouncy Castle verifying while another key's, or a cut one, do not.
 */
class AccountKeyTest {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    static Stream<Arguments> refusedJwks() {
        byte[] one = new byte[32];
        one[31] = 1;
        byte[] pastTheField = new byte[32];
        Arrays.fill(pastTheField, (byte) 0xff);
        return Stream.of(
                Arguments.of("rejects/ec-point-off-the-curve", ec(one, one)),
                Arguments.of("rejects/ec-coordinate-past-the-field", ec(pastTheField, one)),
                Arguments.of("rejects/ec-point-of-zeros", ec(new byte[32], new byte[32])),
                Arguments.of("rejects/ec-coordinate-of-31-bytes", ec(new byte[31], one)),
                Arguments.of("rejects/p-384", "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}"),
                Arguments.of("rejects/ed25519-point-past-the-field", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + BASE64URL.encodeToString(pastTheField) + "\"}"),
                Arguments.of("rejects/x25519", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + BASE64URL.encodeToString(one) + "\"}"),
                Arguments.of("rejects/symmetric", "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedJwks")
    void refusesKeysItDoesNotTake(String name, String jwk) {
        assertThatThrownBy(() -> AccountKey.of(AcmeJson.parse(jwk.getBytes(StandardCharsets.UTF_8), "jwk"), SignatureVerifiers::software)).isInstanceOf(AcmeProblem.class)
                .satisfies(e -> assertThat(((AcmeProblem) e).type()).isEqualTo("badPublicKey"));
    }

    static Stream<Arguments> algorithms() {
        return Stream.of(
                Arguments.of("ES256", "SHA256withPLAIN-ECDSA"),
                Arguments.of("RS256", "SHA256withRSA"),
                Arguments.of("EdDSA", "Ed25519"));
    }

    @ParameterizedTest(name = "takes/{0}")
    @MethodSource("algorithms")
    void takesTheKeysOfEachAlgorithm(String alg, String jcaAlgorithm) throws Exception {
        KeyPair pair = AcmeTestServer.accountKeyPair(alg);
        PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(pair.getPublic());
        byte[] signingInput = "eyJhbGciOiJFUzI1NiJ9.e30".getBytes(StandardCharsets.US_ASCII);
        byte[] signature = sign(jcaAlgorithm, pair, signingInput);

        AccountKey key = AccountKey.of(AcmeJson.parse(jwk.toJson().getBytes(StandardCharsets.UTF_8), "jwk"), SignatureVerifiers::software);

        assertThat(key.algorithm()).isEqualTo(alg);
        assertThat(key.thumbprint()).isEqualTo(jwk.calculateBase64urlEncodedThumbprint("SHA-256"));
        assertThat(key.publicKeyData()).isEqualTo(SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()).getPublicKeyData().getBytes());
        key.verify(alg, signingInput, signature);
        assertRefused(() -> key.verify(alg, signingInput, sign(jcaAlgorithm, AcmeTestServer.accountKeyPair(alg), signingInput)), "malformed");
        assertRefused(() -> key.verify(alg, signingInput, Arrays.copyOf(signature, signature.length - 1)), "malformed");
        assertRefused(() -> key.verify(alg, "eyJhbGciOiJFUzI1NiJ9.e31".getBytes(StandardCharsets.US_ASCII), signature), "malformed");
        assertRefused(() -> key.verify(alg.equals("ES256") ? "RS256" : "ES256", signingInput, signature), "badSignatureAlgorithm");
    }

    /**
     * RFC 8017 8.2.2: an RS256 signature is exactly as long as the modulus. One that starts with a zero byte, cut by it, is
     * refused although Bouncy Castle's RSA engine would take it (the vault's verifiers check the length).
     */
    @Test
    void refusesRs256SignaturesShorterThanTheModulus() throws Exception {
        KeyPair pair = AcmeTestServer.accountKeyPair("RS256");
        AccountKey key = AccountKey.of(AcmeJson.parse(PublicJsonWebKey.Factory.newPublicJwk(pair.getPublic()).toJson().getBytes(StandardCharsets.UTF_8), "jwk"),
                SignatureVerifiers::software);
        byte[] signingInput;
        byte[] signature;
        int attempt = 0;
        do {
            signingInput = ("eyJhbGciOiJSUzI1NiJ9." + attempt++).getBytes(StandardCharsets.US_ASCII);
            signature = sign("SHA256withRSA", pair, signingInput);
        } while (signature[0] != 0);
        byte[] input = signingInput;
        byte[] whole = signature;
        key.verify("RS256", input, whole);
        assertRefused(() -> key.verify("RS256", input, Arrays.copyOfRange(whole, 1, whole.length)), "malformed");
    }

    /** r || s values no ES256 signature has: the conversion to DER for the verifier refuses them as it refuses a wrong signature. */
    @Test
    void refusesEs256SignaturesOutOfRange() throws Exception {
        KeyPair pair = AcmeTestServer.accountKeyPair("ES256");
        AccountKey key = AccountKey.of(AcmeJson.parse(PublicJsonWebKey.Factory.newPublicJwk(pair.getPublic()).toJson().getBytes(StandardCharsets.UTF_8), "jwk"),
                SignatureVerifiers::software);
        byte[] signingInput = "eyJhbGciOiJFUzI1NiJ9.e30".getBytes(StandardCharsets.US_ASCII);
        byte[] allOnes = new byte[64];
        Arrays.fill(allOnes, (byte) 0xff);
        assertRefused(() -> key.verify("ES256", signingInput, allOnes), "malformed");
        assertRefused(() -> key.verify("ES256", signingInput, new byte[64]), "malformed");
        assertRefused(() -> key.verify("ES256", signingInput, sign("SHA256withECDSA", pair, signingInput)), "malformed");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String type) {
        assertThatThrownBy(call).isInstanceOf(AcmeProblem.class).satisfies(e -> assertThat(((AcmeProblem) e).type()).isEqualTo(type));
    }

    private static byte[] sign(String jcaAlgorithm, KeyPair pair, byte[] input) throws Exception {
        Signature signer = Signature.getInstance(jcaAlgorithm, new BouncyCastleProvider());
        signer.initSign(pair.getPrivate());
        signer.update(input);
        return signer.sign();
    }


    private static String ec(byte[] x, byte[] y) {
        return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + BASE64URL.encodeToString(x) + "\",\"y\":\"" + BASE64URL.encodeToString(y) + "\"}";
    }
}
