package org.letterlock.escrow;

import java.util.Optional;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.SecretFiles;

/** Passphrases of the PKCS#12 files escrow hands out: chosen by the owner within limits, or generated and shown once. */
final class Passphrases {
    static final int MIN_LENGTH = 12;
    static final int MAX_LENGTH = 1024;

    private Passphrases() {
    }

    /** The chosen passphrase if it is acceptable, else a generated one. */
    static char[] chosenOrGenerated(Optional<char[]> chosen) {
        if (chosen.isEmpty()) {
            return SecretFiles.randomSecret();
        }
        char[] passphrase = chosen.get();
        if (passphrase.length < MIN_LENGTH || passphrase.length > MAX_LENGTH) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a chosen passphrase must be " + MIN_LENGTH + " to " + MAX_LENGTH
                    + " characters long; leave it out to get a generated one");
        }
        for (char c : passphrase) {
            if (Character.isISOControl(c)) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "a chosen passphrase may not contain control characters");
            }
        }
        return passphrase;
    }
}
