package org.letterlock.enroll.cmp;

import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * A request CMP refuses: answered as an {@code error} message (RFC 4210 5.3.21) whose PKIStatusInfo carries
 * {@code failInfo} (PKIFailureInfo bits) and the text.
 */
final class CmpFailure extends RuntimeException {
    private final int failInfo;

    CmpFailure(int failInfo, String text) {
        super(text, null, false, false);
        this.failInfo = failInfo;
    }

    int failInfo() {
        return failInfo;
    }

    /** The failure bit a refusal of the CA, escrow or the secrets stands for in CMP. */
    static CmpFailure of(LetterlockException e) {
        return new CmpFailure(bitFor(e.type()), e.getMessage());
    }

    private static int bitFor(ErrorType type) {
        return switch (type) {
            case UNAUTHORIZED -> PKIFailureInfo.badMessageCheck;
            case FORBIDDEN -> PKIFailureInfo.notAuthorized;
            case NOT_FOUND -> PKIFailureInfo.badCertId;
            case UNAVAILABLE, TOO_MANY_REQUESTS -> PKIFailureInfo.systemUnavail;
            case INTERNAL -> PKIFailureInfo.systemFailure;
            default -> PKIFailureInfo.badCertTemplate;
        };
    }
}
