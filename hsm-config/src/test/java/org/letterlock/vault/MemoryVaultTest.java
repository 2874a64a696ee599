package org.letterlock.vault;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryVaultTest extends KeyVaultConformance {

    @Override
    protected KeyVault open() {
        return KeyVaults.open(VaultSettings.memory(TOKEN));
    }

    @Override
    protected boolean persistent() {
        return false;
    }

    @Test
    void saysItIsForTestsOnly() {
        assertThat(vault.status().developmentOnly()).isTrue();
        assertThat(vault.status().type()).isEqualTo("memory");
    }
}
