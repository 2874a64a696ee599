package org.letterlock.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.letterlock.vault.pkcs11.SoftHsmToken;

/**
 * The conformance suite on a real SoftHSM2 token through SunPKCS11. The build points SOFTHSM2_CONF at
 * target/softhsm-data (see the surefire configuration), the way the launcher does for the data folder.
 */
class SoftHsm2VaultTest extends KeyVaultConformance {
    static final Path DATA_DIR = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();
    static final Path PIN_FILE = DATA_DIR.resolve("secrets").resolve("vault.pin");

    static VaultSettings settings(Path library, SecretSource pin) {
        return settings(TOKEN, library, pin);
    }

    static VaultSettings settings(String token, Path library, SecretSource pin) {
        return new VaultSettings("pkcs11", token, DATA_DIR, library, OptionalInt.empty(), pin, true);
    }

    @Override
    protected KeyVault open() {
        return KeyVaults.open(settings(VaultSettings.SOFTHSM2_LIBRARY, SecretSource.file(PIN_FILE)));
    }

    @Override
    protected Set<KeySpec> unsupported() {
        return Set.of(KeySpec.ED25519);
    }

    @Test
    void isAProductionBackEndOnTheManagedToken() {
        assertThat(vault.status().developmentOnly()).isFalse();
        assertThat(vault.status().description()).contains("libsofthsm2.so");
        assertThat(SoftHsmToken.configFile(DATA_DIR)).exists();
        assertThat(PIN_FILE).exists();
    }

    /**
     * SoftHSM2 runs OpenSSL in this process: EC checks go to the token, where in Java they would run on Bouncy Castle's
     * lightweight classes.
     */
    @Test
    void checksEcSignaturesOnTheToken() throws Exception {
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo key = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(ec.generateKeyPair().getPublic().getEncoded());

        assertThat(vault.verifier(key)).isInstanceOf(TokenEcVerifiers.class);
        assertThat(SignatureVerifiers.software(key).getClass().getName()).contains("Bc");
    }

    @Test
    void privateKeysAreSensitiveAndNeverExtractableOnTheToken() throws Exception {
        KeyUri name = freshName("custody");
        vault.createKey(name, KeySpec.EC_P256);
        String listing = tokenObjects("privkey");
        assertThat(listing).contains("Private Key Object").contains(hex(name.object()));
        // Every private key on the token, whatever its type (EC and RSA keys of the other tests), not only this one.
        List<String> access = listing.lines().filter(l -> l.trim().startsWith("Access:")).toList();
        assertThat(access).hasSizeGreaterThan(0).allSatisfy(line ->
                assertThat(line).contains("sensitive").contains("never extractable").doesNotContainPattern("(?<!never )extractable"));
    }

    @Test
    void secretKeysAreSensitiveNeverExtractableAndOnlyEncryptAndDecrypt() throws Exception {
        KeyUri name = freshName("custody-aes");
        vault.createSecretKey(name);
        String listing = tokenObjects("secrkey");
        assertThat(listing).contains("Secret Key Object; AES length 32").contains("label:      " + name.object());
        // Every secret key on the token, each a labelled token object: the session key it was copied from is gone.
        List<String> objects = listing.lines().filter(l -> l.startsWith("Secret Key Object")).toList();
        assertThat(listing.lines().filter(l -> l.trim().startsWith("label:"))).hasSameSizeAs(objects);
        assertThat(listing.lines().filter(l -> l.trim().startsWith("Access:"))).hasSameSizeAs(objects).allSatisfy(line ->
                assertThat(line).contains("sensitive").contains("never extractable").doesNotContainPattern("(?<!never )extractable"));
        assertThat(listing.lines().filter(l -> l.trim().startsWith("Usage:")).map(String::trim)).hasSameSizeAs(objects)
                .allSatisfy(line -> assertThat(line).isEqualTo("Usage:      encrypt, decrypt"));
    }

    /**
     * What pkcs11-tool, another process logged in to the token, lists of its objects of {@code type}. Its warnings go
     * apart: it warns on stderr for each secret key whose value it may not read, which would split the listing's lines.
     */
    private static String tokenObjects(String type) throws IOException, InterruptedException {
        String pin = Files.readAllLines(PIN_FILE).get(0);
        Path warnings = Files.createTempFile(DATA_DIR, "pkcs11-tool", ".err");
        ProcessBuilder builder = new ProcessBuilder("pkcs11-tool", "--module", VaultSettings.SOFTHSM2_LIBRARY.toString(),
                "--token-label", TOKEN, "--login", "--pin", pin, "-O", "--type", type)
                .redirectError(warnings.toFile());
        builder.environment().put("SOFTHSM2_CONF", SoftHsmToken.configFile(DATA_DIR).toString());
        Process process = builder.start();
        String listing = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(listing + Files.readString(warnings)).isZero();
        Files.delete(warnings);
        return listing;
    }

    /** SunPKCS11 keys the key's CKA_ID to its alias. */
    private static String hex(String alias) {
        StringBuilder out = new StringBuilder();
        for (byte b : alias.getBytes(StandardCharsets.UTF_8)) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    private static final String NEVER_LOGGED_IN = "never-logged-in";

    /**
     * The wrong-PIN test needs a token that nothing in this JVM has logged in to (PKCS#11 login state is shared
     * process-wide), created before the library is loaded (SoftHSM2 reads its slot list once per process).
     */
    @BeforeAll
    static void createSecondToken() {
        new SoftHsmToken(DATA_DIR, NEVER_LOGGED_IN).ensure(SecretSource.file(DATA_DIR.resolve("secrets").resolve(NEVER_LOGGED_IN + ".pin")), System.getenv());
    }

    @Test
    void wrongPinIsALoginFailureThatNamesTheSource() throws IOException {
        String token = NEVER_LOGGED_IN;
        Path wrong = DATA_DIR.resolve("wrong.pin");
        Files.writeString(wrong, "000000\n");
        assertThatThrownBy(() -> KeyVaults.open(settings(token, VaultSettings.SOFTHSM2_LIBRARY, SecretSource.file(wrong))))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(VaultException.Reason.LOGIN_FAILED))
                .hasMessageContaining("refused the PIN")
                .hasMessageContaining(wrong.toString());
    }

    @Test
    void missingLibrarySaysWhatToInstall() {
        assertThatThrownBy(() -> KeyVaults.open(settings(Path.of("/nonexistent/libhsm.so"), SecretSource.file(PIN_FILE))))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CONFIGURATION))
                .hasMessageContaining("/nonexistent/libhsm.so")
                .hasMessageContaining("letterlock.vault.pkcs11.library");
    }

    @Test
    void missingPinFileOfAnExistingTokenSaysWhereToPutIt() {
        Path absent = DATA_DIR.resolve("no-such.pin");
        assertThatThrownBy(() -> KeyVaults.open(settings(VaultSettings.SOFTHSM2_LIBRARY, SecretSource.parse("file:" + absent))))
                .isInstanceOf(VaultException.class)
                .hasMessageContaining(absent.toString());
    }
}
