package org.letterlock.ca;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Certificate serial numbers: 127 bits from a CSPRNG, positive, with the top bit set so every one has full length. */
final class Serials {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Serials() {
    }

    static BigInteger next() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        bytes[0] = (byte) ((bytes[0] & 0x7f) | 0x40);
        return new BigInteger(bytes);
    }
}
