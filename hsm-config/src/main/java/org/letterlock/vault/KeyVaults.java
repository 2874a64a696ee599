package org.letterlock.vault;

import java.util.ServiceLoader;
import java.util.TreeSet;

/** Opens the back-end that configuration names. */
public final class KeyVaults {
    private KeyVaults() {
    }

    public static KeyVault open(VaultSettings settings) {
        TreeSet<String> known = new TreeSet<>();
        for (KeyVaultProvider provider : ServiceLoader.load(KeyVaultProvider.class, KeyVaults.class.getClassLoader())) {
            if (provider.type().equals(settings.type())) {
                return provider.open(settings);
            }
            known.add(provider.type());
        }
        throw new VaultException(VaultException.Reason.CONFIGURATION,
                "no key vault back-end of type '" + settings.type() + "'; set letterlock.vault.type to one of " + known);
    }
}
