package org.letterlock.ca.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CA's domain ({@code org.letterlock.ca}) is plain Java: JDBC lives in {@code ca.store}, HTTP, servlets and CDI
 * in {@code ca.web}, and the store knows nothing of the web. Read from the sources, so a new file that crosses a line fails.
 */
class CaLayeringTest {
    private static final Path CA = Path.of("src/main/java/org/letterlock/ca");

    private static List<Path> sources(String layer) throws IOException {
        Path root = layer.equals("domain") ? CA : CA.resolve(layer);
        try (Stream<Path> files = layer.equals("domain") ? Files.list(root) : Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "domain-speaks-no-sql,         domain, import java.sql",
            "domain-holds-no-datasource,   domain, import javax.sql",
            "domain-speaks-no-http-or-cdi, domain, import jakarta.",
            "domain-needs-no-microprofile, domain, import org.eclipse.microprofile",
            "domain-names-no-adapter,      domain, import org.letterlock.ca.store",
            "domain-names-no-web,          domain, import org.letterlock.ca.web",
            "store-speaks-no-http,         store,  import jakarta.",
            "store-names-no-web,           store,  import org.letterlock.ca.web",
            "web-writes-no-sql,            web,    import java.sql",
    })
    void importsStayOnTheirSideOfTheLine(String rule, String layer, String forbidden) throws IOException {
        List<Path> files = sources(layer);
        assertThat(files).as("sources found for " + rule).isNotEmpty();
        for (Path file : files) {
            assertThat(Files.readString(file)).as(rule + ": " + file).doesNotContain(forbidden);
        }
    }
}
