package org.letterlock.escrow;

import java.util.Arrays;
import java.util.Locale;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** How a PKCS#12 file is protected. */
public enum Pkcs12Format {
    /** PBES2: PBKDF2-HMAC-SHA-256 and AES-256-CBC for the keys, certificates in clear bags, HMAC-SHA-256 MAC over all (decision 007). */
    MODERN,
    /** PKCS#12 PBE: 3DES for keys, RC2-40 for certificates, HMAC-SHA-1 MAC: what gpgsm 2.2 and older clients import. */
    LEGACY;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Pkcs12Format parse(String value) {
        if (value == null || value.isBlank()) {
            return MODERN;
        }
        return Arrays.stream(values()).filter(f -> f.id().equals(value.trim().toLowerCase(Locale.ROOT))).findFirst()
                .orElseThrow(() -> new LetterlockException(ErrorType.BAD_REQUEST, "format must be modern or legacy, got '" + value + "'"));
    }
}
