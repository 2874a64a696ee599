package org.letterlock.platform.secret;

import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

class MemoryVaultSealTest extends VaultSealConformance {
    @Override
    protected KeyVault open() {
        return KeyVaults.open(VaultSettings.memory(TOKEN));
    }

    @Override
    protected boolean persistent() {
        return false;
    }
}
