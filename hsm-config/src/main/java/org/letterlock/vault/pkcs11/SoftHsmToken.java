package org.letterlock.vault.pkcs11;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.letterlock.vault.SecretFiles;
import org.letterlock.vault.SecretSource;
import org.letterlock.vault.VaultException;

/**
 * A SoftHSM2 token kept in the data folder with its own {@code softhsm2.conf}, so Letterlock never touches the system
 * token store. SoftHSM2 reads {@code SOFTHSM2_CONF} from the process environment when the library loads, which a JVM
 * cannot set for itself: the launcher exports it, and this class refuses to go on when it points elsewhere.
 */
public final class SoftHsmToken {
    private static final Logger LOG = Logger.getLogger(SoftHsmToken.class.getName());
    private static final String UTIL = "softhsm2-util";

    private final Path dataDir;
    private final String label;

    public SoftHsmToken(Path dataDir, String label) {
        this.dataDir = dataDir.toAbsolutePath();
        this.label = label;
    }

    /** The configuration file SoftHSM2 must be pointed at through {@code SOFTHSM2_CONF}. */
    public static Path configFile(Path dataDir) {
        return dataDir.toAbsolutePath().resolve("softhsm").resolve("softhsm2.conf");
    }

    public Path configFile() {
        return configFile(dataDir);
    }

    /**
     * Writes the configuration and token folder if missing, creates the token with a generated PIN if it does not exist
     * (when the PIN source is a file that does not exist yet), and returns its slot id.
     */
    public int ensure(SecretSource pin, Map<String, String> environment) {
        writeConfig();
        String pointedAt = environment.get("SOFTHSM2_CONF");
        if (pointedAt == null || !Path.of(pointedAt).toAbsolutePath().normalize().equals(configFile().normalize())) {
            throw new VaultException(VaultException.Reason.CONFIGURATION,
                    "SoftHSM2 must use the token store in the data folder: start Letterlock with ./letterlock, or export SOFTHSM2_CONF="
                            + configFile() + " before starting Java (it is " + (pointedAt == null ? "unset" : pointedAt) + ")");
        }
        OptionalInt slot = findSlot();
        if (slot.isPresent()) {
            return slot.getAsInt();
        }
        char[] userPin = pinForNewToken(pin);
        char[] soPin = SecretFiles.randomSecret();
        writeSecret(dataDir.resolve("secrets").resolve("vault-so.pin"), soPin);
        run(List.of(UTIL, "--init-token", "--free", "--label", label, "--so-pin", new String(soPin), "--pin", new String(userPin)));
        LOG.info("created SoftHSM2 token '" + label + "' in " + configFile().getParent());
        return findSlot().orElseThrow(() -> new VaultException(VaultException.Reason.BACKEND_FAILURE,
                "SoftHSM2 token '" + label + "' was created but is not listed by " + UTIL + " --show-slots"));
    }

    private char[] pinForNewToken(SecretSource pin) {
        if (pin.isFile() && !Files.exists(pin.path())) {
            char[] generated = SecretFiles.randomSecret();
            writeSecret(pin.path(), generated);
            return generated;
        }
        return pin.read();
    }

    private void writeConfig() {
        Path tokens = configFile().getParent().resolve("tokens");
        try {
            Files.createDirectories(tokens);
            if (!Files.exists(configFile())) {
                Files.writeString(configFile(), "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
            }
        } catch (IOException e) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "cannot write " + configFile() + ": " + e.getMessage(), e);
        }
    }

    private OptionalInt findSlot() {
        return parseSlot(run(List.of(UTIL, "--show-slots")), label);
    }

    /** Finds the slot whose initialised token carries {@code label} in {@code softhsm2-util --show-slots} output. */
    static OptionalInt parseSlot(String showSlots, String label) {
        Integer slot = null;
        for (String raw : showSlots.split("\n")) {
            String line = raw.trim();
            if (line.startsWith("Slot ") && !line.contains(":")) {
                slot = Integer.parseUnsignedInt(line.substring(5).trim());
            } else if (slot != null && line.startsWith("Label:") && line.substring(6).trim().equals(label)) {
                return OptionalInt.of(slot);
            }
        }
        return OptionalInt.empty();
    }

    private String run(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SOFTHSM2_CONF", configFile().toString());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new VaultException(VaultException.Reason.BACKEND_FAILURE, command.get(0) + " " + command.get(1) + " failed: "
                        + new String(output, StandardCharsets.UTF_8).trim());
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new VaultException(VaultException.Reason.CONFIGURATION,
                    UTIL + " is not installed: run 'apt-get install softhsm2' (or ./letterlock test as root, which installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "interrupted while running " + UTIL, e);
        }
    }

    private static void writeSecret(Path file, char[] secret) {
        try {
            SecretFiles.writeOwnerOnly(file, new String(secret) + "\n");
        } catch (IOException e) {
            throw new VaultException(VaultException.Reason.CONFIGURATION, "cannot write secret file " + file + ": " + e.getMessage(), e);
        }
    }
}
