package org.letterlock.vault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a PIN or password comes from: {@code file:/path} (first line of the file) or {@code env:NAME}.
 * Secrets are never written in configuration itself.
 */
public final class SecretSource {
    private final String spec;

    private SecretSource(String spec) {
        this.spec = spec;
    }

    public static SecretSource parse(String spec) {
        if (spec == null || !(spec.startsWith("file:") || spec.startsWith("env:")) || spec.indexOf(':') == spec.length() - 1) {
            throw new IllegalArgumentException("a secret source must be 'file:/path/to/file' or 'env:VARIABLE', got '" + spec + "'");
        }
        return new SecretSource(spec);
    }

    public static SecretSource file(Path path) {
        return new SecretSource("file:" + path.toAbsolutePath());
    }

    public boolean isFile() {
        return spec.startsWith("file:");
    }

    public Path path() {
        return Path.of(spec.substring("file:".length()));
    }

    public char[] read() {
        return read(System.getenv());
    }

    char[] read(Map<String, String> environment) {
        String value;
        if (isFile()) {
            Path path = path();
            if (!Files.isRegularFile(path)) {
                throw new VaultException(VaultException.Reason.CONFIGURATION,
                        "secret file " + path + " does not exist; create it (mode 0600) with the secret on its first line");
            }
            try {
                value = Files.readAllLines(path, StandardCharsets.UTF_8).stream().findFirst().orElse("").replace("\r", "");
            } catch (IOException e) {
                throw new VaultException(VaultException.Reason.CONFIGURATION, "cannot read secret file " + path + ": " + e.getMessage(), e);
            }
        } else {
            String name = spec.substring("env:".length());
            value = environment.get(name);
            if (value == null) {
                throw new VaultException(VaultException.Reason.CONFIGURATION, "environment variable " + name + " is not set; export it with the secret");
            }
        }
        if (value.isEmpty()) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "the secret from " + this + " is empty");
        }
        return value.toCharArray();
    }

    @Override
    public String toString() {
        return spec;
    }
}
