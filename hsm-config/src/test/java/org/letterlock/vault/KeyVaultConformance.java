package org.letterlock.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Cipher;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every vault back-end must have. Each back-end's test extends this and says how to open (and reopen) it.
 * Signatures are checked with Bouncy Castle, independent of the back-end that made them.
 */
public abstract class KeyVaultConformance {
    protected static final String TOKEN = "letterlock-test";
    private static final BouncyCastleProvider VERIFIER = new BouncyCastleProvider();

    protected KeyVault vault;

    protected abstract KeyVault open();

    /** The key specs this back-end cannot make; asking for one must fail with UNSUPPORTED. */
    protected Set<KeySpec> unsupported() {
        return Set.of();
    }

    /** Whether keys outlive a close and open (false only for the memory back-end). */
    protected boolean persistent() {
        return true;
    }

    @BeforeEach
    void openVault() {
        vault = open();
    }

    @AfterEach
    void closeVault() {
        vault.close();
    }

    protected static KeyUri freshName(String prefix) {
        return KeyUri.of(TOKEN, prefix + "-" + UUID.randomUUID());
    }

    @ParameterizedTest(name = "signs/{0}")
    @EnumSource(KeySpec.class)
    void createsKeyAndSignsVerifiably(KeySpec spec) throws Exception {
        KeyUri name = freshName(spec.configName());
        if (unsupported().contains(spec)) {
            assertThatThrownBy(() -> vault.createKey(name, spec))
                    .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNSUPPORTED))
                    .hasMessageContaining(spec.configName());
            assertThat(vault.contains(name)).isFalse();
            return;
        }
        PublicKey created = vault.createKey(name, spec);
        assertThat(vault.contains(name)).isTrue();
        assertThat(vault.publicKey(name).getEncoded()).isEqualTo(created.getEncoded());

        byte[] message = ("message for " + name).getBytes(StandardCharsets.UTF_8);
        ContentSigner signer = vault.signer(name);
        try (OutputStream out = signer.getOutputStream()) {
            out.write(message);
        }
        byte[] signature = signer.getSignature();

        Signature verifier = Signature.getInstance(spec.signatureAlgorithm(), VERIFIER);
        verifier.initVerify(created);
        verifier.update(message);
        assertThat(verifier.verify(signature)).as("signature verifies with the public key").isTrue();
        verifier.initVerify(created);
        verifier.update("another message".getBytes(StandardCharsets.UTF_8));
        assertThat(verifier.verify(signature)).as("signature does not verify for other content").isFalse();
    }

    @Test
    void signerIsReusableAcrossSignatures() throws Exception {
        KeyUri name = freshName("reuse");
        PublicKey key = vault.createKey(name, KeySpec.EC_P256);
        ContentSigner signer = vault.signer(name, "SHA256withECDSA");
        for (int i = 0; i < 3; i++) {
            byte[] message = ("round " + i).getBytes(StandardCharsets.UTF_8);
            signer.getOutputStream().write(message);
            Signature verifier = Signature.getInstance("SHA256withECDSA", VERIFIER);
            verifier.initVerify(key);
            verifier.update(message);
            assertThat(verifier.verify(signer.getSignature())).isTrue();
        }
    }

    @Test
    void refusesASecondKeyOfTheSameName() {
        KeyUri name = freshName("twice");
        vault.createKey(name, KeySpec.EC_P256);
        assertThatThrownBy(() -> vault.createKey(name, KeySpec.EC_P256))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.KEY_EXISTS));
    }

    @Test
    void missingKeySaysWhatIsMissing() {
        KeyUri name = freshName("absent");
        assertThat(vault.contains(name)).isFalse();
        assertThatThrownBy(() -> vault.publicKey(name))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.KEY_NOT_FOUND))
                .hasMessageContaining(name.toString());
        assertThatThrownBy(() -> vault.signer(name, "SHA256withECDSA"))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.KEY_NOT_FOUND));
    }

    @Test
    void keyOfAnotherTokenIsNotFound() {
        KeyUri name = KeyUri.of("some-other-token", "anything");
        assertThatThrownBy(() -> vault.publicKey(name))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.KEY_NOT_FOUND))
                .hasMessageContaining("some-other-token");
    }

    @Test
    void listsItsKeys() {
        KeyUri name = freshName("listed");
        vault.createKey(name, KeySpec.EC_P256);
        assertThat(vault.keys()).contains(name);
    }

    @Test
    void decryptsWithRsaAndOffersNoDecrypterForEc() throws Exception {
        KeyUri rsa = freshName("decrypt-rsa");
        PublicKey publicKey = vault.createKey(rsa, KeySpec.RSA_2048);
        Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding", VERIFIER);
        cipher.init(Cipher.ENCRYPT_MODE, publicKey);
        byte[] secret = "content-encryption key".getBytes(StandardCharsets.UTF_8);
        byte[] ciphertext = cipher.doFinal(secret);
        assertThat(vault.decrypter(rsa).orElseThrow().decrypt("RSA/ECB/PKCS1Padding", ciphertext)).isEqualTo(secret);
        assertThatThrownBy(() -> vault.decrypter(rsa).orElseThrow().decrypt("RSA/ECB/NoPadding", ciphertext))
                .as("raw RSA would be a signing oracle")
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNSUPPORTED));

        KeyUri ec = freshName("decrypt-ec");
        vault.createKey(ec, KeySpec.EC_P256);
        assertThat(vault.decrypter(ec)).isEmpty();
    }

    @Test
    void unknownSignatureAlgorithmIsUnsupported() {
        KeyUri name = freshName("alg");
        vault.createKey(name, KeySpec.EC_P256);
        assertThatThrownBy(() -> vault.signer(name, "NoSuchAlgorithmWithNothing"))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNSUPPORTED));
    }

    @Test
    void keysSurviveReopening() throws Exception {
        KeyUri name = freshName("durable");
        PublicKey key = vault.createKey(name, KeySpec.EC_P256);
        vault.close();
        vault = open();
        if (!persistent()) {
            assertThat(vault.contains(name)).isFalse();
            return;
        }
        assertThat(vault.publicKey(name).getEncoded()).isEqualTo(key.getEncoded());
        ContentSigner signer = vault.signer(name);
        signer.getOutputStream().write(1);
        Signature verifier = Signature.getInstance("SHA256withECDSA", VERIFIER);
        verifier.initVerify(key);
        verifier.update((byte) 1);
        assertThat(verifier.verify(signer.getSignature())).isTrue();
    }
}
