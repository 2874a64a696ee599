package org.letterlock.enroll.client;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** The keys letterlock-enroll makes or asks for; the names are the ones Letterlock's configuration uses. */
enum KeyType {
    EC_P256("ec-p256"), EC_P384("ec-p384"), RSA_3072("rsa-3072");

    private final String label;

    KeyType(String label) {
        this.label = label;
    }

    KeyPair generate() throws GeneralSecurityException {
        return switch (this) {
            case EC_P256, EC_P384 -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec(this == EC_P256 ? "secp256r1" : "secp384r1"));
                yield generator.generateKeyPair();
            }
            case RSA_3072 -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(3072);
                yield generator.generateKeyPair();
            }
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
