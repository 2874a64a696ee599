package org.letterlock.vault.soft;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.logging.Logger;
import org.letterlock.vault.KeyStoreVault;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaultProvider;
import org.letterlock.vault.VaultException;
import org.letterlock.vault.VaultSettings;
import org.letterlock.vault.VaultStatus;

/**
 * Keys in a password-encrypted BCFKS file in the data folder. For development only: the keys are as safe as the
 * file and its password, and nothing stops a process that has both from exporting them. Says so in the log and health output.
 */
public final class SoftVaultProvider implements KeyVaultProvider {
    private static final Logger LOG = Logger.getLogger(SoftVaultProvider.class.getName());
    public static final String FILE_NAME = "soft-vault.bcfks";

    @Override
    public String type() {
        return "soft";
    }

    @Override
    public KeyVault open(VaultSettings settings) {
        if (settings.dataDir() == null || settings.pin() == null) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "the soft vault needs letterlock.data-dir and letterlock.vault.pin-source");
        }
        Path file = settings.dataDir().resolve(FILE_NAME);
        char[] password = settings.pin().read();
        try {
            KeyStore store = KeyStore.getInstance("BCFKS", BouncyCastle.PROVIDER);
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    store.load(in, password);
                } catch (IOException e) {
                    throw new VaultException(VaultException.Reason.LOGIN_FAILED,
                            "cannot open soft vault " + file + " with the password from " + settings.pin() + " (" + e.getMessage() + "); check the password source", e);
                }
            } else {
                store.load(null, null);
            }
            LOG.warning("key vault type 'soft' keeps keys in " + file + ": for development only, use 'pkcs11' in production");
            VaultStatus status = new VaultStatus(type(), "BCFKS file " + file + " (development only)", true, true);
            return new KeyStoreVault(settings.tokenLabel(), store, BouncyCastle.PROVIDER, password, new KeyStoreVault.Backing() {
                @Override
                public void persist(KeyStore keyStore) {
                    write(keyStore, file, password);
                }

                @Override
                public void close() {
                }
            }, status);
        } catch (GeneralSecurityException | IOException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "cannot open soft vault " + file + ": " + e.getMessage(), e);
        }
    }

    private static void write(KeyStore store, Path file, char[] password) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = Files.createTempFile(file.getParent(), FILE_NAME, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(temporary)) {
                store.store(out, password);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (GeneralSecurityException | IOException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "cannot write soft vault " + file + ": " + e.getMessage(), e);
        }
    }
}
