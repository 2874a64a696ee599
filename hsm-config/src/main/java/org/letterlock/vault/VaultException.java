package org.letterlock.vault;

/** Every failure of a vault, with a reason the platform maps to a problem type and a message that says what to do. */
public class VaultException extends RuntimeException {

    public enum Reason {
        /** Settings are missing or wrong (library path, PIN source, key store file). */
        CONFIGURATION,
        /** The token refused the PIN or password. */
        LOGIN_FAILED,
        /** No key with that name. */
        KEY_NOT_FOUND,
        /** A key with that name exists already. */
        KEY_EXISTS,
        /** The back-end cannot do this (e.g. Ed25519 on SunPKCS11). */
        UNSUPPORTED,
        /** The data given to the key was not valid for it (a ciphertext whose padding does not check). */
        INVALID_INPUT,
        /** The back-end failed while doing something it should be able to do. */
        BACKEND_FAILURE,
        /** A signer asked never to wait could not sign without waiting (for a grant to be committed, say); nothing was signed. */
        WOULD_WAIT
    }

    private final Reason reason;

    public VaultException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public VaultException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
