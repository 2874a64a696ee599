package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.cert.X509CertificateHolder;

/** Runs the real tools (openssl, certtool, gpgsm) on what the CA produced, in a test's folder. */
public final class Tools {
    public record Run(int exit, String output) {
    }

    private final Path dir;

    public Tools(Path dir) {
        this.dir = dir;
    }

    public Run run(String... command) throws Exception {
        return run(Map.of(), command);
    }

    public Run run(Map<String, String> environment, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(List.of(command)).redirectErrorStream(true).directory(dir.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Run(process.exitValue(), output);
    }

    public Run openssl(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return run(command.toArray(String[]::new));
    }

    public Path pem(String name, X509CertificateHolder... certificates) throws IOException {
        StringBuilder text = new StringBuilder();
        for (X509CertificateHolder certificate : certificates) {
            text.append(Certificates.pem(certificate));
        }
        return write(name + ".pem", text.toString().getBytes(StandardCharsets.US_ASCII));
    }

    public Path write(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }
}
