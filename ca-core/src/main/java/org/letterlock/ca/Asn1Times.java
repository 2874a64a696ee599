package org.letterlock.ca;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERGeneralizedTime;
import org.bouncycastle.asn1.x509.Time;

/**
 * ASN.1 times from instants, to the second. Bouncy Castle's constructors from a {@code Date} make a
 * {@code SimpleDateFormat} each time, which was 15% of an OCSP answer's Java time with three times per answer.
 */
final class Asn1Times {
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("uuuuMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("uuMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    /** RFC 5280 4.1.2.5: dates from 1950 through 2049 as UTCTime, the others as GeneralizedTime. */
    private static final Instant UTC_FROM = ZonedDateTime.of(1950, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    private static final Instant GENERALIZED_FROM = ZonedDateTime.of(2050, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    private static final int UTC_TIME_TAG = 0x17;

    private Asn1Times() {
    }

    static ASN1GeneralizedTime generalized(Instant at) {
        return new DERGeneralizedTime(GENERALIZED.format(at).getBytes(StandardCharsets.US_ASCII));
    }

    /** A certificate's or a CRL's time, in the type RFC 5280 asks for that year. */
    static Time time(Instant at) {
        if (at.isBefore(UTC_FROM) || !at.isBefore(GENERALIZED_FROM)) {
            return new Time(generalized(at));
        }
        byte[] text = UTC.format(at).getBytes(StandardCharsets.US_ASCII);
        byte[] der = new byte[text.length + 2];
        der[0] = UTC_TIME_TAG;
        der[1] = (byte) text.length;
        System.arraycopy(text, 0, der, 2, text.length);
        return new Time(ASN1UTCTime.getInstance(der));
    }
}
