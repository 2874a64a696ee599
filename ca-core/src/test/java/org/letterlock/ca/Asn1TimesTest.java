package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERGeneralizedTime;
import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The times are the bytes Bouncy Castle's own Date constructors give, without their cost. */
class Asn1TimesTest {

    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource(delimiter = '|', value = {
        "1949-12-31T23:59:59Z     | GeneralizedTime",
        "1950-01-01T00:00:00Z     | UTCTime",
        "2026-11-29T21:04:00Z     | UTCTime",
        "2026-11-29T21:04:00.999Z | UTCTime",
        "2000-02-29T00:00:00Z     | UTCTime",
        "1999-12-31T23:59:59Z     | UTCTime",
        "2049-12-31T23:59:59.999Z | UTCTime",
        "2050-01-01T00:00:00Z     | GeneralizedTime",
        "9999-12-31T23:59:59Z     | GeneralizedTime",
    })
    void encodesAsBouncyCastlesDateConstructorsDo(String at, String type) throws Exception {
        Instant instant = Instant.parse(at);
        Date date = Date.from(instant);

        Time time = Asn1Times.time(instant);
        assertThat(time.getEncoded()).isEqualTo(new Time(date).getEncoded());
        assertThat(time.toASN1Primitive()).isInstanceOf(type.equals("UTCTime") ? ASN1UTCTime.class : ASN1GeneralizedTime.class);
        assertThat(time.getDate()).as("to the second").isEqualTo(Date.from(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        assertThat(Asn1Times.instant(time)).as("read back").isEqualTo(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(Asn1Times.instant(new Time(ASN1Primitive.fromByteArray(time.getEncoded())))).as("read back from DER")
                .isEqualTo(time.getDate().toInstant());

        assertThat(Asn1Times.generalized(instant).getEncoded()).isEqualTo(new DERGeneralizedTime(date).getEncoded());
    }

    /**
     * The UTCTime century pivot, and forms RFC 5280 does not allow in certificates that an imported one may still carry,
     * are read as Bouncy Castle reads them.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "UTCTime         | 2611292104Z",
        "UTCTime         | 261129210400+0130",
        "UTCTime         | 491231235959Z",
        "UTCTime         | 500101000000Z",
        "GeneralizedTime | 20261129210400.5Z",
        "GeneralizedTime | 20261129210400+0130",
        "GeneralizedTime | 202611292104Z",
    })
    void readsAsBouncyCastleDoes(String type, String text) throws Exception {
        Time time = new Time(type.equals("UTCTime") ? new ASN1UTCTime(text) : new ASN1GeneralizedTime(text));

        assertThat(Asn1Times.instant(time)).isEqualTo(time.getDate().toInstant());
    }
}
