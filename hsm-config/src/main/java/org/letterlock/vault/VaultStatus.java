package org.letterlock.vault;

/**
 * What health checks and the start-up banner say about a vault.
 *
 * @param type the back-end type ({@code pkcs11}, {@code soft}, {@code memory})
 * @param description where the keys are, e.g. the PKCS#11 library and token
 * @param ready logged in and able to sign
 * @param developmentOnly true for back-ends that must not hold production keys
 */
public record VaultStatus(String type, String description, boolean ready, boolean developmentOnly) {
}
