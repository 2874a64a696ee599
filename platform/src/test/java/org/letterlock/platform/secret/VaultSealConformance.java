package org.letterlock.platform.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditedKeyVault;
import org.letterlock.platform.audit.ListedAudit;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * What a seal does on every vault back-end: memory ({@link MemoryVaultSealTest}), soft ({@link SoftVaultSealTest}) and
 * a SoftHSM2 token ({@link SoftHsm2VaultSealTest}), each behind the audited vault modules get.
 */
abstract class VaultSealConformance {
    static final String TOKEN = "letterlock-test";
    private static final byte[] SECRET = "ABCD-EFGH-JKLM-NPQR-STUV".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ROW = "row-1\nalice@example.org".getBytes(StandardCharsets.UTF_8);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ListedAudit audit = new ListedAudit();
    private KeyVault vault;
    private KeyUri name;

    protected abstract KeyVault open();

    /** Whether keys outlive a close and open (false only for the memory back-end). */
    protected boolean persistent() {
        return true;
    }

    @BeforeEach
    void openVault() {
        vault = new AuditedKeyVault(open(), audit, Clock.systemUTC());
        name = KeyUri.of(TOKEN, "seal-" + UUID.randomUUID());
    }

    @AfterEach
    void closeVault() {
        vault.close();
    }

    @Test
    void sealsWithTheVaultsSecretKeyAndEveryUseIsAudited() {
        VaultSeal seal = VaultSeal.of(vault, name);
        byte[] sealed = seal.seal(SECRET, ROW);
        assertThat(sealed[0]).as("format").isEqualTo((byte) 2);
        assertThat(sealed).hasSize(1 + 12 + SECRET.length + 16);
        assertThat(seal.open(sealed, ROW, "test secret")).isEqualTo(SECRET);

        KeyUri secretKey = secretKeyOf(name);
        assertThat(vault.keys()).as("a new seal needs no RSA key").contains(secretKey).doesNotContain(name);
        assertThat(audit.events()).extracting(AuditEvent::action, AuditEvent::target, AuditEvent::outcome, AuditEvent::detail).containsExactly(
                org.assertj.core.groups.Tuple.tuple("vault.create-key", secretKey.toString(), Outcome.ALLOWED, "aes-256"),
                org.assertj.core.groups.Tuple.tuple("vault.encrypt", secretKey.toString(), Outcome.ALLOWED, "AES/GCM/NoPadding"),
                org.assertj.core.groups.Tuple.tuple("vault.decrypt", secretKey.toString(), Outcome.ALLOWED, "AES/GCM/NoPadding"));

        assertThatThrownBy(() -> seal.open(sealed, "row-2".getBytes(StandardCharsets.UTF_8), "test secret")).isInstanceOf(LetterlockException.class);
        assertThat(audit.events().get(audit.events().size() - 1)).as("a refused opening is on record too")
                .satisfies(e -> assertThat(e.action()).isEqualTo("vault.decrypt"), e -> assertThat(e.outcome()).isEqualTo(Outcome.FAILED));
    }

    @Test
    void aSealOutlivesItsObjectAndTheVault() {
        byte[] sealed = VaultSeal.of(vault, name).seal(SECRET, ROW);
        assertThat(VaultSeal.of(vault, name).open(sealed, ROW, "test secret")).as("the key made on first use is used again").isEqualTo(SECRET);
        vault.close();
        vault = new AuditedKeyVault(open(), audit, Clock.systemUTC());
        if (!persistent()) {
            assertThat(vault.contains(secretKeyOf(name))).isFalse();
            return;
        }
        assertThat(VaultSeal.of(vault, name).open(sealed, ROW, "test secret")).isEqualTo(SECRET);
    }

    /** Rows sealed before format 2 keep opening; what is sealed from then on is format 2, even where the RSA key exists. */
    @Test
    void opensWhatWasSealedToTheRsaKeyInFormat1() throws Exception {
        PublicKey rsa = vault.createKey(name, KeySpec.RSA_3072);
        byte[] old = sealedInFormat1(rsa, SECRET, ROW);
        VaultSeal seal = VaultSeal.of(vault, name);
        assertThat(seal.open(old, ROW, "test secret")).isEqualTo(SECRET);
        assertThat(audit.events()).anySatisfy(e -> assertThat(e).extracting(AuditEvent::action, AuditEvent::target, AuditEvent::detail)
                .containsExactly("vault.decrypt", name.toString(), "RSA/ECB/PKCS1Padding"));
        assertThat(seal.seal(SECRET, ROW)[0]).isEqualTo((byte) 2);
    }

