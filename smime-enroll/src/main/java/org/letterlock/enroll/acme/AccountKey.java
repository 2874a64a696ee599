package org.letterlock.enroll.acme;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * An account's public key from its JWK (RFC 7517), with the one JWS algorithm it signs with: ES256 on P-256, RS256 with
 * 2048 bits or more, EdDSA on Ed25519. Parsed once per account and kept; its RFC 7638 thumbprint names the account.
 */
record AccountKey(PublicKey key, String algorithm, String thumbprint, String jwk) {
    static final String ALGORITHMS = "[\"ES256\",\"RS256\",\"EdDSA\"]";
    /** Bouncy Castle verifies ECDSA several times faster than SunEC on Java 17 and takes JWS's raw r||s form as it is. */
    private static final Provider BC = new BouncyCastleProvider();
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    private static final Base64.Encoder BASE64URL_OUT = Base64.getUrlEncoder().withoutPadding();
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final ECParameterSpec P256;
    private static final Map<String, String> JCA_ALGORITHMS = Map.of("ES256", "SHA256withPLAIN-ECDSA", "RS256", "SHA256withRSA", "EdDSA", "Ed25519");

    static {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            P256 = parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key in {@code jwk}; refused as badPublicKey when it is of a type, curve or size this server does not take. */
    static AccountKey of(JsonObject jwk) {
        String kty = member(jwk, "kty");
        try {
            return switch (kty) {
                case "EC" -> {
                    if (!"P-256".equals(member(jwk, "crv"))) {
                        throw badKey("EC account keys must be on P-256 (ES256), not " + member(jwk, "crv"));
                    }
                    byte[] x = coordinate(jwk, "x", 32);
                    byte[] y = coordinate(jwk, "y", 32);
                    PublicKey key = KeyFactory.getInstance("EC", BC).generatePublic(new ECPublicKeySpec(
                            new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), P256));
                    yield new AccountKey(key, "ES256", thumbprint("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + b64(x) + "\",\"y\":\"" + b64(y) + "\"}"),
                            jwk.toString());
                }
                case "RSA" -> {
                    byte[] n = stripZeros(BASE64URL.decode(member(jwk, "n")));
                    byte[] e = stripZeros(BASE64URL.decode(member(jwk, "e")));
                    RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
                    if (key.getModulus().bitLength() < 2048) {
                        throw badKey("RSA account keys need 2048 bits or more, this one has " + key.getModulus().bitLength());
                    }
                    yield new AccountKey(key, "RS256", thumbprint("{\"e\":\"" + b64(e) + "\",\"kty\":\"RSA\",\"n\":\"" + b64(n) + "\"}"), jwk.toString());
                }
                case "OKP" -> {
                    if (!"Ed25519".equals(member(jwk, "crv"))) {
                        throw badKey("OKP account keys must be Ed25519 (EdDSA), not " + member(jwk, "crv"));
                    }
                    byte[] x = coordinate(jwk, "x", 32);
                    byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
                    System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
                    System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                    PublicKey key = KeyFactory.getInstance("Ed25519", BC).generatePublic(new X509EncodedKeySpec(spki));
                    yield new AccountKey(key, "EdDSA", thumbprint("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + b64(x) + "\"}"), jwk.toString());
                }
                default -> throw badKey("account keys must be EC P-256, RSA or Ed25519 JWKs, not kty " + kty);
            };
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw badKey("the JWK is not a valid " + kty + " public key: " + e.getMessage());
        }
    }

    /** Checks the JWS signature over {@code signingInput} made with {@code alg}, which must be this key's algorithm. */
    void verify(String alg, byte[] signingInput, byte[] signature) {
        if (!algorithm.equals(alg)) {
            throw new AcmeProblem("badSignatureAlgorithm", 400, "this account key signs with " + algorithm + ", the request says " + alg,
                    Map.of("algorithms", ALGORITHMS));
        }
        try {
            Signature verifier = algorithm.equals("RS256") ? Signature.getInstance(JCA_ALGORITHMS.get(alg)) : Signature.getInstance(JCA_ALGORITHMS.get(alg), BC);
            verifier.initVerify(key);
            verifier.update(signingInput);
            if (!verifier.verify(signature)) {
                throw AcmeProblem.malformed("the JWS signature does not verify with the " + algorithm + " key");
            }
        } catch (GeneralSecurityException e) {
            throw AcmeProblem.malformed("the JWS signature does not verify with the " + algorithm + " key: " + e.getMessage());
        }
    }

    /** The algorithms this server takes, checked before any key is looked at. */
    static void requireSupported(String alg) {
        if (!JCA_ALGORITHMS.containsKey(alg)) {
            throw new AcmeProblem("badSignatureAlgorithm", 400, "JWS algorithm " + alg + " is not supported; use ES256, RS256 or EdDSA",
                    Map.of("algorithms", ALGORITHMS));
        }
    }

    private static String thumbprint(String canonicalJwk) {
        try {
            return b64(MessageDigest.getInstance("SHA-256").digest(canonicalJwk.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] coordinate(JsonObject jwk, String name, int length) {
        byte[] value = BASE64URL.decode(member(jwk, name));
        if (value.length != length) {
            throw badKey("JWK member " + name + " must be " + length + " bytes, not " + value.length);
        }
        return value;
    }

    private static byte[] stripZeros(byte[] value) {
        int zeros = 0;
        while (zeros < value.length - 1 && value[zeros] == 0) {
            zeros++;
        }
        return java.util.Arrays.copyOfRange(value, zeros, value.length);
    }

    private static String member(JsonObject jwk, String name) {
        JsonValue value = jwk.get(name);
        if (!(value instanceof JsonString text)) {
            throw badKey("the JWK has no string member " + name);
        }
        return text.getString();
    }

    private static String b64(byte[] value) {
        return BASE64URL_OUT.encodeToString(value);
    }

    private static AcmeProblem badKey(String detail) {
        return new AcmeProblem("badPublicKey", 400, detail);
    }
}
