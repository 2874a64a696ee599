package org.letterlock.platform.config;

import java.util.List;

/** Configuration that Letterlock refuses to start with; each problem names the key and the reason. */
public class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super("invalid configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
