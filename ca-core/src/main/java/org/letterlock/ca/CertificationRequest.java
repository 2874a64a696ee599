package org.letterlock.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.SignatureVerifiers;

/**
 * A PKCS#10 request that passed every check: it parses, its signature verifies with its own key (proof of
 * possession), and the key is one Letterlock certifies (RSA 2048-8192, EC P-256/P-384/P-521, Ed25519).
 */
public record CertificationRequest(SubjectPublicKeyInfo publicKey, X500Name subject, List<String> mailboxes, List<String> hosts) {
    public static final int MAX_BYTES = 64 * 1024;
    private static final Set<ASN1ObjectIdentifier> CURVES = Set.of(SECObjectIdentifiers.secp256r1, SECObjectIdentifiers.secp384r1, SECObjectIdentifiers.secp521r1);

    /**
     * Requests that passed lately, by the SHA-256 of their bytes: an enrollment protocol reads a request before it spends
     * the client's secret and the CA reads it again to issue, and the signature check (about a quarter of an issuance's
     * CPU in the profile in docs/benchmarks.md) is then done once. Only passes are kept; the same bytes always pass.
     */
    private static final Map<String, CertificationRequest> PASSED = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CertificationRequest> eldest) {
            return size() > 1024;
        }
    });

    /** Reads DER or PEM; every failure is a 400 that says what is wrong with the request. Signatures are checked in Java. */
    public static CertificationRequest read(byte[] encoded) {
        return read(encoded, SignatureVerifiers::software);
    }

    /** As {@link #read(byte[])}, the request's signature checked by {@code verifiers} (a vault's, say). */
    public static CertificationRequest read(byte[] encoded, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        if (encoded == null || encoded.length == 0) {
            throw bad("the request is empty");
        }
        if (encoded.length > MAX_BYTES) {
            throw bad("the request has " + encoded.length + " bytes; at most " + MAX_BYTES + " are accepted");
        }
        String digest = digest(encoded);
        CertificationRequest passed = PASSED.get(digest);
        if (passed != null) {
            return passed;
        }
        CertificationRequest checked = check(parse(encoded), verifiers);
        PASSED.put(digest, checked);
        return checked;
    }

    private static String digest(byte[] encoded) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(encoded));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CertificationRequest check(PKCS10CertificationRequest csr, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        checkKey(csr.getSubjectPublicKeyInfo());
        checkSignature(csr, verifiers);
        List<String> mailboxes = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            Extensions extensions;
            try {
                extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
            } catch (RuntimeException e) {
                throw bad("the extensionRequest attribute is malformed");
            }
            GeneralNames names;
            try {
                names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
            } catch (RuntimeException e) {
                throw bad("the requested subjectAltName is malformed");
            }
            if (names != null) {
                for (GeneralName name : names.getNames()) {
                    String value = name.getName().toString().toLowerCase(Locale.ROOT);
                    if (name.getTagNo() == GeneralName.rfc822Name) {
                        mailboxes.add(value);
                    } else if (name.getTagNo() == GeneralName.dNSName) {
                        hosts.add(value);
                    } else {
                        throw bad("subjectAltName entries must be mailbox addresses or host names");
                    }
                }
            }
        }
        return new CertificationRequest(csr.getSubjectPublicKeyInfo(), csr.getSubject(), List.copyOf(mailboxes), List.copyOf(hosts));
    }

    private static PKCS10CertificationRequest parse(byte[] encoded) {
        String text = new String(encoded, StandardCharsets.US_ASCII);
        try {
            if (text.contains("-----BEGIN")) {
                try (PEMParser parser = new PEMParser(new StringReader(text))) {
                    Object object = parser.readObject();
                    if (object instanceof PKCS10CertificationRequest csr) {
                        return csr;
                    }
                    throw bad("the PEM block is not a CERTIFICATE REQUEST");
                }
            }
            return new PKCS10CertificationRequest(encoded);
        } catch (IOException | RuntimeException e) {
            if (e instanceof LetterlockException le) {
                throw le;
            }
            throw bad("not a PKCS#10 certificate request: the DER structure does not parse");
        }
    }

    /** Refuses (BAD_REQUEST) a key Letterlock does not certify: the rules of {@link #read} for a key that came without a CSR. */
    public static void checkKey(SubjectPublicKeyInfo key) {
        KeyFamily family = KeyFamily.of(key);
        if (family == null) {
            throw bad("key algorithm " + key.getAlgorithm().getAlgorithm() + " is not certified; use RSA, EC P-256/P-384/P-521 or Ed25519");
        }
        try {
            if (family == KeyFamily.RSA) {
                RSAKeyParameters rsa;
                try {
                    rsa = (RSAKeyParameters) PublicKeyFactory.createKey(key);
                } catch (IllegalArgumentException e) {
                    // Bouncy Castle's own checks: an even modulus or exponent, a small factor, a prime modulus, over 16,384 bits.
                    throw bad("the RSA public key is refused: " + e.getMessage());
                }
                int bits = rsa.getModulus().bitLength();
                if (bits < 2048 || bits > 8192 || bits % 8 != 0) {
                    throw bad("RSA keys must have 2048 to 8192 bits, a multiple of 8; this one has " + bits);
                }
                checkRsaNumbers(rsa);
            } else if (family == KeyFamily.EC) {
                if (!(key.getAlgorithm().getParameters() instanceof ASN1ObjectIdentifier curve)) {
                    throw bad("EC keys must name their curve (explicit curve parameters are refused)");
                }
                if (!CURVES.contains(curve)) {
                    String name = ECNamedCurveTable.getName(curve);
                    throw bad("EC curve " + (name == null ? curve : name) + " is not accepted; use P-256, P-384 or P-521");
                }
            }
        } catch (IOException | ClassCastException e) {
            throw bad("the public key in the request is malformed");
        }
    }

    /** S/MIME Baseline Requirements 6.1.6: exponent odd in [2^16+1, 2^256-1], modulus odd without factors below 752. */
    private static void checkRsaNumbers(RSAKeyParameters rsa) {
        BigInteger exponent = rsa.getExponent();
        if (!exponent.testBit(0) || exponent.compareTo(BigInteger.valueOf(65537)) < 0 || exponent.bitLength() > 256) {
            throw bad("the RSA public exponent must be odd and from 65537 to 2^256-1, this one is " + exponent);
        }
        for (int prime : SMALL_PRIMES) {
            if (rsa.getModulus().mod(BigInteger.valueOf(prime)).signum() == 0) {
                throw bad("the RSA modulus has the small factor " + prime + ": the key is broken");
            }
        }
    }

    private static final int[] SMALL_PRIMES = java.util.stream.IntStream.range(2, 752)
            .filter(n -> java.util.stream.IntStream.rangeClosed(2, (int) Math.sqrt(n)).noneMatch(d -> n % d == 0)).toArray();

    private static void checkSignature(PKCS10CertificationRequest csr, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        try {
            ContentVerifierProvider verifier = verifiers.apply(csr.getSubjectPublicKeyInfo());
            if (!csr.isSignatureValid(verifier)) {
                throw bad("the request's signature does not verify with its key: proof of possession failed");
            }
        } catch (PKCSException | RuntimeException e) {
            if (e instanceof LetterlockException le) {
                throw le;
            }
            throw bad("the request's signature cannot be checked: its algorithm or encoding is not one Letterlock verifies");
        }
    }

    private static LetterlockException bad(String detail) {
        return new LetterlockException(ErrorType.BAD_REQUEST, detail);
    }
}
