package org.letterlock.enroll.cmp;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.SecureRandom;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.PBMParameter;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.iana.IANAObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PBMAC1Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.crmf.CRMFException;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.PKMACValuesCalculator;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.jcajce.util.MessageDigestUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.MacCalculator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.PBEMacCalculatorProvider;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorProviderBuilder;

/**
 * The MAC protections a request under a shared secret may use (RFC 9481 6.1): PasswordBasedMac (RFC 4210 5.1.3.1) and
 * PBMAC1 (RFC 9481 6.1.2, RFC 8018: PBKDF2 and an HMAC). The answer is protected the same way, with a fresh salt.
 * Iteration counts are bounded both ways: too few guard nothing, too many let one request cost the server seconds.
 * PBKDF2's work is the iteration count times the blocks of the derived key, so PBMAC1's keyLength is bounded as well,
 * and both are checked before any key is derived, that is before the request is authenticated.
 */
final class CmpMac {
    static final int MAX_ITERATIONS = 100_000;
    static final int MIN_ITERATIONS = 100;
    /** PBMAC1's derived key: at least 128 bits, at most one HMAC-SHA512 block (more adds PBKDF2 work and no strength). */
    static final int MIN_KEY_LENGTH = 16;
    static final int MAX_KEY_LENGTH = 64;
    /** RFC 9481 6.1.2: PBMAC1 with HMAC-SHA256/384/512, and PBKDF2 with one of them as PRF. */
    private static final Set<ASN1ObjectIdentifier> HMAC_SHA2 = Set.of(PKCSObjectIdentifiers.id_hmacWithSHA256, PKCSObjectIdentifiers.id_hmacWithSHA384,
            PKCSObjectIdentifiers.id_hmacWithSHA512);
    /**
     * PasswordBasedMac's one-way functions and MACs: RFC 9481 6.1.1's SHA-2 family, and SHA-1 with HMAC-SHA1, which
     * RFC 4210 names and clients still default to (Bouncy Castle's PKMACBuilder, openssl cmp's -mac). MD5 and the rest are refused.
     */
    private static final Set<ASN1ObjectIdentifier> PBM_OWFS = Set.of(OIWObjectIdentifiers.idSHA1, NISTObjectIdentifiers.id_sha224,
            NISTObjectIdentifiers.id_sha256, NISTObjectIdentifiers.id_sha384, NISTObjectIdentifiers.id_sha512);
    private static final Set<ASN1ObjectIdentifier> PBM_MACS = Set.of(IANAObjectIdentifiers.hmacSHA1, PKCSObjectIdentifiers.id_hmacWithSHA1,
            PKCSObjectIdentifiers.id_hmacWithSHA224, PKCSObjectIdentifiers.id_hmacWithSHA256, PKCSObjectIdentifiers.id_hmacWithSHA384,
            PKCSObjectIdentifiers.id_hmacWithSHA512);
    /** RFC 8018 4.1's 64 bits at least; at most what any client sends, so a salt cannot be made a cost. */
    static final int MIN_SALT = 8;
    static final int MAX_SALT = 64;
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    private CmpMac() {
    }

    /** Whether {@code algorithm} is a MAC protection (as opposed to a signature). */
    static boolean isMac(AlgorithmIdentifier algorithm) {
        return algorithm.getAlgorithm().equals(CMPObjectIdentifiers.passwordBasedMac) || algorithm.getAlgorithm().equals(PKCSObjectIdentifiers.id_PBMAC1);
    }

    /** What checks a request's MAC, once its parameters are readable and within bounds (else badAlg). */
    static PBEMacCalculatorProvider verifier(AlgorithmIdentifier algorithm) {
        if (algorithm.getAlgorithm().equals(CMPObjectIdentifiers.passwordBasedMac)) {
            requireIterations(passwordBasedMac(algorithm).getIterationCount().getValue(), "PasswordBasedMac");
            return new PKMACBuilder(new JdkDigestPkmacValues(), MAX_ITERATIONS);
        }
        PBMAC1Params parameters = pbmac1(algorithm);
        requireIterations(pbkdf2(parameters).getIterationCount(), "PBMAC1's PBKDF2");
        return new JcePBMac1CalculatorProviderBuilder().setProvider(BC).build();
    }

