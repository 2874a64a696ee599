package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DerBytes against Bouncy Castle's DER encoder, at every length form's edges. */
class DerBytesTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 255, 256, 65_535, 65_536, 16_777_215, 16_777_216})
    void encodesEveryLengthAsBouncyCastleDoes(int length) {
        byte[] content = new byte[length];
        Arrays.fill(content, (byte) 0x5a);
        assertThat(DerBytes.tlv(DerBytes.OCTET_STRING, content)).isEqualTo(DerBytes.encoded(new DEROctetString(content)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 50, 126, 127, 300})
    void nestsPartsAsBouncyCastleDoes(int length) {
        byte[] content = new byte[length];
        Arrays.fill(content, (byte) 0x0f);
        ASN1Encodable octets = new DEROctetString(content);
        byte[] expected = DerBytes.encoded(new DERTaggedObject(true, 0, new DERSequence(new ASN1Encodable[] {octets, new DERBitString(content)})));
        byte[] built = DerBytes.tlv(0xA0, DerBytes.sequence(DerBytes.encoded(octets), DerBytes.bitString(content)));
        assertThat(built).isEqualTo(expected);
    }
}
