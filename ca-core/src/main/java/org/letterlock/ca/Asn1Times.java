package org.letterlock.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERGeneralizedTime;
import org.bouncycastle.asn1.x509.Time;

/**
 * ASN.1 times to and from instants, to the second. Bouncy Castle's constructors from a {@code Date} and its
 * {@code getDate()} make a {@code SimpleDateFormat} each time: 15% of an OCSP answer's Java time with three times per
 * answer, and 5% of an issuance's with three times read per certificate.
 */
final class Asn1Times {
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("uuuuMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("uuMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    /** RFC 5280 4.1.2.5: dates from 1950 through 2049 as UTCTime, the others as GeneralizedTime. */
    private static final Instant UTC_FROM = ZonedDateTime.of(1950, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    private static final Instant GENERALIZED_FROM = ZonedDateTime.of(2050, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    private static final int UTC_TIME_TAG = 0x17;
    private static final int GENERALIZED_TIME_TAG = 0x18;

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

    /**
     * The instant a certificate's or CRL's time names. The forms RFC 5280 requires (UTCTime {@code YYMMDDHHMMSSZ}, years
     * 50-99 in the 1900s; GeneralizedTime {@code YYYYMMDDHHMMSSZ}) are read here; any other form, as an imported
     * certificate may carry, is left to Bouncy Castle.
     */
    static Instant instant(Time time) {
        byte[] der;
        try {
            der = time.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("an ASN.1 time does not encode", e);
        }
        int length = der.length - 2;
        Instant fast = null;
        if (der[0] == UTC_TIME_TAG && length == 13) {
            int year = digits(der, 2, 2);
            fast = year < 0 ? null : of(der, 4, year >= 50 ? 1900 + year : 2000 + year);
        } else if (der[0] == GENERALIZED_TIME_TAG && length == 15) {
            int year = digits(der, 2, 4);
            fast = year < 0 ? null : of(der, 6, year);
        }
        if (fast != null) {
            return fast;
        }
        return time.getDate().toInstant();
    }

    /** The instant of {@code MMDDHHMMSSZ} at {@code at} in {@code year}; null when that is not what is there or no such time exists. */
    private static Instant of(byte[] der, int at, int year) {
        if (der[der.length - 1] != 'Z') {
            return null;
        }
        int month = digits(der, at, 2);
        int day = digits(der, at + 2, 2);
        int hour = digits(der, at + 4, 2);
        int minute = digits(der, at + 6, 2);
        int second = digits(der, at + 8, 2);
        if ((month | day | hour | minute | second) < 0) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second).toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The decimal number of {@code count} ASCII digits at {@code at}; -1 when one is not a digit. */
    private static int digits(byte[] bytes, int at, int count) {
        int value = 0;
        for (int i = at; i < at + count; i++) {
            int digit = bytes[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }
}
