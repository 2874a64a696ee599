package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WkdTest {
    /** The draft's own example, then gpg-wks-client's answer for a few more. */
    @ParameterizedTest
    @ValueSource(strings = {"Joe.Doe@example.org", "alice@example.org", "a@example.org", "Very.Long.Local.Part.With.Dots@example.org"})
    void theHashIsWhatGpgWksClientComputes(String address) throws Exception {
        Process process = new ProcessBuilder("/usr/lib/gnupg/gpg-wks-client", "--print-wkd-hash", address).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes()).trim();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("gpg-wks-client --print-wkd-hash " + address).matches("[a-z0-9]{32} .*");
        assertThat(Wkd.hash(address.substring(0, address.indexOf('@')))).isEqualTo(output.split(" ")[0]);
        if (address.startsWith("Joe.Doe")) {
            assertThat(Wkd.hash("Joe.Doe")).isEqualTo("iy9q119eutrkn8s1mk4r39qejnbu3n5q");
        }
    }
}
