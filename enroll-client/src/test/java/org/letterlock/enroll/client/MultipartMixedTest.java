package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The serverkeygen answer's multipart/mixed body, as servers write it (RFC 7030 4.4.2's example uses CRLF; some write LF). */
class MultipartMixedTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "reads/crlf-and-quoted-boundary | multipart/mixed; boundary=\"est\" | CRLF",
            "reads/lf-and-bare-boundary     | multipart/mixed;boundary=est     | LF",
            "reads/upper-case-type          | Multipart/Mixed; boundary=est    | CRLF",
    })
    void findsTheKeyAndTheCertificatePart(String name, String contentType, String lineEnd) throws IOException {
        String newline = lineEnd.equals("CRLF") ? "\r\n" : "\n";
        String body = String.join(newline, "preamble", "--est", "Content-Type: application/pkcs8", "Content-Transfer-Encoding: base64", "", "S0VZ", "--est",
                "Content-Type: application/pkcs7-mime; smime-type=certs-only", "Content-Transfer-Encoding: base64", "", "Q0VSVA==", "--est--", "");

        var parts = MultipartMixed.parse(contentType, body.getBytes(StandardCharsets.US_ASCII));

        assertThat(parts).extracting(MultipartMixed.Part::contentType).containsExactly("application/pkcs8", "application/pkcs7-mime; smime-type=certs-only");
        assertThat(parts).extracting(MultipartMixed.Part::body).containsExactly("S0VZ", "Q0VSVA==");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rejects/not-multipart     | application/pkcs8            | expected multipart/mixed",
            "rejects/no-boundary       | multipart/mixed              | without a boundary",
            "rejects/part-without-body | multipart/mixed; boundary=b  | without a blank line",
    })
    void refusesWhatIsNoServerkeygenAnswer(String name, String contentType, String message) {
        assertThatThrownBy(() -> MultipartMixed.parse(contentType, "--b\r\nContent-Type: application/pkcs8\r\n--b--\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class).hasMessageContaining(message);
    }
}
