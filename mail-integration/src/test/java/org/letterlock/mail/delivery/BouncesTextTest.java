package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A hop's reply goes into the notice on one line: it cannot add lines, header fields or MIME parts to it. */
class BouncesTextTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "plain          | 550 5.1.1 no such user                               | 550 5.1.1 no such user",
            "crlf-and-part  | '550 x\r\n--=_letterlock_a\r\nContent-Type: text/html' | '550 x --=_letterlock_a Content-Type: text/html'",
            "bare-lf-and-tab| '550 a\n\tb'                                         | '550 a b'",
    })
    void repliesStayOnOneLine(String name, String reply, String expected) {
        String line = Bounces.oneLine(reply.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t"));
        assertThat(line).isEqualTo(expected).doesNotContain("\r", "\n");
    }
}
