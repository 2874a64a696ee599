package org.letterlock.platform.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.error.LetterlockException;

class MailAddressTest {

    @ParameterizedTest(name = "normalises/{0}")
    @CsvSource({"Alice@Example.ORG, alice@example.org", "bob.smith+tag@mail.example.org, bob.smith+tag@mail.example.org", "o'hara@x-y.example, o'hara@x-y.example"})
    void normalises(String input, String expected) {
        assertThat(MailAddress.normalise(input)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "rejects/{0}")
    @CsvSource(delimiter = '|', value = {
            "alice                     | local part and a domain",
            "@example.org              | local part and a domain",
            "alice@                    | local part and a domain",
            "alice..b@example.org      | dot-atom",
            "alice b@example.org       | dot-atom",
            "alice@localhost           | two labels",
            "alice@exa_mple.org        | DNS label",
            "alice@-example.org        | DNS label",
            "bob@\u212Aorp.com          | not ASCII",
            "bob@b\u00FCcher.example    | not ASCII",
    })
    void rejects(String input, String reason) {
        assertThatThrownBy(() -> MailAddress.normalise(input)).isInstanceOf(LetterlockException.class).hasMessageContaining(reason);
    }
}
