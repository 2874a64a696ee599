package org.letterlock.vault;

/** A vault back-end, found through {@link java.util.ServiceLoader} by its {@link #type()}. */
public interface KeyVaultProvider {

    String type();

    KeyVault open(VaultSettings settings);
}
