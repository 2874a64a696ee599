package org.letterlock.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;

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

    /**
     * SHA-256 (hex) of a public key in one form per key, however it was encoded: an RSA modulus, an EC curve and its
     * uncompressed point, an Ed25519 key's bytes. A key revoked for compromise is known again by this in any encoding.
     */
    public static String canonicalKeyHash(SubjectPublicKeyInfo key) {
        byte[] canonical;
        try {
            KeyFamily family = of(key);
            if (family == RSA) {
                canonical = concat("rsa:", RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().toByteArray());
            } else if (family == EC) {
                ECPublicKeyParameters ec = (ECPublicKeyParameters) PublicKeyFactory.createKey(key);
                canonical = concat("ec:" + key.getAlgorithm().getParameters() + ":", ec.getQ().getEncoded(false));
            } else if (family == ED25519) {
                canonical = concat("ed25519:", key.getPublicKeyData().getOctets());
            } else {
                canonical = key.getEncoded(ASN1Encoding.DER);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the public key cannot be read: " + e.getMessage(), e);
        }
        SHA256Digest sha256 = new SHA256Digest();
        sha256.update(canonical, 0, canonical.length);
        byte[] hash = new byte[sha256.getDigestSize()];
        sha256.doFinal(hash, 0);
        return HexFormat.of().formatHex(hash);
    }

    private static byte[] concat(String tag, byte[] value) {
        byte[] prefix = tag.getBytes(StandardCharsets.US_ASCII);
        byte[] joined = Arrays.copyOf(prefix, prefix.length + value.length);
        System.arraycopy(value, 0, joined, prefix.length, value.length);
        return joined;
    }
}
