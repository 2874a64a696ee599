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
 * A module's domain ({@code org.letterlock.<module>}) is plain Java: JDBC lives in {@code <module>.store}, HTTP,
 * servlets and CDI in {@code <module>.web}, and the store knows nothing of the web. Read from the sources, so a new
 * file that crosses a line fails. Each module runs it with its own name.
 */
public abstract class LayeringConformance {

    /** The module's package below {@code org.letterlock}, e.g. {@code ca}. */
    protected abstract String module();

    private List<Path> sources(String layer) throws IOException {
        Path domain = Path.of("src/main/java/org/letterlock").resolve(module());
        Path root = layer.equals("domain") ? domain : domain.resolve(layer);
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
            "domain-names-no-adapter,      domain, import org.letterlock.MODULE.store",
            "domain-names-no-web,          domain, import org.letterlock.MODULE.web",
            "store-speaks-no-http,         store,  import jakarta.",
            "store-names-no-web,           store,  import org.letterlock.MODULE.web",
            "web-writes-no-sql,            web,    import java.sql",
    })
    void importsStayOnTheirSideOfTheLine(String rule, String layer, String forbidden) throws IOException {
        List<Path> files = sources(layer);
        assertThat(files).as("sources found for " + rule).isNotEmpty();
        String wanted = forbidden.replace("MODULE", module());
        for (Path file : files) {
            assertThat(Files.readString(file)).as(rule + ": " + file).doesNotContain(wanted);
        }
    }
}
