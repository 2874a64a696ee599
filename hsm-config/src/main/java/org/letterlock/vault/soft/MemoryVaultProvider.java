package org.letterlock.vault.soft;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import org.letterlock.vault.KeyStoreVault;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaultProvider;
import org.letterlock.vault.VaultException;
import org.letterlock.vault.VaultSettings;
import org.letterlock.vault.VaultStatus;

/** Keys in process memory, gone at exit: for tests only. */
public final class MemoryVaultProvider implements KeyVaultProvider {

    @Override
    public String type() {
        return "memory";
    }

    @Override
    public KeyVault open(VaultSettings settings) {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        char[] entryPassword = Base64.getEncoder().encodeToString(random).toCharArray();
        try {
            KeyStore store = KeyStore.getInstance("BCFKS", BouncyCastle.PROVIDER);
            store.load(null, null);
            VaultStatus status = new VaultStatus(type(), "in-memory key store (tests only; keys vanish at exit)", true, true);
            return new KeyStoreVault(settings.tokenLabel(), store, BouncyCastle.PROVIDER, entryPassword, new KeyStoreVault.Backing() {
                @Override
                public void persist(KeyStore keyStore) {
                }

                @Override
                public void close() {
                }
            }, status);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "cannot create an in-memory key store: " + e.getMessage(), e);
        }
    }
}
