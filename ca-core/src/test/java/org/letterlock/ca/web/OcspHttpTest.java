package org.letterlock.ca.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How the base64 of an RFC 5019 GET is read from the path, however the client escaped it. */
class OcspHttpTest {
    private static final byte[] DER = {(byte) 0xfb, (byte) 0xef, (byte) 0xff, 0x30, 0x03};

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "unescaped base64, /ocsp/++//MAM=",
        "percent-escaped, /ocsp/%2B%2B%2F%2FMAM%3D",
        "base64url, /ocsp/--__MAM",
        "behind a path prefix, /pki/ocsp/++//MAM=",
    })
    void theRequestIsReadWithEveryBase64CharacterKept(String form, String rawPath) {
        assertThat(Base64.getEncoder().encodeToString(DER)).isEqualTo("++//MAM=");
        assertThat(OcspHttp.getRequest(rawPath)).as(form).hasValueSatisfying(der -> assertThat(der).isEqualTo(DER));
    }

    @ParameterizedTest
    @CsvSource({"/ocsp/not*base64", "/crl/abc", "/ocsp/%zz"})
    void anythingElseIsNoRequest(String rawPath) {
        assertThat(OcspHttp.getRequest(rawPath)).isEmpty();
    }
}
