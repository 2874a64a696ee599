package org.letterlock.ca;

import java.util.Arrays;
import java.util.Locale;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * RFC 5280 CRLReason values a revocation may give. certificateHold and removeFromCRL are left out on purpose: a
 * revocation here is final (the S/MIME Baseline Requirements forbid suspension).
 */
public enum RevocationReason {
    UNSPECIFIED(0, "unspecified"),
    KEY_COMPROMISE(1, "keyCompromise"),
    CA_COMPROMISE(2, "cACompromise"),
    AFFILIATION_CHANGED(3, "affiliationChanged"),
    SUPERSEDED(4, "superseded"),
    CESSATION_OF_OPERATION(5, "cessationOfOperation"),
    PRIVILEGE_WITHDRAWN(9, "privilegeWithdrawn");

    private final int code;
    private final String rfcName;

    RevocationReason(int code, String rfcName) {
        this.code = code;
        this.rfcName = rfcName;
    }

    public int code() {
        return code;
    }

    public String rfcName() {
        return rfcName;
    }

    /**
     * What a certificate's subscriber may give, by the Baseline Requirements' list for subscriber certificates (7.2.2):
     * privilegeWithdrawn is the CA's finding, and cACompromise names a CA's key.
     */
    public boolean subscriberMayGive() {
        return this != CA_COMPROMISE && this != PRIVILEGE_WITHDRAWN;
    }

    /** The codes a subscriber may give, for error messages: "0 (unspecified), 1 (keyCompromise), ...". */
    public static String subscriberCodes() {
        return String.join(", ", Arrays.stream(values()).filter(RevocationReason::subscriberMayGive).map(r -> r.code + " (" + r.rfcName + ")").toList());
    }

    /** By RFC 5280 name (keyCompromise) or code; a clear 400 naming the accepted values otherwise. */
    public static RevocationReason parse(String value) {
        if (value == null || value.isBlank()) {
            return UNSPECIFIED;
        }
        String wanted = value.trim();
        return Arrays.stream(values())
                .filter(r -> r.rfcName.equalsIgnoreCase(wanted) || String.valueOf(r.code).equals(wanted) || r.name().equals(wanted.toUpperCase(Locale.ROOT)))
                .findFirst()
                .orElseThrow(() -> new LetterlockException(ErrorType.BAD_REQUEST, "unknown revocation reason '" + value + "'; use one of "
                        + Arrays.stream(values()).map(RevocationReason::rfcName).toList() + " (certificateHold is not offered: revocation is final)"));
    }

    public static RevocationReason ofCode(int code) {
        return Arrays.stream(values()).filter(r -> r.code == code).findFirst()
                .orElseThrow(() -> new IllegalStateException("stored revocation reason " + code + " is not one Letterlock writes"));
    }
}
