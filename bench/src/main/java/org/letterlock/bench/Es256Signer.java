package org.letterlock.bench;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayDeque;
import java.util.Deque;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * ES256 (ECDSA P-256 over SHA-256, r || s) for one ACME account key, with the expensive half of each signature made
 * ahead: a random k and r = x(kG) mod n do not depend on what is signed, so they are made with the account key, when the
 * order is prepared outside the timed slices (as the key and the CSR are). What is left per request is s =
 * k^-1 (e + d r) mod n, a few microseconds. Each k is drawn from a CSPRNG and used once; past the prepared ones a
 * signature makes its own. The load generator shares two cores with the server: this keeps a client's ECDSA off the
 * server's share of them, as a client on its own machine would. One signer serves one order on one client thread.
 */
final class Es256Signer {
    private static final X9ECParameters P256 = ECNamedCurveTable.getByName("secp256r1");
    private static final BigInteger N = P256.getN();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** k^-1 mod n and r for one signature. */
    private record NoncePoint(BigInteger kInverse, BigInteger r) {
    }

    private final KeyPair key;
    private final BigInteger d;
    private final Deque<NoncePoint> ahead = new ArrayDeque<>();

    /** A signer for {@code key} (EC P-256) with {@code signatures} nonce points made now. */
    Es256Signer(KeyPair key, int signatures) {
        if (!(key.getPrivate() instanceof ECPrivateKey privateKey) || !(key.getPublic() instanceof ECPublicKey) || privateKey.getParams() == null
                || !privateKey.getParams().getOrder().equals(N)) {
            throw new IllegalArgumentException("ES256 takes an EC P-256 key, not this " + key.getPrivate().getAlgorithm() + " key");
        }
        this.key = key;
        this.d = privateKey.getS();
        for (int i = 0; i < signatures; i++) {
            ahead.add(noncePoint());
        }
    }

    ECPublicKey publicKey() {
        return (ECPublicKey) key.getPublic();
    }

    /** The JWS signature over {@code input}: r || s, 32 bytes each (RFC 7518 section 3.4). */
    byte[] sign(byte[] input) {
        BigInteger e = new BigInteger(1, AcmeClient.sha256(input));
        while (true) {
            NoncePoint point = ahead.isEmpty() ? noncePoint() : ahead.poll();
            BigInteger s = point.kInverse().multiply(e.add(d.multiply(point.r()))).mod(N);
            if (s.signum() != 0) {
                byte[] signature = new byte[64];
                BigIntegers.asUnsignedByteArray(point.r(), signature, 0, 32);
                BigIntegers.asUnsignedByteArray(s, signature, 32, 32);
                return signature;
            }
        }
    }

    private static NoncePoint noncePoint() {
        while (true) {
            BigInteger k = BigIntegers.createRandomInRange(BigInteger.ONE, N.subtract(BigInteger.ONE), RANDOM);
            ECPoint kG = new FixedPointCombMultiplier().multiply(P256.getG(), k).normalize();
            BigInteger r = kG.getAffineXCoord().toBigInteger().mod(N);
            if (r.signum() != 0) {
                return new NoncePoint(BigIntegers.modOddInverse(N, k), r);
            }
        }
    }
}
