package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AcmeClientTest {
    @ParameterizedTest(name = "\"{0}\"")
    @CsvSource({"0, 0", "1, 1", "120, 120", "' 30 ', 30"})
    void retryAfterInSeconds(String header, long seconds) {
        assertThat(AcmeClient.retryAfter(header)).hasValue(Duration.ofSeconds(seconds));
    }

    @Test
    void retryAfterAsAnHttpDate() {
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));

        assertThat(AcmeClient.retryAfter(inAMinute)).hasValueSatisfying(wait -> assertThat(wait).isBetween(Duration.ofSeconds(55), Duration.ofSeconds(61)));
    }

    @ParameterizedTest(name = "\"{0}\"")
    @CsvSource({"soon", "1.5", "'Friday, 13'"})
    void aRetryAfterThatIsNeitherIsIgnored(String header) {
        assertThat(AcmeClient.retryAfter(header)).isEmpty();
    }
}
