package org.letterlock.vault.pkcs11;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.util.Locale;
import javax.security.auth.login.FailedLoginException;
import org.letterlock.vault.KeyStoreVault;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaultProvider;
import org.letterlock.vault.VaultException;
import org.letterlock.vault.VaultSettings;
import org.letterlock.vault.VaultStatus;

/**
 * Keys on a PKCS#11 token through SunPKCS11: SoftHSM2 in the data folder by default, any module by path in production.
 * Private and secret keys are generated on the token as sensitive and non-extractable; secret keys encrypt and
 * decrypt there (CKM_AES_GCM) and do nothing else.
 */
public final class Pkcs11VaultProvider implements KeyVaultProvider {

    @Override
    public String type() {
        return "pkcs11";
    }

    @Override
    public KeyVault open(VaultSettings settings) {
        Path library = settings.pkcs11Library();
        if (library == null || !Files.isReadable(library)) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "PKCS#11 library " + library + " not found: "
                    + (VaultSettings.SOFTHSM2_LIBRARY.equals(library)
                            ? "install SoftHSM2 with 'apt-get install softhsm2'"
                            : "install your HSM's PKCS#11 module") + ", or set letterlock.vault.pkcs11.library to the module's path");
        }
        if (settings.pin() == null) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "no PIN source: set letterlock.vault.pin-source to file:/path or env:NAME");
        }
        String slotLine;
        if (settings.manageSoftHsm()) {
            slotLine = "slot = " + new SoftHsmToken(settings.dataDir(), settings.tokenLabel()).ensure(settings.pin(), System.getenv());
        } else {
            slotLine = settings.pkcs11Slot().isPresent() ? "slot = " + settings.pkcs11Slot().getAsInt() : "slotListIndex = 0";
        }
        Provider provider = configure(library, settings.tokenLabel(), slotLine);
        boolean softHsm = library.getFileName().toString().startsWith("libsofthsm2");
        char[] pin = settings.pin().read();
        String description = "PKCS#11 token '" + settings.tokenLabel() + "' (" + slotLine + ") via " + library;
        try {
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            return new KeyStoreVault(settings.tokenLabel(), store, provider, null, new KeyStoreVault.Backing() {
                @Override
                public void persist(KeyStore keyStore) {
                }

                @Override
                public void close() {
                    // No logout: PKCS#11 login state is shared by every session of the process on this token.
                }

                @Override
                public void offerToJsse(Provider tokenProvider) {
                    registerLast(tokenProvider);
                }

                @Override
                public boolean checksEcSignaturesFaster() {
                    return softHsm;
                }
            }, new VaultStatus(type(), description, true, false));
        } catch (IOException e) {
            if (causedBy(e, FailedLoginException.class) || String.valueOf(e.getMessage()).contains("CKR_PIN")) {
                throw new VaultException(VaultException.Reason.LOGIN_FAILED, "the " + description + " refused the PIN from "
                        + settings.pin() + " (" + rootMessage(e) + "); put the token's user PIN there", e);
            }
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "cannot log in to " + description + ": " + rootMessage(e), e);
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "cannot open " + description + ": " + rootMessage(e), e);
        }
    }

    private static Provider configure(Path library, String label, String slotLine) {
        String name = "letterlock-" + label.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        String config = String.join("\n",
                "name = " + name,
                "library = " + library.toAbsolutePath(),
                slotLine,
                "attributes(generate, CKO_PRIVATE_KEY, *) = {",
                "  CKA_TOKEN = true",
                "  CKA_PRIVATE = true",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "}",
                "attributes(generate, CKO_PUBLIC_KEY, *) = {",
                "  CKA_TOKEN = true",
                "}",
                // A session object: the key store copies it into a labelled token object (KeyStoreVault.createSecretKey).
                // Encryption only: no wrapping, so the key cannot bring other keys onto the token or take them off.
                "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {",
                "  CKA_TOKEN = false",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "  CKA_ENCRYPT = true",
                "  CKA_DECRYPT = true",
                "  CKA_WRAP = false",
                "  CKA_UNWRAP = false",
                "  CKA_SIGN = false",
                "  CKA_VERIFY = false",
                "}");
        try {
            return Security.getProvider("SunPKCS11").configure("--" + config);
        } catch (ProviderException | IllegalArgumentException | SecurityException e) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "cannot load PKCS#11 module " + library + " (" + slotLine + "): "
                    + rootMessage(e) + "; check letterlock.vault.pkcs11.library and letterlock.vault.pkcs11.slot", e);
        }
    }

    /**
     * Registered last, so JSSE's delayed provider selection asks it only for keys no other provider accepts: the
     * token's key handles. A provider of the same name from an earlier open of this token is replaced, since its
     * handles belong to the session it logged in with.
     */
    private static synchronized void registerLast(Provider provider) {
        if (Security.getProvider(provider.getName()) == provider) {
            return;
        }
        Security.removeProvider(provider.getName());
        Security.addProvider(provider);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
