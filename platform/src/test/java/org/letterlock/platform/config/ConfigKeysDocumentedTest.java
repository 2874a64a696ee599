package org.letterlock.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every configuration key is in the README's table, so operators can find it. */
class ConfigKeysDocumentedTest {
    private static final Path README = Path.of("../README.md");

    @ParameterizedTest(name = "documents/{0}")
    @EnumSource(ConfigKey.class)
    void readmeListsTheKey(ConfigKey key) throws IOException {
        String readme = Files.readString(README);
        String last = key.key().substring(key.key().lastIndexOf('.') + 1);
        String parent = key.key().substring(0, key.key().lastIndexOf('.'));
        boolean listed = readme.contains("`" + key.key() + "`") || readme.contains("`" + parent + "." ) && readme.contains("`." + last + "`");
        assertThat(listed).as(key.key() + " in README.md").isTrue();
    }
}