    /** The MAC of an answer to a request protected with {@code requestAlgorithm}: the same scheme and parameters, a fresh salt. */
    static MacCalculator forAnswer(AlgorithmIdentifier requestAlgorithm, char[] secret) throws OperatorCreationException {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        if (requestAlgorithm.getAlgorithm().equals(CMPObjectIdentifiers.passwordBasedMac)) {
            PBMParameter asked = passwordBasedMac(requestAlgorithm);
            PBMParameter fresh = new PBMParameter(salt, asked.getOwf(), asked.getIterationCount().intValueExact(), asked.getMac());
            return new PKMACBuilder(new JdkDigestPkmacValues(), MAX_ITERATIONS)
                    .get(new AlgorithmIdentifier(CMPObjectIdentifiers.passwordBasedMac, fresh), secret);
        }
        PBMAC1Params asked = pbmac1(requestAlgorithm);
        PBKDF2Params kdf = pbkdf2(asked);
        PBKDF2Params freshKdf = new PBKDF2Params(salt, kdf.getIterationCount().intValueExact(), kdf.getKeyLength().intValueExact(), kdf.getPrf());
        return new JcePBMac1CalculatorBuilder(new PBMAC1Params(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBKDF2, freshKdf), asked.getMessageAuthScheme()))
                .setProvider(BC).build(secret);
    }

    private static PBMParameter passwordBasedMac(AlgorithmIdentifier algorithm) {
        PBMParameter parameters;
        try {
            parameters = PBMParameter.getInstance(algorithm.getParameters());
        } catch (RuntimeException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the PasswordBasedMac parameters do not parse (RFC 4210 5.1.3.1)");
        }
        if (parameters == null) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PasswordBasedMac needs its parameters: salt, owf, iterationCount, mac (RFC 4210 5.1.3.1)");
        }
        int salt = parameters.getSalt().getOctets().length;
        if (salt < MIN_SALT || salt > MAX_SALT) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the PasswordBasedMac salt must be " + MIN_SALT + " to " + MAX_SALT + " bytes, not " + salt);
        }
        if (!PBM_OWFS.contains(parameters.getOwf().getAlgorithm())) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PasswordBasedMac with the one-way function " + parameters.getOwf().getAlgorithm()
                    + " is not offered; use SHA-256 (RFC 9481 6.1.1), SHA-384, SHA-512, SHA-224 or SHA-1");
        }
        if (!PBM_MACS.contains(parameters.getMac().getAlgorithm())) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PasswordBasedMac with the MAC " + parameters.getMac().getAlgorithm()
                    + " is not offered; use HMAC with SHA-256 (RFC 9481 6.1.1), SHA-384, SHA-512, SHA-224 or SHA-1");
        }
        return parameters;
    }

    private static PBMAC1Params pbmac1(AlgorithmIdentifier algorithm) {
        PBMAC1Params parameters;
        try {
            parameters = PBMAC1Params.getInstance(algorithm.getParameters());
        } catch (RuntimeException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the PBMAC1 parameters do not parse (RFC 8018 A.5)");
        }
        if (parameters == null) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1 needs its parameters: keyDerivationFunc and messageAuthScheme (RFC 8018 A.5)");
        }
        if (!HMAC_SHA2.contains(parameters.getMessageAuthScheme().getAlgorithm())) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1 with " + parameters.getMessageAuthScheme().getAlgorithm()
                    + " is not offered; use hmacWithSHA256, hmacWithSHA384 or hmacWithSHA512 (RFC 9481 6.1.2)");
        }
        return parameters;
    }

    private static PBKDF2Params pbkdf2(PBMAC1Params parameters) {
        if (!parameters.getKeyDerivationFunc().getAlgorithm().equals(PKCSObjectIdentifiers.id_PBKDF2)) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1's key derivation must be PBKDF2 (RFC 9481 6.1.2), not " + parameters.getKeyDerivationFunc().getAlgorithm());
        }
        PBKDF2Params kdf;
        try {
            kdf = PBKDF2Params.getInstance(parameters.getKeyDerivationFunc().getParameters());
        } catch (RuntimeException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the PBKDF2 parameters do not parse (RFC 8018 A.2)");
        }
        if (kdf == null) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBKDF2 needs its parameters: salt, iterationCount, keyLength, prf (RFC 8018 A.2)");
        }
        if (kdf.getKeyLength() == null) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1's PBKDF2 parameters must give the keyLength (RFC 9481 6.1.2)");
        }
        if (kdf.getKeyLength().compareTo(BigInteger.valueOf(MIN_KEY_LENGTH)) < 0 || kdf.getKeyLength().compareTo(BigInteger.valueOf(MAX_KEY_LENGTH)) > 0) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1's PBKDF2 keyLength must be " + MIN_KEY_LENGTH + " to " + MAX_KEY_LENGTH + " bytes, not "
                    + kdf.getKeyLength());
        }
        // An absent PRF means HMAC-SHA1 (RFC 8018 A.2), which RFC 9481 6.1.2 does not list.
        if (kdf.isDefaultPrf() || !HMAC_SHA2.contains(kdf.getPrf().getAlgorithm())) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "PBMAC1's PBKDF2 PRF must be hmacWithSHA256, hmacWithSHA384 or hmacWithSHA512 (RFC 9481 6.1.2), not "
                    + (kdf.isDefaultPrf() ? "the default hmacWithSHA1" : kdf.getPrf().getAlgorithm()));
        }
        return kdf;
    }

    /**
     * PasswordBasedMac's one-way function iterated through the JDK's own digest, the MAC over the message through Bouncy
     * Castle, which knows RFC 4210's HMAC identifiers. The iterations are nearly all the work: with the CPU's SHA
     * instructions the JDK's SHA-256 takes 73-79 µs for 1,000 of them here, Bouncy Castle's 320-344 µs.
     */
    static final class JdkDigestPkmacValues implements PKMACValuesCalculator {
        /** Named, so that no provider registered before it (Bouncy Castle, a PKCS#11 token) takes the iterations. */
        private static final String JDK_DIGESTS = "SUN";
        private final JcePKMACValuesCalculator bouncyCastle = new JcePKMACValuesCalculator().setProvider(BC);
        private MessageDigest jdkDigest;

        @Override
        public void setup(AlgorithmIdentifier digestAlgorithm, AlgorithmIdentifier macAlgorithm) throws CRMFException {
            bouncyCastle.setup(digestAlgorithm, macAlgorithm);
            try {
                jdkDigest = MessageDigest.getInstance(MessageDigestUtils.getDigestName(digestAlgorithm.getAlgorithm()), JDK_DIGESTS);
            } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
                // A digest only Bouncy Castle has: it iterates.
                jdkDigest = null;
            }
        }

        @Override
        public byte[] calculateDigest(byte[] data) {
            return jdkDigest == null ? bouncyCastle.calculateDigest(data) : jdkDigest.digest(data);
        }

        @Override
        public byte[] calculateMac(byte[] key, byte[] data) throws CRMFException {
            return bouncyCastle.calculateMac(key, data);
        }

        /** Which provider iterates the one-way function set up last: the JDK's or Bouncy Castle's. */
        String digestProvider() {
            return jdkDigest == null ? BC.getName() : jdkDigest.getProvider().getName();
        }
    }

    /** A BigInteger, since the count is the client's: one past an int must be refused, not overflow. */
    private static void requireIterations(BigInteger iterations, String scheme) {
        if (iterations.compareTo(BigInteger.valueOf(MIN_ITERATIONS)) < 0 || iterations.compareTo(BigInteger.valueOf(MAX_ITERATIONS)) > 0) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the " + scheme + " iteration count must be " + MIN_ITERATIONS + " to " + MAX_ITERATIONS + ", not " + iterations);
        }
    }
}
