package org.letterlock.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code openssl speed}, the signing ceiling on this machine: runs it and reads the sign/s column of its summary.
 * Figures are keyed by the algorithm names {@code openssl speed} takes, such as {@code rsa3072} and {@code ecdsap256}.
 */
public final class OpensslSpeed {
    // rsa 3072 bits 0.001802s 0.000035s    555.0  28403.0
    private static final Pattern RSA = Pattern.compile("^rsa\\s+(\\d+)\\s+bits\\s+\\S+s\\s+\\S+s\\s+([\\d.]+)\\s+([\\d.]+)\\s*$");
    //  256 bits ecdsa (nistp256)   0.0000s   0.0001s  53216.5  19685.0
    private static final Pattern ECDSA = Pattern.compile("^\\s*\\d+\\s+bits\\s+ecdsa\\s+\\((\\w+)\\)\\s+\\S+s\\s+\\S+s\\s+([\\d.]+)\\s+([\\d.]+)\\s*$");

    private OpensslSpeed() {
    }

    /** The command line: {@code openssl speed [-multi N] -seconds S alg...}; {@code -multi} only for more than one process. */
    public static List<String> command(int processes, int seconds, List<String> algorithms) {
        List<String> command = new ArrayList<>(List.of("openssl", "speed"));
        if (processes > 1) {
            command.addAll(List.of("-multi", Integer.toString(processes)));
        }
        command.addAll(List.of("-seconds", Integer.toString(seconds)));
        command.addAll(algorithms);
        return command;
    }

    /** Runs {@code openssl speed} and returns sign/s for each algorithm asked for. */
    public static Map<String, Double> run(int processes, int seconds, List<String> algorithms) {
        List<String> command = command(processes, seconds, algorithms);
        String output = Shell.run(command);
        Map<String, Double> figures = parse(output);
        for (String algorithm : algorithms) {
            if (!figures.containsKey(algorithm)) {
                throw new IllegalStateException("no sign/s figure for " + algorithm + " in the output of " + String.join(" ", command)
                        + ":\n" + output);
            }
        }
        return figures;
    }

    /** Sign/s from the summary table that ends {@code openssl speed} output (the same for one process and {@code -multi}). */
    public static Map<String, Double> parse(String output) {
        Map<String, Double> signPerSecond = new LinkedHashMap<>();
        for (String line : output.split("\\R")) {
            Matcher rsa = RSA.matcher(line);
            if (rsa.matches()) {
                signPerSecond.put("rsa" + rsa.group(1), Double.parseDouble(rsa.group(2)));
                continue;
            }
            Matcher ecdsa = ECDSA.matcher(line);
            if (ecdsa.matches()) {
                String curve = ecdsa.group(1).startsWith("nist") ? ecdsa.group(1).substring(4) : ecdsa.group(1);
                signPerSecond.put("ecdsa" + curve, Double.parseDouble(ecdsa.group(2)));
            }
        }
        return signPerSecond;
    }
}
