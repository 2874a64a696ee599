package org.letterlock.enroll.acme;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * An account's public key from its JWK (RFC 7517), with the one JWS algorithm it signs with: ES256 on P-256, RS256 with
 * 2048 bits or more, EdDSA on Ed25519. Its RFC 7638 thumbprint names the account; {@link AccountKeys} keeps it decoded.
 */
final class AccountKey {
    static final String ALGORITHMS = "[\"ES256\",\"RS256\",\"EdDSA\"]";
    private static final Provider BC = new BouncyCastleProvider();
    /**
     * One P-256 domain for every ES256 key. Bouncy Castle keeps what it precomputes for a scalar multiplication on the
     * point: on the generator, shared by all accounts, and on each account's point, so a key kept decoded
     * ({@link AccountKeys}) verifies in about half the time once it has been used a few times
     * (docs/decisions/014-acme-account-keys.md).
     */
    private static final ECDomainParameters P256 = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, CustomNamedCurves.getByOID(SECObjectIdentifiers.secp256r1));
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    private static final Base64.Encoder BASE64URL_OUT = Base64.getUrlEncoder().withoutPadding();
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final Set<String> SUPPORTED = Set.of("ES256", "RS256", "EdDSA");

    private final String algorithm;
    private final String thumbprint;
    private final String jwk;
    private final SignatureCheck check;

    private AccountKey(String algorithm, String thumbprint, String jwk, SignatureCheck check) {
        this.algorithm = algorithm;
        this.thumbprint = thumbprint;
        this.jwk = jwk;
        this.check = check;
    }

    /** Checks signatures with one public key; the public key's bits as a certificate's SubjectPublicKeyInfo carries them. */
    private interface SignatureCheck {
        boolean verifies(byte[] signingInput, byte[] signature) throws GeneralSecurityException;

        byte[] publicKeyData();
    }

    /**
     * ES256 with Bouncy Castle's ECDSA verifier on the decoded point, not through JCA: no provider look-up and no key
     * conversion per request, and the point (with what Bouncy Castle precomputed on it) is the same object every time.
     */
    private record Es256(ECPublicKeyParameters point) implements SignatureCheck {
        @Override
        public boolean verifies(byte[] signingInput, byte[] signature) {
            if (signature.length != 64) {
                return false;
            }
            SHA256Digest sha256 = new SHA256Digest();
            sha256.update(signingInput, 0, signingInput.length);
            byte[] digest = new byte[32];
            sha256.doFinal(digest, 0);
            ECDSASigner verifier = new ECDSASigner();
            verifier.init(false, point);
            return verifier.verifySignature(digest, new BigInteger(1, Arrays.copyOfRange(signature, 0, 32)), new BigInteger(1, Arrays.copyOfRange(signature, 32, 64)));
        }

        @Override
        public byte[] publicKeyData() {
            return point.getQ().getEncoded(false);
        }
    }

    /** RS256 (the JDK's RSA) and EdDSA (Bouncy Castle's Ed25519) through JCA. */
    private record Jca(PublicKey key, String jcaAlgorithm, Provider provider) implements SignatureCheck {
        @Override
        public boolean verifies(byte[] signingInput, byte[] signature) throws GeneralSecurityException {
            Signature verifier = provider == null ? Signature.getInstance(jcaAlgorithm) : Signature.getInstance(jcaAlgorithm, provider);
            verifier.initVerify(key);
            verifier.update(signingInput);
            return verifier.verify(signature);
        }

        @Override
        public byte[] publicKeyData() {
            return SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
        }
    }

    String algorithm() {
        return algorithm;
    }

    String thumbprint() {
        return thumbprint;
    }

    /** The JWK as the account row stores it. */
    String jwk() {
        return jwk;
    }

    /** The public key's bits, as the subjectPublicKey of a certificate for this key holds them. */
    byte[] publicKeyData() {
        return check.publicKeyData();
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
                    ECPublicKeyParameters point = new ECPublicKeyParameters(P256.getCurve().createPoint(new BigInteger(1, x), new BigInteger(1, y)), P256);
                    yield new AccountKey("ES256", thumbprint("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + b64(x) + "\",\"y\":\"" + b64(y) + "\"}"),
                            jwk.toString(), new Es256(point));
                }
                case "RSA" -> {
                    byte[] n = stripZeros(BASE64URL.decode(member(jwk, "n")));
                    byte[] e = stripZeros(BASE64URL.decode(member(jwk, "e")));
                    RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
                    if (key.getModulus().bitLength() < 2048) {
                        throw badKey("RSA account keys need 2048 bits or more, this one has " + key.getModulus().bitLength());
                    }
                    yield new AccountKey("RS256", thumbprint("{\"e\":\"" + b64(e) + "\",\"kty\":\"RSA\",\"n\":\"" + b64(n) + "\"}"), jwk.toString(),
                            new Jca(key, "SHA256withRSA", null));
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
                    yield new AccountKey("EdDSA", thumbprint("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + b64(x) + "\"}"), jwk.toString(),
                            new Jca(key, "Ed25519", BC));
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
            if (!check.verifies(signingInput, signature)) {
                throw AcmeProblem.malformed("the JWS signature does not verify with the " + algorithm + " key");
            }
        } catch (GeneralSecurityException e) {
            throw AcmeProblem.malformed("the JWS signature does not verify with the " + algorithm + " key: " + e.getMessage());
        }
    }

    /** The algorithms this server takes, checked before any key is looked at. */
    static void requireSupported(String alg) {
        if (!SUPPORTED.contains(alg)) {
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
        return Arrays.copyOfRange(value, zeros, value.length);
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
