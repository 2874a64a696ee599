package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The signatures made from prepared nonce points are ES256 as the JDK's own ECDSA (SunEC) checks it. */
class Es256SignerTest {
    private static boolean verifiedBySunEc(KeyPair key, byte[] input, byte[] signature) throws Exception {
        Signature check = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        check.initVerify(key.getPublic());
        check.update(input);
        return check.verify(signature);
    }

    @Test
    void preparedAndMadeOnTheSpotSignaturesVerifyAndNeverRepeatANoncePoint() throws Exception {
        KeyPair key = Ocsp.ecP256();
        Es256Signer signer = new Es256Signer(key, 3);
        Set<String> rs = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            byte[] input = ("protected." + i).getBytes(StandardCharsets.US_ASCII);
            byte[] signature = signer.sign(input);
            assertThat(signature).hasSize(64);
            assertThat(verifiedBySunEc(key, input, signature)).as("signature %d (%s)", i, i < 3 ? "prepared" : "made on the spot").isTrue();
            assertThat(rs.add(AcmeClient.base64url(java.util.Arrays.copyOf(signature, 32)))).as("r of signature %d is new", i).isTrue();
        }
    }

    @Test
    void aKeyOnAnotherCurveIsRefused() throws Exception {
        java.security.KeyPairGenerator p384 = java.security.KeyPairGenerator.getInstance("EC");
        p384.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
        KeyPair key = p384.generateKeyPair();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Es256Signer(key, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not this EC key");
    }

    @Test
    void aSignatureDoesNotVerifyForOtherInputOrAnotherKey() throws Exception {
        KeyPair key = Ocsp.ecP256();
        byte[] signature = new Es256Signer(key, 1).sign("a".getBytes(StandardCharsets.US_ASCII));

        assertThat(verifiedBySunEc(key, "b".getBytes(StandardCharsets.US_ASCII), signature)).isFalse();
        assertThat(verifiedBySunEc(Ocsp.ecP256(), "a".getBytes(StandardCharsets.US_ASCII), signature)).isFalse();
    }
}
