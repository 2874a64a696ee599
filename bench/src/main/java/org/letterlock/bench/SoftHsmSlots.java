package org.letterlock.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Finds a SoftHSM2 token's slot id from {@code softhsm2-util --show-slots}, for configuring SunPKCS11 directly. */
public final class SoftHsmSlots {
    private SoftHsmSlots() {
    }

    /** The slot holding the token labelled {@code label} in the token store that {@code softhsm2Conf} names. */
    public static long slotOf(String label, Path softhsm2Conf) {
        String output = Shell.run(List.of("softhsm2-util", "--show-slots"), Map.of("SOFTHSM2_CONF", softhsm2Conf.toString()));
        return parse(output, label).orElseThrow(() -> new IllegalStateException(
                "no SoftHSM2 token labelled '" + label + "' in " + softhsm2Conf + "; softhsm2-util --show-slots said:\n" + output));
    }

    /**
     * Reads {@code softhsm2-util --show-slots} output: a {@code Slot <id>} line opens each slot (slot ids are unsigned
     * 32-bit numbers), and the token's {@code Label:} line follows under "Token info". Free slots have a blank label,
     * which never matches.
     */
    public static OptionalLong parse(String showSlots, String label) {
        if (label.isBlank()) {
            return OptionalLong.empty();
        }
        Long slot = null;
        for (String raw : showSlots.split("\\R")) {
            String line = raw.strip();
            if (line.startsWith("Slot ") && !line.contains(":")) {
                slot = Long.parseLong(line.substring("Slot ".length()).strip());
            } else if (slot != null && line.startsWith("Label:") && line.substring("Label:".length()).strip().equals(label)) {
                return OptionalLong.of(slot);
            }
        }
        return OptionalLong.empty();
    }
}
