package org.letterlock.vault;

import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;

/** The kinds of key pair a vault can be asked to create, with the signature algorithm each signs with by default. */
public enum KeySpec {
    EC_P256("EC", new ECGenParameterSpec("secp256r1"), "SHA256withECDSA"),
    EC_P384("EC", new ECGenParameterSpec("secp384r1"), "SHA384withECDSA"),
    RSA_2048("RSA", new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), "SHA256withRSA"),
    RSA_3072("RSA", new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4), "SHA256withRSA"),
    RSA_4096("RSA", new RSAKeyGenParameterSpec(4096, RSAKeyGenParameterSpec.F4), "SHA256withRSA"),
    ED25519("Ed25519", null, "Ed25519");

    private final String keyAlgorithm;
    private final AlgorithmParameterSpec parameters;
    private final String signatureAlgorithm;

    KeySpec(String keyAlgorithm, AlgorithmParameterSpec parameters, String signatureAlgorithm) {
        this.keyAlgorithm = keyAlgorithm;
        this.parameters = parameters;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    public String keyAlgorithm() {
        return keyAlgorithm;
    }

    /** Null for algorithms whose key size is fixed by the name (Ed25519). */
    public AlgorithmParameterSpec parameters() {
        return parameters;
    }

    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** The name used in configuration and on the command line: {@code ec-p256}, {@code rsa-3072}, {@code ed25519}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static KeySpec fromConfigName(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(spec -> spec.configName().equals(wanted))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown key spec '" + name + "'; expected one of "
                        + Arrays.stream(values()).map(KeySpec::configName).toList()));
    }
}
