package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.letterlock.vault.KeySpec;

class VaultSignTest {

    @Test
    void comparesPkcs11RowsWithThePlainLoopAndEveryRowWithOpenssl() {
        Map<VaultSign.Cell, Double> rates = new LinkedHashMap<>();
        rates.put(new VaultSign.Cell(VaultSign.MEMORY, KeySpec.EC_P256, 1), 6300.0);
        rates.put(new VaultSign.Cell(VaultSign.PKCS11, KeySpec.EC_P256, 1), 8500.0);
        rates.put(new VaultSign.Cell(VaultSign.PLAIN, KeySpec.EC_P256, 1), 8700.0);
        rates.put(new VaultSign.Cell(VaultSign.OPENSSL, KeySpec.EC_P256, 1), 29900.0);
        rates.put(new VaultSign.Cell(VaultSign.PKCS11, KeySpec.RSA_3072, 2), 300.0);
        rates.put(new VaultSign.Cell(VaultSign.PLAIN, KeySpec.RSA_3072, 2), 444.0);
        rates.put(new VaultSign.Cell(VaultSign.OPENSSL, KeySpec.RSA_3072, 2), 693.0);

        Results results = VaultSign.results(rates, Map.of(), List.of("openssl speed -seconds 5 ecdsap256 rsa3072"));

        assertThat(results.rows()).containsExactly(
                List.of("memory (Bouncy Castle)", "ec-p256", "1", "6,300", "-", "21%"),
                List.of("pkcs11 (SoftHSM2)", "ec-p256", "1", "8,500", "98%", "28%"),
                List.of("plain SunPKCS11, same key", "ec-p256", "1", "8,700", "-", "29%"),
                List.of("openssl speed", "ec-p256", "1", "29,900", "-", "-"),
                List.of("pkcs11 (SoftHSM2)", "rsa-3072", "2", "300", "68%", "43%"),
                List.of("plain SunPKCS11, same key", "rsa-3072", "2", "444", "-", "64%"),
                List.of("openssl speed -multi 2", "rsa-3072", "2", "693", "-", "-"));
        assertThat(results.notes().get(0)).contains("ec-p256 1t 98%").contains("BELOW TARGET for rsa-3072 with 2 thread(s)");
    }

    @Test
    void interpolatesQuantiles() {
        List<Double> sorted = List.of(0.8, 0.9, 1.0, 1.1, 1.2);
        assertThat(VaultSign.quantile(sorted, 0.25)).isEqualTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(VaultSign.quantile(sorted, 0.5)).isEqualTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(VaultSign.quantile(List.of(1.0, 2.0), 0.75)).isEqualTo(1.75, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void everyKeyHasAnOpensslSpeedName() {
        assertThat(VaultSign.OPENSSL_NAMES).containsKeys(VaultSign.KEYS.toArray(KeySpec[]::new));
        assertThat(VaultSign.MESSAGE).hasSize(256);
    }
}
