package org.letterlock.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyUriTest {

    @ParameterizedTest(name = "parses/{0}")
    @CsvSource(delimiter = '|', value = {
            "pkcs11:token=letterlock;object=audit-2026                 | letterlock | audit-2026",
            "pkcs11:object=issuing%20ca;token=letterlock;type=private  | letterlock | issuing ca",
            "pkcs11:token=My%20HSM;id=%01%02;object=root               | My HSM     | root",
    })
    void parses(String uri, String token, String object) {
        KeyUri parsed = KeyUri.parse(uri);
        assertThat(parsed.token()).isEqualTo(token);
        assertThat(parsed.object()).isEqualTo(object);
        assertThat(KeyUri.parse(parsed.toString())).isEqualTo(parsed);
    }

    @ParameterizedTest(name = "rejects/{0}")
    @CsvSource(delimiter = '|', value = {
            "file:/tmp/key                                      | pkcs11:",
            "pkcs11:token=letterlock                            | object=",
            "pkcs11:token=a;object=b?pin-source=file:/tmp/pin   | query",
            "pkcs11:token=a;object=b;colour=red                 | colour",
            "pkcs11:token=a;object=b;token=c                    | repeats",
            "pkcs11:token=a;object=%4                           | %-escape",
            "pkcs11:token=a;object=b;type=secret-key            | type",
    })
    void rejects(String uri, String complaint) {
        assertThatThrownBy(() -> KeyUri.parse(uri)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(complaint);
    }
}
