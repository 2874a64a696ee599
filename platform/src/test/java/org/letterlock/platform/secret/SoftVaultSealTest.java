package org.letterlock.platform.secret;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.SecretSource;
import org.letterlock.vault.VaultSettings;

class SoftVaultSealTest extends VaultSealConformance {
    @TempDir
    static Path dataDir;

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
        return KeyVaults.open(new VaultSettings("soft", TOKEN, dataDir, null, OptionalInt.empty(), SecretSource.file(password), false));
    }
}
