package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 8461 3.1 and 3.2: policy files and TXT records as the gateway reads them, and which MX hosts a policy names. */
class MtaStsPolicyTest {
    static Stream<Arguments> policies() {
        return Stream.of(
                Arguments.of("accepts/enforce-lf", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmx: *.example.org\nmax_age: 604800\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net", "*.example.org"), Duration.ofDays(7))),
                Arguments.of("accepts/crlf-lines", "version: STSv1\r\nmode: testing\r\nmx: mx.example.net\r\nmax_age: 86400\r\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.TESTING, List.of("mx.example.net"), Duration.ofDays(1))),
                Arguments.of("accepts/no-final-newline", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 60",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/any-field-order", "max_age: 60\nmx: mx.example.net\nmode: enforce\nversion: STSv1\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/no-space-after-colon-and-trailing-space", "version:STSv1\nmode:enforce  \nmx:mx.example.net\nmax_age:\t60\t\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/none-without-mx", "version: STSv1\nmode: none\nmax_age: 86400\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.NONE, List.of(), Duration.ofDays(1))),
                Arguments.of("accepts/unknown-extension-ignored", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 60\nx_future: some value here\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/first-of-a-repeated-field", "version: STSv1\nmode: testing\nmode: enforce\nmx: mx.example.net\nmax_age: 60\nmax_age: 1\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.TESTING, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/mx-upper-case-lowered", "version: STSv1\nmode: enforce\nmx: MX.Example.NET\nmax_age: 60\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), Duration.ofSeconds(60))),
                Arguments.of("accepts/max-age-capped-at-rfc-maximum", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 9999999999\n",
                        new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx.example.net"), MtaStsPolicy.LONGEST_MAX_AGE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void readsValidPolicies(String name, String text, MtaStsPolicy expected) throws Exception {
        assertThat(MtaStsPolicy.parse(text)).isEqualTo(expected);
    }

    static Stream<Arguments> malformedPolicies() {
        return Stream.of(
                Arguments.of("rejects/empty", "", "no version"),
                Arguments.of("rejects/html-error-page", "<html><body>Not Found</body></html>\n", "not 'key: value'"),
                Arguments.of("rejects/no-version", "mode: enforce\nmx: mx.example.net\nmax_age: 60\n", "no version"),
                Arguments.of("rejects/wrong-version", "version: STSv2\nmode: enforce\nmx: mx.example.net\nmax_age: 60\n", "version is not STSv1"),
                Arguments.of("rejects/version-lower-case", "version: stsv1\nmode: enforce\nmx: mx.example.net\nmax_age: 60\n", "version is not STSv1"),
                Arguments.of("rejects/field-name-upper-case", "Version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 60\n", "no version"),
                Arguments.of("rejects/no-mode", "version: STSv1\nmx: mx.example.net\nmax_age: 60\n", "no mode"),
                Arguments.of("rejects/unknown-mode", "version: STSv1\nmode: strict\nmx: mx.example.net\nmax_age: 60\n", "mode is not"),
                Arguments.of("rejects/mode-upper-case", "version: STSv1\nmode: ENFORCE\nmx: mx.example.net\nmax_age: 60\n", "mode is not"),
                Arguments.of("rejects/no-max-age", "version: STSv1\nmode: enforce\nmx: mx.example.net\n", "no max_age"),
                Arguments.of("rejects/negative-max-age", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: -1\n", "max_age is not"),
                Arguments.of("rejects/max-age-eleven-digits", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 12345678901\n", "max_age is not"),
                Arguments.of("rejects/max-age-with-unit", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 1d\n", "max_age is not"),
                Arguments.of("rejects/enforce-without-mx", "version: STSv1\nmode: enforce\nmax_age: 60\n", "no mx"),
                Arguments.of("rejects/testing-without-mx", "version: STSv1\nmode: testing\nmax_age: 60\n", "no mx"),
                Arguments.of("rejects/mx-wildcard-in-the-middle", "version: STSv1\nmode: enforce\nmx: mx.*.example.net\nmax_age: 60\n", "mx is not"),
                Arguments.of("rejects/mx-bare-wildcard", "version: STSv1\nmode: enforce\nmx: *\nmax_age: 60\n", "mx is not"),
                Arguments.of("rejects/mx-with-port", "version: STSv1\nmode: enforce\nmx: mx.example.net:25\nmax_age: 60\n", "mx is not"),
                Arguments.of("rejects/mx-two-values-on-a-line", "version: STSv1\nmode: enforce\nmx: a.example.net b.example.net\nmax_age: 60\n", "mx is not"),
                Arguments.of("rejects/field-without-colon", "version: STSv1\nmode enforce\nmx: mx.example.net\nmax_age: 60\n", "not 'key: value'"),
                Arguments.of("rejects/empty-value", "version: STSv1\nmode:\nmx: mx.example.net\nmax_age: 60\n", "not 'key: value'"),
                Arguments.of("rejects/blank-line-inside", "version: STSv1\n\nmode: enforce\nmx: mx.example.net\nmax_age: 60\n", "line 2"),
                Arguments.of("rejects/space-before-colon", "version : STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 60\n", "not 'key: value'"),
                Arguments.of("rejects/bare-cr-line-ends", "version: STSv1\rmode: enforce\rmx: mx.example.net\rmax_age: 60\r", "not 'key: value'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedPolicies")
    void refusesMalformedPolicies(String name, String text, String reason) {
        assertThatThrownBy(() -> MtaStsPolicy.parse(text)).isInstanceOf(MtaStsPolicy.Malformed.class).hasMessageContaining(reason);
    }

    static Stream<Arguments> txtRecords() {
        return Stream.of(
                Arguments.of("reads/id", List.of("v=STSv1; id=20260101T000000"), Optional.of("20260101T000000")),
                Arguments.of("reads/no-space-and-trailing-semicolon", List.of("v=STSv1;id=abc123;"), Optional.of("abc123")),
                Arguments.of("reads/unknown-field-ignored", List.of("v=STSv1; ext=1; id=abc"), Optional.of("abc")),
                Arguments.of("reads/other-txt-records-ignored", List.of("google-site-verification=xyz", "v=STSv1; id=abc"), Optional.of("abc")),
                Arguments.of("none/no-records", List.of(), Optional.empty()),
                Arguments.of("none/no-sts-record", List.of("v=spf1 -all"), Optional.empty()),
                Arguments.of("none/version-not-first", List.of("id=abc; v=STSv1"), Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("txtRecords")
    void readsTxtRecords(String name, List<String> records, Optional<String> id) throws Exception {
        assertThat(MtaStsPolicy.txtId(records)).isEqualTo(id);
    }

    static Stream<Arguments> malformedTxtRecords() {
        return Stream.of(
                Arguments.of("rejects/two-sts-records", List.of("v=STSv1; id=a", "v=STSv1; id=b"), "2 TXT records"),
                Arguments.of("rejects/no-id", List.of("v=STSv1;"), "no id"),
                Arguments.of("rejects/id-too-long", List.of("v=STSv1; id=" + "a".repeat(33)), "1 to 32"),
                Arguments.of("rejects/id-with-punctuation", List.of("v=STSv1; id=2026-01-01"), "1 to 32"),
                Arguments.of("rejects/field-without-equals", List.of("v=STSv1; id"), "not key=value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedTxtRecords")
    void refusesMalformedTxtRecords(String name, List<String> records, String reason) {
        assertThatThrownBy(() -> MtaStsPolicy.txtId(records)).isInstanceOf(MtaStsPolicy.Malformed.class).hasMessageContaining(reason);
    }

    @Test
    void aWildcardNamesOneLabelMoreAndNoMore() {
        MtaStsPolicy policy = new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx1.example.net", "*.example.org"), Duration.ofDays(1));
        assertThat(policy.matches("mx1.example.net")).isTrue();
        assertThat(policy.matches("MX1.Example.Net.")).isTrue();
        assertThat(policy.matches("mx2.example.net")).isFalse();
        assertThat(policy.matches("mail.example.org")).isTrue();
        assertThat(policy.matches("example.org")).isFalse();
        assertThat(policy.matches("a.b.example.org")).isFalse();
        assertThat(policy.matches("mail.notexample.org")).isFalse();
    }

    @Test
    void jndiTxtTextBecomesTheRecordsCharacterStringsJoined() {
        assertThat(MxLookup.characterStrings("\"v=STSv1; \" id=2")).isEqualTo("v=STSv1; id=2");
        assertThat(MxLookup.characterStrings("\"v=STSv1; id=20260101\"")).isEqualTo("v=STSv1; id=20260101");
        assertThat(MxLookup.characterStrings("plain")).isEqualTo("plain");
    }
}
