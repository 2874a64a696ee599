package org.letterlock.keyserver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/** The Web Key Directory's name for a mailbox (draft-koch-openpgp-webkey-service): z-base-32 of SHA-1 of the lower-cased local part. */
public final class Wkd {
    private static final char[] ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769".toCharArray();

    private Wkd() {
    }

    public static String hash(String localPart) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-1").digest(localPart.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
        StringBuilder out = new StringBuilder(32);
        int buffer = 0;
        int bits = 0;
        for (byte b : digest) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(ZBASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(ZBASE32[(buffer << (5 - bits)) & 31]);
        }
        return out.toString();
    }
}
