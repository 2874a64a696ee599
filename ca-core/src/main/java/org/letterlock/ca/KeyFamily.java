package org.letterlock.ca;

import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/** The kind of a subject key, which decides the keyUsage bits a profile gives it (RSA encrypts, EC agrees). */
public enum KeyFamily {
    RSA,
    EC,
    ED25519;

    /** The family of a public key, or null for an algorithm Letterlock does not certify. */
    public static KeyFamily of(SubjectPublicKeyInfo key) {
        var algorithm = key.getAlgorithm().getAlgorithm();
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            return RSA;
        }
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            return EC;
        }
        if (algorithm.equals(EdECObjectIdentifiers.id_Ed25519)) {
            return ED25519;
        }
        return null;
    }
}
