package org.letterlock.platform.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Holds the lines of the design: only the web adapter speaks JAX-RS, CDI or MicroProfile; key custody knows nothing
 * of the platform. Read from the sources, so a new file that crosses a line fails here.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/org/letterlock");
    private static final Path HSM = Path.of("../hsm-config/src/main/java/org/letterlock");

    private static List<Path> sources(Path root, String excludedPackage) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> excludedPackage.isEmpty() || !p.toString().contains("/" + excludedPackage + "/"))
                    .toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "platform-domain-speaks-no-jax-rs,      platform, web, import jakarta.ws.rs",
            "platform-domain-needs-no-cdi,          platform, web, import jakarta.enterprise",
            "platform-domain-needs-no-microprofile, platform, web, import org.eclipse.microprofile",
            "vault-knows-nothing-of-the-platform,   hsm,      '',  import org.letterlock.platform",
            "vault-speaks-no-jax-rs,                hsm,      '',  import jakarta.",
    })
    void importsStayOnTheirSideOfTheLine(String rule, String module, String allowedIn, String forbidden) throws IOException {
        Path root = module.equals("hsm") ? HSM : MAIN.resolve("platform");
        List<Path> files = sources(root, allowedIn);
        assertThat(files).as("sources found for " + rule).isNotEmpty();
        for (Path file : files) {
            assertThat(Files.readString(file)).as(rule + ": " + file).doesNotContain(forbidden);
        }
    }
}
