package org.letterlock.platform.secret;

import java.nio.file.Path;
import java.util.OptionalInt;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.SecretSource;
import org.letterlock.vault.VaultSettings;

/** On a real SoftHSM2 token; the build points SOFTHSM2_CONF at target/softhsm-data (see the surefire configuration). */
class SoftHsm2VaultSealTest extends VaultSealConformance {
    private static final Path DATA_DIR = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();

    @Override
    protected KeyVault open() {
        return KeyVaults.open(new VaultSettings("pkcs11", TOKEN, DATA_DIR, VaultSettings.SOFTHSM2_LIBRARY, OptionalInt.empty(),
                SecretSource.file(DATA_DIR.resolve("secrets").resolve("vault.pin")), true));
    }
}
