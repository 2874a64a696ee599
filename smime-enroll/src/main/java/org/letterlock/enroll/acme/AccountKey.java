package org.letterlock.enroll.acme;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * An account's public key from its JWK (RFC 7517), with the one JWS algorithm it signs with: ES256 on P-256, RS256 with
 * 2048 bits or more, EdDSA on Ed25519. Its RFC 7638 thumbprint names the account; {@link AccountKeys} keeps it decoded.
 * Signatures are checked by the vault's verifiers for outside keys: on SoftHSM2 an ES256 check runs in the token's
 * OpenSSL, 1.6x Bouncy Castle's speed on one thread (docs/decisions/014-acme-account-keys.md).
 */
final class AccountKey {
    static final String ALGORITHMS = "[\"ES256\",\"RS256\",\"EdDSA\"]";
    private static final ECDomainParameters P256 = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, CustomNamedCurves.getByOID(SECObjectIdentifiers.secp256r1));
    private static final AlgorithmIdentifier P256_KEY = new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1);
    /** What each JWS algorithm is as an X.509 signature algorithm, the form the vault's verifiers take. */
    private static final Map<String, AlgorithmIdentifier> SIGNATURE_ALGORITHMS = Map.of(
            "ES256", new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256),
            "RS256", new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE),
            "EdDSA", new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519));
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    private static final Base64.Encoder BASE64URL_OUT = Base64.getUrlEncoder().withoutPadding();
    private static final Set<String> SUPPORTED = SIGNATURE_ALGORITHMS.keySet();

    private final String algorithm;
    private final String thumbprint;
    private final String jwk;
    private final SubjectPublicKeyInfo publicKey;
    private final Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers;
    /** Made at the first check, so a key decoded only for its thumbprint costs no key conversion. */
    private volatile ContentVerifierProvider verifier;

    private AccountKey(String algorithm, String thumbprint, String jwk, SubjectPublicKeyInfo publicKey, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        this.algorithm = algorithm;
        this.thumbprint = thumbprint;
        this.jwk = jwk;
        this.publicKey = publicKey;
        this.verifiers = verifiers;
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
        return publicKey.getPublicKeyData().getBytes();
    }

    /**
     * The key in {@code jwk}, its signatures to be checked by {@code verifiers} (the vault's); refused as badPublicKey when
     * it is of a type, curve or size this server does not take.
     */
    static AccountKey of(JsonObject jwk, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        String kty = member(jwk, "kty");
        try {
            return switch (kty) {
                case "EC" -> {
                    if (!"P-256".equals(member(jwk, "crv"))) {
                        throw badKey("EC account keys must be on P-256 (ES256), not " + member(jwk, "crv"));
                    }
                    byte[] x = coordinate(jwk, "x", 32);
                    byte[] y = coordinate(jwk, "y", 32);
                    // The parameters check that the point is on the curve: a JWK with any other point is refused here, not at its first use.
                    byte[] point = new ECPublicKeyParameters(P256.getCurve().createPoint(new BigInteger(1, x), new BigInteger(1, y)), P256).getQ().getEncoded(false);
                    yield new AccountKey("ES256", thumbprint("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + b64(x) + "\",\"y\":\"" + b64(y) + "\"}"),
                            jwk.toString(), new SubjectPublicKeyInfo(P256_KEY, point), verifiers);
                }
                case "RSA" -> {
                    byte[] n = stripZeros(BASE64URL.decode(member(jwk, "n")));
                    byte[] e = stripZeros(BASE64URL.decode(member(jwk, "e")));
                    RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
                    if (key.getModulus().bitLength() < 2048) {
                        throw badKey("RSA account keys need 2048 bits or more, this one has " + key.getModulus().bitLength());
                    }
                    yield new AccountKey("RS256", thumbprint("{\"e\":\"" + b64(e) + "\",\"kty\":\"RSA\",\"n\":\"" + b64(n) + "\"}"), jwk.toString(),
                            SubjectPublicKeyInfo.getInstance(key.getEncoded()), verifiers);
                }
                case "OKP" -> {
                    if (!"Ed25519".equals(member(jwk, "crv"))) {
                        throw badKey("OKP account keys must be Ed25519 (EdDSA), not " + member(jwk, "crv"));
                    }
                    byte[] x = coordinate(jwk, "x", 32);
                    // Decoding checks the point: an invalid one is refused here as badPublicKey, not at the first signature.
                    new Ed25519PublicKeyParameters(x);
                    yield new AccountKey("EdDSA", thumbprint("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + b64(x) + "\"}"), jwk.toString(),
                            new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), x), verifiers);
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
        String failed = "the JWS signature does not verify with the " + algorithm + " key";
        byte[] x509Signature = signature;
        if (algorithm.equals("ES256")) {
            // JWS carries r || s (RFC 7518 3.4); X.509 verifiers take the DER SEQUENCE of the two.
            if (signature.length != 64) {
                throw AcmeProblem.malformed(failed + ": an ES256 signature is 64 bytes, not " + signature.length);
            }
            try {
                x509Signature = StandardDSAEncoding.INSTANCE.encode(P256.getN(), new BigInteger(1, Arrays.copyOfRange(signature, 0, 32)),
                        new BigInteger(1, Arrays.copyOfRange(signature, 32, 64)));
            } catch (IOException | IllegalArgumentException e) {
                throw AcmeProblem.malformed(failed + ": " + e.getMessage());
            }
        }
        try {
            ContentVerifier check = verifier().get(SIGNATURE_ALGORITHMS.get(algorithm));
            try (OutputStream out = check.getOutputStream()) {
                out.write(signingInput);
            }
            if (!check.verify(x509Signature)) {
                throw AcmeProblem.malformed(failed);
            }
        } catch (OperatorCreationException | IOException | RuntimeException e) {
            if (e instanceof AcmeProblem problem) {
                throw problem;
            }
            throw AcmeProblem.malformed(failed + ": " + e.getMessage());
        }
    }

    private ContentVerifierProvider verifier() {
        ContentVerifierProvider made = verifier;
        if (made == null) {
            made = verifiers.apply(publicKey);
            verifier = made;
        }
        return made;
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
