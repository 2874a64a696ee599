package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.vault.SignatureVerifiers;

/**
 * Which look-ups {@link AccountKeys} answers with the key it kept and which it decodes afresh. Steps are
 * {@code account=jwk} (the account row holds that JWK now) or {@code -account} (the account was deactivated); each
 * look-up's outcome is "kept" or "decoded".
 */
class AccountKeysTest {
    static final Map<String, String> JWKS = new HashMap<>();

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        for (String name : List.of("A", "B", "C")) {
            JWKS.put(name, PublicJsonWebKey.Factory.newPublicJwk(generator.generateKeyPair().getPublic()).toJson());
        }
    }

    static Stream<Arguments> lookUps() {
        return Stream.of(
                Arguments.of("kept/while-the-row-holds-the-same-jwk", 4, "a=A a=A a=A", "decoded kept kept"),
                Arguments.of("decoded/after-a-key-rollover-and-back", 4, "a=A a=B a=B a=A", "decoded decoded kept decoded"),
                Arguments.of("decoded/for-another-account-even-with-the-same-jwk", 4, "a=A b=A a=A b=A", "decoded decoded kept kept"),
                Arguments.of("decoded/after-the-account-was-deactivated", 4, "a=A -a a=A", "decoded decoded"),
                Arguments.of("decoded/the-least-recently-used-past-capacity", 2, "a=A b=B a=A c=C a=A b=B", "decoded decoded kept decoded kept decoded"),
                Arguments.of("kept/the-recently-used-at-capacity", 2, "a=A b=B c=C c=C b=B", "decoded decoded decoded kept kept"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lookUps")
    void answersFromWhatItKeptOnlyForTheSameAccountAndJwk(String name, int capacity, String steps, String outcomes) {
        AccountKeys keys = new AccountKeys(capacity, SignatureVerifiers::software);
        Map<String, AccountKey> last = new HashMap<>();
        List<String> seen = new ArrayList<>();

        for (String step : steps.split(" ")) {
            if (step.startsWith("-")) {
                keys.forget(step.substring(1));
                continue;
            }
            String account = step.substring(0, step.indexOf('='));
            String jwk = JWKS.get(step.substring(step.indexOf('=') + 1));
            AccountKey key = keys.of(account, jwk);
            assertThat(key.jwk()).as("the key decoded from the row's JWK").isEqualTo(AcmeJson.parse(jwk.getBytes(), "jwk").toString());
            seen.add(key == last.get(account) ? "kept" : "decoded");
            last.put(account, key);
        }

        assertThat(String.join(" ", seen)).isEqualTo(outcomes);
    }
}
