package org.letterlock.ca;

import java.io.IOException;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;

/**
 * DER assembled from parts already encoded. An OCSP answer signed per request is mostly constant (the responder's id,
 * its certificate, the algorithm); encoding those through Bouncy Castle's object tree each time was 12% of a signing
 * thread's samples, a copy of their bytes costs next to nothing.
 */
final class DerBytes {
    static final int SEQUENCE = 0x30;
    static final int OCTET_STRING = 0x04;
    static final int BIT_STRING = 0x03;

    private DerBytes() {
    }

    /** The tag, the DER length of the parts together, then the parts. */
    static byte[] tlv(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        int lengthBytes = lengthOctets(length);
        byte[] out = new byte[1 + lengthBytes + length];
        out[0] = (byte) tag;
        int at = 1;
        if (lengthBytes == 1) {
            out[at++] = (byte) length;
        } else {
            out[at++] = (byte) (0x80 | (lengthBytes - 1));
            for (int shift = 8 * (lengthBytes - 2); shift >= 0; shift -= 8) {
                out[at++] = (byte) (length >>> shift);
            }
        }
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    static byte[] sequence(byte[]... parts) {
        return tlv(SEQUENCE, parts);
    }

    /** A BIT STRING of whole octets: no unused bits. */
    static byte[] bitString(byte[] octets) {
        return tlv(BIT_STRING, new byte[] {0}, octets);
    }

    static byte[] encoded(ASN1Encodable value) {
        try {
            return value.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot DER-encode " + value.getClass().getSimpleName(), e);
        }
    }

    /** Octets of the length field: short form below 128, else one for the count and the length's own. */
    private static int lengthOctets(int length) {
        if (length < 0x80) {
            return 1;
        }
        int octets = 1;
        for (int left = length; left != 0; left >>>= 8) {
            octets++;
        }
        return octets;
    }
}
