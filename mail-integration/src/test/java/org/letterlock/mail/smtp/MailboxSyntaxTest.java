package org.letterlock.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MailboxSyntaxTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "bob@example.org | true",
            "first.last+tag@sub.example.org | true",
            "jörg@example.org | true",
            "\"with space\"@example.org | true",
            "\"with\\\"quote\"@example.org | true",
            "o'brien@example.org | true",
            "user@[192.0.2.1] | true",
            "bob@@example.org | false",
            "al ice@example.org | false",
            ".lead@example.org | false",
            "trail.@example.org | false",
            "dou..ble@example.org | false",
            "bob@-example.org | false",
            "bob@example..org | false",
            "bob@ | false",
            "@example.org | false",
            "<bob>@example.org | false",
            "bob@exa_mple.org | false"})
    void addressesFollowRfc5321(String address, boolean valid) {
        assertThat(MailboxSyntax.valid(address)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource({"Bob@Example.ORG, Bob@example.org", "x@[192.0.2.1], x@[192.0.2.1]"})
    void onlyTheDomainIsLowerCased(String address, String normalized) {
        assertThat(MailboxSyntax.normalized(address)).isEqualTo(normalized);
    }
}
