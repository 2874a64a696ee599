package org.letterlock.mail.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which messages pass as already encrypted (sent on as they are, past rules that would hold or refuse mail in clear). */
class AlreadyEncryptedTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "encrypted/pgp-mime                 | multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b | true",
            "encrypted/enveloped-data           | application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m     | true",
            "encrypted/auth-enveloped-data      | application/pkcs7-mime; smime-type=\"authEnveloped-data\"             | true",
            "encrypted/x-pkcs7-without-type     | application/x-pkcs7-mime; name=smime.p7m                              | true",
            "readable/signed-data               | application/pkcs7-mime; smime-type=signed-data; name=smime.p7m        | false",
            "readable/compressed-data           | application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z    | false",
            "readable/certs-only                | application/pkcs7-mime; smime-type=certs-only; name=smime.p7c         | false",
            "readable/plain                     | text/plain; charset=us-ascii                                          | false",
    })
    void onlyEncryptedContentCounts(String name, String contentType, boolean encrypted) throws Exception {
        HeaderSection headers = HeaderSection.read(new ByteArrayInputStream(("From: a@example.org\r\nContent-Type: " + contentType + "\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII)), 1 << 16);
        assertThat(ProtectedMessage.alreadyEncrypted(headers)).isEqualTo(encrypted);
    }
}
