package org.letterlock.platform.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordHasherTest {
    private final PasswordHasher hasher = new PasswordHasher(8_192, 1, 1);

    @Test
    void verifiesTheRightPasswordOnly() {
        String hash = hasher.hash("correct horse battery".toCharArray());
        assertThat(hash).startsWith("$argon2id$v=19$m=8192,t=1,p=1$");
        assertThat(hasher.verify("correct horse battery".toCharArray(), hash)).isTrue();
        assertThat(hasher.verify("correct horse batterY".toCharArray(), hash)).isFalse();
        assertThat(hasher.hash("same".toCharArray())).as("salted").isNotEqualTo(hasher.hash("same".toCharArray()));
    }

    @Test
    void defaultParametersAreMemoryHard() {
        assertThat(new PasswordHasher().hash("x".toCharArray())).contains("m=47104,t=1,p=1");
    }

    @ParameterizedTest(name = "rejects/{0}")
    @ValueSource(strings = {"", "plain", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=8192,x=1,p=1$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=8192,t=1,p=1$!!!$aGFzaA", "$2b$12$abcdefghijklmnopqrstuv"})
    void malformedHashesNeverVerify(String encoded) {
        assertThat(hasher.verify("anything".toCharArray(), encoded)).isFalse();
    }
}
