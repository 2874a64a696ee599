package org.letterlock.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftVaultTest extends KeyVaultConformance {
    @TempDir
    static Path dataDir;

    private static VaultSettings settings(Path passwordFile) {
        return new VaultSettings("soft", TOKEN, dataDir, null, OptionalInt.empty(), SecretSource.file(passwordFile), false);
    }

    @Override
    protected KeyVault open() {
        Path password = dataDir.resolve("soft.password");
        try {
            if (!Files.exists(password)) {
                Files.writeString(password, "correct horse battery staple\n");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return KeyVaults.open(settings(password));
    }

    @Test
    void saysItIsForDevelopmentOnly() {
        assertThat(vault.status().developmentOnly()).isTrue();
        assertThat(vault.status().description()).contains("development only");
    }

    @Test
    void wrongPasswordIsALoginFailure() throws IOException {
        vault.createKey(freshName("forces-file"), KeySpec.EC_P256);
        Path wrong = dataDir.resolve("wrong.password");
        Files.writeString(wrong, "not the password\n");
        assertThatThrownBy(() -> KeyVaults.open(settings(wrong)))
                .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.LOGIN_FAILED))
                .hasMessageContaining(wrong.toString());
    }
}
