package org.letterlock.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DotStuffingTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a\r\nb\r\n", "a\r\nb\r\n.\r\n"),
                Arguments.of(".starts\r\n", "..starts\r\n.\r\n"),
                Arguments.of("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"),
                Arguments.of("bare\nlf\n", "bare\r\nlf\r\n.\r\n"),
                Arguments.of("bare\rcr", "bare\r\ncr\r\n.\r\n"),
                Arguments.of("no end", "no end\r\n.\r\n"),
                Arguments.of("ends in cr\r", "ends in cr\r\n.\r\n"),
                Arguments.of("", ".\r\n"),
                Arguments.of("x\n.\n..\n", "x\r\n..\r\n...\r\n.\r\n"),
                Arguments.of("mid.dot\r\n", "mid.dot\r\n.\r\n"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void linesEndInCrlfAndLeadingDotsAreDoubledWhateverTheWriteSizes(String input, String expected) throws IOException {
        byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
        for (int chunk = 1; chunk <= Math.max(1, bytes.length); chunk++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DotStuffing stuffing = new DotStuffing(out);
            for (int i = 0; i < bytes.length; i += chunk) {
                stuffing.write(bytes, i, Math.min(chunk, bytes.length - i));
            }
            stuffing.finish();
            assertThat(out.toString(StandardCharsets.US_ASCII)).as("written in chunks of " + chunk).isEqualTo(expected);
        }
    }
}
