package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SignedReplyTest {
    static Stream<Arguments> bodies() {
        String header = "From: a@example.org\r\nContent-Type: multipart/signed; boundary=\"b1\"\r\n\r\n";
        return Stream.of(
                Arguments.of("with-preamble", header + "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nsig\r\n--b1--\r\n",
                        "Content-Type: text/plain\r\n\r\nhi"),
                Arguments.of("without-preamble", header + "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n\r\n--b1\r\nsig\r\n--b1--\r\n",
                        "Content-Type: text/plain\r\n\r\nhi\r\n"),
                Arguments.of("transport-padding-after-the-delimiter", header + "--b1  \r\nX: y\r\n\r\nhi\r\n--b1\r\nsig\r\n--b1--\r\n", "X: y\r\n\r\nhi"),
                Arguments.of("no-second-delimiter", header + "--b1\r\nX: y\r\n\r\nhi\r\n", null),
                Arguments.of("no-delimiter-at-all", header + "just text\r\n", null),
                Arguments.of("no-header-end", "From: a@example.org\r\n--b1\r\n", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void theSignedBytesAreTheFirstPartWithoutTheCrlfBeforeTheNextDelimiter(String name, String raw, String expected) {
        Optional<byte[]> part = SignedReply.firstPart(raw.getBytes(StandardCharsets.ISO_8859_1), "b1");
        assertThat(part.map(bytes -> new String(bytes, StandardCharsets.ISO_8859_1))).isEqualTo(Optional.ofNullable(expected));
    }
}
