package org.letterlock.platform.config;

import java.time.Duration;
import java.util.List;
import org.letterlock.vault.KeySpec;

/**
 * Key escrow's settings (read and validated with the rest of the configuration).
 *
 * @param keySpecs          key specs escrow may generate; the first is the default
 * @param rsaPool           RSA key pairs kept generated ahead, per RSA spec
 * @param approvals         M: distinct recovery agents who must approve a recovery
 * @param agents            N: recovery agents that must exist before a recovery can be requested
 * @param recoveryExpiry    how long a request waits for its approvals
 * @param downloadWindow    how long a released recovery waits for its download
 */
public record EscrowSettings(
        List<KeySpec> keySpecs,
        int rsaPool,
        int approvals,
        int agents,
        Duration recoveryExpiry,
        Duration downloadWindow) {

    /** Encryption keys: RSA for key transport, NIST EC for key agreement (no Ed25519: it cannot encrypt). */
    public static final List<KeySpec> ENCRYPTION_KEY_SPECS = List.of(KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096, KeySpec.EC_P256, KeySpec.EC_P384);

    public EscrowSettings {
        keySpecs = List.copyOf(keySpecs);
    }
}
