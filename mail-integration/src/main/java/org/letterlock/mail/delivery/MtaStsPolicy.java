package org.letterlock.mail.delivery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A domain's MTA-STS policy (RFC 8461 3.2), as parsed from its policy file, and the TXT record that announces it
 * (3.1).
 *
 * @param mx     the MX host patterns: a host name, or {@code *.} and a domain (one more label, no more)
 * @param maxAge how long the policy may be cached, at most the RFC's 31557600 seconds
 */
public record MtaStsPolicy(Mode mode, List<String> mx, Duration maxAge) {
    /** The longest max_age RFC 8461 allows; larger values are read as this. */
    static final Duration LONGEST_MAX_AGE = Duration.ofSeconds(31_557_600);

    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):[ \\t]*(\\S(?:[ \\t]*\\S)*)?[ \\t]*");
    private static final Pattern DOMAIN = Pattern.compile("(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern TXT_ID = Pattern.compile("[A-Za-z0-9]{1,32}");

    public MtaStsPolicy {
        mx = List.copyOf(mx);
    }

    public enum Mode {
        /** Deliver only to matching MX hosts over verified TLS. */
        ENFORCE,
        /** Deliver as without a policy, and record where it was not met. */
        TESTING,
        /** The domain has withdrawn its policy. */
        NONE
    }

    /** A policy file or TXT record that does not follow the RFC's grammar; treated as no policy (RFC 8461 5). */
    public static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    /** Whether {@code host} (an MX target) is one the policy names: exactly, or by a {@code *.} pattern one label up. */
    public boolean matches(String host) {
        String name = MxLookup.hostName(host);
        for (String pattern : mx) {
            if (pattern.startsWith("*.")) {
                int dot = name.indexOf('.');
                if (dot > 0 && name.substring(dot + 1).equals(pattern.substring(2))) {
                    return true;
                }
            } else if (pattern.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses a policy file: {@code key: value} lines ending in LF or CRLF. version (STSv1), mode and max_age are
     * required, mx at least once unless the mode is none; unknown keys are ignored, and of a key other than mx given
     * twice the first counts.
     */
    public static MtaStsPolicy parse(String text) throws Malformed {
        String version = null;
        String mode = null;
        String maxAge = null;
        List<String> mx = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() && i == lines.length - 1) {
                break;
            }
            Matcher field = LINE.matcher(line);
            if (!field.matches() || field.group(2) == null) {
                throw new Malformed("line " + (i + 1) + " is not 'key: value': " + printable(line));
            }
            String value = field.group(2);
            switch (field.group(1)) {
                case "version" -> version = version == null ? value : version;
                case "mode" -> mode = mode == null ? value : mode;
                case "max_age" -> maxAge = maxAge == null ? value : maxAge;
                case "mx" -> mx.add(mxPattern(value));
                default -> {
                    // Extensions the gateway does not know are ignored (RFC 8461 3.2).
                }
            }
        }
        if (!"STSv1".equals(version)) {
            throw new Malformed(version == null ? "no version" : "version is not STSv1: " + printable(version));
        }
        Mode parsedMode = switch (mode == null ? "" : mode) {
            case "enforce" -> Mode.ENFORCE;
            case "testing" -> Mode.TESTING;
            case "none" -> Mode.NONE;
            default -> throw new Malformed(mode == null ? "no mode" : "mode is not enforce, testing or none: " + printable(mode));
        };
        if (maxAge == null || !maxAge.matches("\\d{1,10}")) {
            throw new Malformed(maxAge == null ? "no max_age" : "max_age is not 1 to 10 digits: " + printable(maxAge));
        }
        Duration age = Duration.ofSeconds(Long.parseLong(maxAge));
        if (mx.isEmpty() && parsedMode != Mode.NONE) {
            throw new Malformed("no mx in a policy with mode " + mode);
        }
        return new MtaStsPolicy(parsedMode, mx, age.compareTo(LONGEST_MAX_AGE) > 0 ? LONGEST_MAX_AGE : age);
    }

    private static String mxPattern(String value) throws Malformed {
        String lower = value.toLowerCase(Locale.ROOT);
        String domain = lower.startsWith("*.") ? lower.substring(2) : lower;
        if (!DOMAIN.matcher(domain).matches()) {
            throw new Malformed("mx is not a host name or *.domain: " + printable(value));
        }
        return lower;
    }

    /**
     * The policy id of a domain's {@code _mta-sts} TXT records: exactly one must begin with {@code v=STSv1;} and carry
     * an {@code id} of 1 to 32 letters and digits; records that do not begin so are not MTA-STS records. Empty when
     * none does.
     */
    public static Optional<String> txtId(List<String> records) throws Malformed {
        List<String> sts = records.stream().filter(r -> r.startsWith("v=STSv1;") || r.equals("v=STSv1")).toList();
        if (sts.isEmpty()) {
            return Optional.empty();
        }
        if (sts.size() > 1) {
            throw new Malformed(sts.size() + " TXT records begin with v=STSv1");
        }
        String id = null;
        Set<String> seen = new HashSet<>();
        String[] fields = sts.get(0).split(";", -1);
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i].strip();
            if (field.isEmpty() && i == fields.length - 1) {
                break;
            }
            int equals = field.indexOf('=');
            if (equals <= 0) {
                throw new Malformed("TXT field is not key=value: " + printable(field));
            }
            String key = field.substring(0, equals);
            if (key.equals("id") && seen.add(key)) {
                id = field.substring(equals + 1);
            }
        }
        if (id == null || !TXT_ID.matcher(id).matches()) {
            throw new Malformed(id == null ? "TXT record has no id" : "TXT id is not 1 to 32 letters and digits: " + printable(id));
        }
        return Optional.of(id);
    }

    private static String printable(String value) {
        String cleaned = value.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 80 ? cleaned.substring(0, 80) + "..." : cleaned;
    }
}
