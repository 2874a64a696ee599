package org.letterlock.vault;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * What a back-end needs to open a vault. Only the fields of the chosen type matter.
 *
 * @param type            {@code pkcs11}, {@code soft} or {@code memory}
 * @param tokenLabel      the token name in key URIs ({@code token=...})
 * @param dataDir         the data folder; a managed SoftHSM2 token and the soft key store live under it
 * @param pkcs11Library   path of the PKCS#11 module
 * @param pkcs11Slot      slot id, when the module has several tokens and it is not a managed SoftHSM2 one
 * @param pin             where the token's user PIN (or the soft key store's password) comes from
 * @param manageSoftHsm   create and find the SoftHSM2 token in {@code dataDir} with its own softhsm2.conf
 */
public record VaultSettings(
        String type,
        String tokenLabel,
        Path dataDir,
        Path pkcs11Library,
        OptionalInt pkcs11Slot,
        SecretSource pin,
        boolean manageSoftHsm) {

    public static final Path SOFTHSM2_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    public static VaultSettings memory(String tokenLabel) {
        return new VaultSettings("memory", tokenLabel, null, null, OptionalInt.empty(), null, false);
    }
}