    /** Each case spoils a good sealed value (or its associated data) one way; each is a CONFLICT that names what did not open. */
    @ParameterizedTest(name = "refuses/{0}")
    @CsvSource(delimiter = '|', value = {
            "format-2/other-associated-data | does not open",
            "format-2/altered-nonce         | does not open",
            "format-2/altered-ciphertext    | does not open",
            "format-2/altered-tag           | does not open",
            "format-2/truncated             | does not open",
            "format-2/format-byte-only      | does not open",
            "format-1/other-associated-data | does not open",
            "format-1/altered-data-key      | does not open",
            "format-1/altered-ciphertext    | does not open",
            "format-1/truncated             | does not open",
            "unknown-format                 | has an unknown format (7)",
            "empty                          | is empty",
    })
    void refusesSpoiledValues(String spoiled, String complaint) throws Exception {
        VaultSeal seal = VaultSeal.of(vault, name);
        // The size of the RSA key does not matter to format 1; 2048 bits are quicker to make.
        byte[] good = spoiled.startsWith("format-1") ? sealedInFormat1(vault.createKey(name, KeySpec.RSA_2048), SECRET, ROW) : seal.seal(SECRET, ROW);
        int wrappedKeyEnd = 3 + ((good[1] & 0xff) << 8 | good[2] & 0xff);
        byte[] presented = good.clone();
        byte[] associatedData = ROW;
        switch (spoiled.substring(spoiled.indexOf('/') + 1)) {
            case "other-associated-data" -> associatedData = "row-2\nalice@example.org".getBytes(StandardCharsets.UTF_8);
            case "altered-nonce" -> presented[1] ^= 1;
            case "altered-data-key" -> presented[3] ^= 1;
            case "altered-ciphertext" -> presented[spoiled.startsWith("format-1") ? wrappedKeyEnd + 12 : 1 + 12] ^= 1;
            case "altered-tag" -> presented[presented.length - 1] ^= 1;
            case "truncated" -> presented = Arrays.copyOf(good, good.length - 1);
            case "format-byte-only" -> presented = new byte[] {2};
            case "unknown-format" -> presented[0] = 7;
            case "empty" -> presented = new byte[0];
            default -> throw new IllegalArgumentException(spoiled);
        }
        byte[] sealed = presented;
        byte[] boundTo = associatedData;
        assertThatThrownBy(() -> seal.open(sealed, boundTo, "test secret"))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT))
                .hasMessageStartingWith("the sealed test secret " + complaint);
        assertThat(seal.open(good, ROW, "test secret")).as("the good value still opens").isEqualTo(SECRET);
    }

    private static KeyUri secretKeyOf(KeyUri seal) {
        return KeyUri.of(seal.token(), seal.object() + "-aes");
    }

    /**
     * A value as versions before format 2 sealed it (format 1): 1, the length of the wrapped data key (2 bytes), the
     * fresh AES-256 data key RSA-encrypted (PKCS#1 v1.5) to the seal's RSA key, a 12-byte nonce, the GCM ciphertext
     * under the data key. Written here apart from {@link VaultSeal}, which only reads it now.
     */
    static byte[] sealedInFormat1(PublicKey rsa, byte[] plain, byte[] associatedData) throws Exception {
        byte[] dataKey = new byte[32];
        RANDOM.nextBytes(dataKey);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        Cipher wrap = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        wrap.init(Cipher.ENCRYPT_MODE, rsa);
        byte[] wrapped = wrap.doFinal(dataKey);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
        gcm.updateAAD(associatedData);
        byte[] sealed = gcm.doFinal(plain);
        return ByteBuffer.allocate(1 + 2 + wrapped.length + nonce.length + sealed.length).put((byte) 1).putShort((short) wrapped.length).put(wrapped)
                .put(nonce).put(sealed).array();
    }
}
