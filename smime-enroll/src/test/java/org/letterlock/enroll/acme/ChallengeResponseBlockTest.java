package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Finding the RFC 8823 response block in a reply's text, including text crafted to make a parser spin. */
class ChallengeResponseBlockTest {
    private static final String BEGIN = "-----BEGIN ACME RESPONSE-----";
    private static final String END = "-----END ACME RESPONSE-----";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "finds/one-line          | 'text\\r\\n" + BEGIN + "\\r\\nabc_DEF-123\\r\\n" + END + "\\r\\n' | abc_DEF-123",
            "finds/wrapped           | '" + BEGIN + "\\r\\n  abc\\r\\n  def \\r\\n" + END + "'               | abcdef",
            "refuses/no-end          | '" + BEGIN + "\\r\\nabc\\r\\n'                                         | ''",
            "refuses/other-characters| '" + BEGIN + "\\r\\nab=c\\r\\n" + END + "'                             | ''",
            "refuses/empty           | '" + BEGIN + "\\r\\n\\r\\n" + END + "'                                 | ''",
            "refuses/end-before-begin| '" + END + "\\r\\n" + BEGIN + "\\r\\nabc'                              | ''",
    })
    void theBlockIsFoundOrNot(String name, String text, String expected) {
        String decoded = text.replace("\\r\\n", "\r\n");
        assertThat(ChallengeReplies.responseIn(decoded)).isEqualTo(expected.isEmpty() ? Optional.empty() : Optional.of(expected));
    }

    /** 50 KB of whitespace after BEGIN and no END: the regular expression used before backtracked for hours on it. */
    @Test
    void whitespaceWithoutAnEndIsRefusedAtOnce() {
        String crafted = BEGIN + " \t\r\n".repeat(12_500) + "x";
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThat(ChallengeReplies.responseIn(crafted)).isEmpty());
    }
}
