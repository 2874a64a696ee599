package org.letterlock.keyserver;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.PacketFormat;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPUserAttributeSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;

/**
 * Reading, cleaning and viewing OpenPGP keys (RFC 9580 and RFC 4880, v4 and v6). Cleaning keeps only what the key's
 * owner signed, checked cryptographically: user IDs with a valid self-certification, subkeys with a valid binding,
 * the owner's direct-key signatures and revocations. Everything else (third-party certifications, forged or broken
 * signatures, components over the limits) is dropped before anything is stored.
 */
public final class OpenPgpKeys {
    private static final BcKeyFingerprintCalculator FINGERPRINTS = new BcKeyFingerprintCalculator();
    private static final BcPGPContentVerifierBuilderProvider VERIFIERS = new BcPGPContentVerifierBuilderProvider();
    private static final Pattern ANGLE_ADDRESS = Pattern.compile("<([^<>\\s]+@[^<>\\s]+)>");

    private OpenPgpKeys() {
    }

    /** Every transferable public key in {@code data} (ASCII armor or binary), within the size limit. */
    public static List<PGPPublicKeyRing> read(byte[] data, KeyLimits limits) {
        if (data.length > limits.maxBytes()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the key data is " + data.length + " bytes; at most " + limits.maxBytes() + " are accepted per upload");
        }
        if (data.length == 0) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "no key data");
        }
        List<PGPPublicKeyRing> keys = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(data))) {
            PGPObjectFactory objects = new PGPObjectFactory(in, FINGERPRINTS);
            Object next;
            while ((next = objects.nextObject()) != null) {
                if (next instanceof PGPPublicKeyRing ring) {
                    keys.add(ring);
                } else {
                    throw new LetterlockException(ErrorType.BAD_REQUEST, "expected OpenPGP public keys, found " + describe(next)
                            + (next.getClass().getSimpleName().contains("Secret") ? ": never upload a secret key" : ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof LetterlockException le) {
                throw le;
            }
            throw new LetterlockException(ErrorType.BAD_REQUEST, "not a readable OpenPGP key: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (keys.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "no OpenPGP public key found in the data");
        }
        return keys;
    }

    private static String describe(Object object) {
        return object.getClass().getSimpleName().replace("PGP", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }

    /** Signature verifications one key may cost, whatever its size: the rest are dropped unverified. */
    static final int MAX_VERIFICATIONS = 200;

    /** Keeps what the owner signed, within the limits. A key whose primary is revoked keeps its revocation and is still served. */
    public static CleanedKey clean(PGPPublicKeyRing ring, KeyLimits limits) {
        PGPPublicKey primary = ring.getPublicKey();
        if (!sensible(primary)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the primary key " + fingerprint(primary) + " has parameters no implementation uses "
                    + "(RSA modulus over 8192 bits or exponent over 32 bits; DSA p over 3072 bits or q not of 160, 224 or 256 bits; ElGamal p over "
                    + "8192 bits); such keys only make signature checks slow");
        }
        Counts counts = new Counts();
        PGPPublicKey cleanPrimary = cleanPrimary(primary, limits, counts);
        List<PGPPublicKey> keys = new ArrayList<>();
        keys.add(cleanPrimary);
        Iterator<PGPPublicKey> all = ring.getPublicKeys();
        all.next();
        while (all.hasNext()) {
            PGPPublicKey subkey = all.next();
            Optional<PGPPublicKey> bound = sensible(subkey) ? cleanSubkey(primary, subkey, limits, counts) : Optional.empty();
            if (bound.isPresent() && keys.size() - 1 < limits.maxSubkeys()) {
                keys.add(bound.get());
            } else {
                counts.droppedSubkeys++;
            }
        }
        if (counts.verifications > MAX_VERIFICATIONS) {
            // Stored stripped of what was not checked, the key would lose components its owner made (an encryption subkey, say).
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the key " + fingerprint(primary) + " needs more than " + MAX_VERIFICATIONS
                    + " signature checks; remove superseded self-signatures (gpg --export-options export-minimal) and upload it again");
        }
        List<String> userIds = new ArrayList<>();
        cleanPrimary.getUserIDs().forEachRemaining(userIds::add);
        return new CleanedKey(new PGPPublicKeyRing(keys), userIds, counts.thirdParty, counts.invalid, counts.droppedUserIds, counts.droppedSubkeys,
                counts.droppedUserAttributes);
    }

    private static boolean utf8(byte[] text) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(text));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /**
     * Keys whose parameters make each verification cost seconds, which nobody makes honestly: RSA with a huge modulus or
     * exponent; DSA beyond FIPS 186's sizes (Bouncy Castle checks y^q mod p before each verification, with q up to
     * 65535 bits); ElGamal beyond any real size.
     */
    private static boolean sensible(PGPPublicKey key) {
        org.bouncycastle.bcpg.BCPGKey material = key.getPublicKeyPacket().getKey();
        if (material instanceof org.bouncycastle.bcpg.RSAPublicBCPGKey rsa) {
            return rsa.getModulus().bitLength() <= 8192 && rsa.getPublicExponent().bitLength() <= 32;
        }
        if (material instanceof org.bouncycastle.bcpg.DSAPublicBCPGKey dsa) {
            int q = dsa.getQ().bitLength();
            return dsa.getP().bitLength() <= 3072 && (q == 160 || q == 224 || q == 256);
        }
        if (material instanceof org.bouncycastle.bcpg.ElGamalPublicBCPGKey elGamal) {
            return elGamal.getP().bitLength() <= 8192;
        }
        return true;
    }

    private static final class Counts {
        int verifications;
        int thirdParty;
        int invalid;
        int droppedUserIds;
        int droppedSubkeys;
        int droppedUserAttributes;
    }

    private static PGPPublicKey cleanPrimary(PGPPublicKey primary, KeyLimits limits, Counts counts) {
        PGPPublicKey clean = primary;
        // Direct-key signatures and revocations of the primary: only the owner's, verified.
        for (PGPSignature signature : list(primary.getKeySignatures())) {
            clean = PGPPublicKey.removeCertification(clean, signature);
        }
        for (PGPSignature signature : ownSignatures(list(primary.getKeySignatures()), primary, limits, counts)) {
            if (verifies(signature, primary, counts, s -> s.verifyCertification(primary))) {
                clean = PGPPublicKey.addCertification(clean, signature);
            } else {
                counts.invalid++;
            }
        }
        int kept = 0;
        for (byte[] rawId : list(primary.getRawUserIDs())) {
            List<PGPSignature> signatures = list(primary.getSignaturesForID(rawId));
            clean = PGPPublicKey.removeCertification(clean, rawId);
            if (!utf8(rawId)) {
                // RFC 9580 5.11: a user ID is UTF-8. One that is not is dropped; the rest of the key stands.
                counts.droppedUserIds++;
                continue;
            }
            List<PGPSignature> valid = new ArrayList<>();
            boolean certified = false;
            for (PGPSignature signature : ownSignatures(signatures, primary, limits, counts)) {
                boolean revocation = signature.getSignatureType() == PGPSignature.CERTIFICATION_REVOCATION;
                if (certified && !revocation) {
                    // Newest first: an older self-certification is superseded by the valid one kept, and costs no check.
                    continue;
                }
                if (verifies(signature, primary, counts, s -> s.verifyCertification(rawId, primary))) {
                    valid.add(signature);
                    certified |= !revocation;
                } else {
                    counts.invalid++;
                }
            }
            if (!certified || kept >= limits.maxUserIds()) {
                counts.droppedUserIds++;
                continue;
            }
            kept++;
            for (PGPSignature signature : valid) {
                clean = PGPPublicKey.addCertification(clean, rawId, signature);
            }
        }
        int attributes = 0;
        for (PGPUserAttributeSubpacketVector attribute : list(primary.getUserAttributes())) {
            List<PGPSignature> signatures = list(primary.getSignaturesForUserAttribute(attribute));
            clean = PGPPublicKey.removeCertification(clean, attribute);
            if (attributes >= limits.maxUserAttributes()) {
                counts.droppedUserAttributes++;
                counts.thirdParty += (int) signatures.stream().filter(s -> s.getKeyID() != primary.getKeyID()).count();
                continue;
            }
            List<PGPSignature> valid = new ArrayList<>();
            for (PGPSignature signature : ownSignatures(signatures, primary, limits, counts)) {
                if (verifies(signature, primary, counts, s -> s.verifyCertification(attribute, primary))) {
                    valid.add(signature);
                } else {
                    counts.invalid++;
                }
            }
            if (valid.isEmpty()) {
                counts.droppedUserAttributes++;
                continue;
            }
            attributes++;
            for (PGPSignature signature : valid) {
                clean = PGPPublicKey.addCertification(clean, attribute, signature);
            }
        }
        return clean;
    }

    private static Optional<PGPPublicKey> cleanSubkey(PGPPublicKey primary, PGPPublicKey subkey, KeyLimits limits, Counts counts) {
        PGPPublicKey clean = subkey;
        List<PGPSignature> signatures = list(subkey.getSignatures());
        for (PGPSignature signature : signatures) {
            clean = PGPPublicKey.removeCertification(clean, signature);
        }
        boolean bound = false;
        for (PGPSignature signature : ownSignatures(signatures, primary, limits, counts)) {
            int type = signature.getSignatureType();
            if (bound && type == PGPSignature.SUBKEY_BINDING) {
                // Superseded by the newer binding kept.
                continue;
            }
            boolean valid = (type == PGPSignature.SUBKEY_BINDING || type == PGPSignature.SUBKEY_REVOCATION)
                    && verifies(signature, primary, counts, s -> s.verifyCertification(primary, subkey))
                    && (type != PGPSignature.SUBKEY_BINDING || !signs(signature) || backSigned(signature, primary, subkey, counts));
            if (valid) {
                clean = PGPPublicKey.addCertification(clean, signature);
                bound |= type == PGPSignature.SUBKEY_BINDING;
            } else {
                counts.invalid++;
            }
        }
        return bound ? Optional.of(clean) : Optional.empty();
    }

    private static boolean signs(PGPSignature binding) {
        return binding.hasSubpackets() && (binding.getHashedSubPackets().getKeyFlags() & (0x01 | 0x02)) != 0;
    }

    /**
     * A signing subkey must sign its own binding back (RFC 9580 5.2.1, primary key binding signature); without it,
     * anyone could attach someone else's signing subkey to their key.
     */
    private static boolean backSigned(PGPSignature binding, PGPPublicKey primary, PGPPublicKey subkey, Counts counts) {
        try {
            for (PGPSignature embedded : binding.getHashedSubPackets().getEmbeddedSignatures()) {
                if (embedded.getSignatureType() == PGPSignature.PRIMARYKEY_BINDING && verifies(embedded, subkey, counts, s -> s.verifyCertification(primary, subkey))) {
                    return true;
                }
            }
            if (binding.getUnhashedSubPackets() != null) {
                for (PGPSignature embedded : binding.getUnhashedSubPackets().getEmbeddedSignatures()) {
                    if (embedded.getSignatureType() == PGPSignature.PRIMARYKEY_BINDING && verifies(embedded, subkey, counts, s -> s.verifyCertification(primary, subkey))) {
                        return true;
                    }
                }
            }
        } catch (PGPException | RuntimeException e) {
            return false;
        }
        return false;
    }

    /**
     * The signatures that claim to be the primary key's own, newest first, at most the cap; third-party ones are
     * counted and dropped without spending a verification on them.
     */
    private static List<PGPSignature> ownSignatures(List<PGPSignature> signatures, PGPPublicKey primary, KeyLimits limits, Counts counts) {
        List<PGPSignature> own = new ArrayList<>();
        for (PGPSignature signature : signatures) {
            if (issuedBy(signature, primary)) {
                own.add(signature);
            } else {
                counts.thirdParty++;
            }
        }
        own.sort(Comparator.comparing(PGPSignature::getCreationTime).reversed());
        if (own.size() > limits.maxSelfSignatures()) {
            counts.invalid += own.size() - limits.maxSelfSignatures();
            return own.subList(0, limits.maxSelfSignatures());
        }
        return own;
    }

    private static boolean issuedBy(PGPSignature signature, PGPPublicKey primary) {
        if (signature.getKeyID() == primary.getKeyID()) {
            return true;
        }
        return signature.getKeyIdentifiers().stream().anyMatch(id -> id.matches(primary.getKeyIdentifier()));
    }

    @FunctionalInterface
    private interface Check {
        boolean verify(PGPSignature signature) throws PGPException;
    }

    private static boolean verifies(PGPSignature signature, PGPPublicKey signer, Counts counts, Check check) {
        if (++counts.verifications > MAX_VERIFICATIONS) {
            return false;
        }
        try {
            signature.init(VERIFIERS, signer);
            return check.verify(signature);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static <T> List<T> list(Iterator<T> iterator) {
        List<T> items = new ArrayList<>();
        iterator.forEachRemaining(items::add);
        return items;
    }

    /** The key with only the user IDs {@code published} accepts (their self-signatures kept); everything else as it is. */
    public static PGPPublicKeyRing view(PGPPublicKeyRing cleaned, Predicate<String> published) {
        PGPPublicKey primary = cleaned.getPublicKey();
        PGPPublicKey view = primary;
        for (byte[] rawId : list(primary.getRawUserIDs())) {
            if (!published.test(new String(rawId, StandardCharsets.UTF_8))) {
                view = PGPPublicKey.removeCertification(view, rawId);
            }
        }
        return PGPPublicKeyRing.insertPublicKey(cleaned, view);
    }

    /** The mail address a user ID names, normalised: {@code Name <addr>} or a bare address; empty when it names none. */
    public static Optional<String> address(String userId) {
        Matcher angle = ANGLE_ADDRESS.matcher(userId);
        String candidate = angle.find() ? angle.group(1) : userId.trim();
        if (!candidate.contains("@")) {
            return Optional.empty();
        }
        try {
            return Optional.of(MailAddress.normalise(candidate));
        } catch (LetterlockException e) {
            return Optional.empty();
        }
    }

    public static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    /** The 64-bit key ID as 16 upper-case hex digits (for v6 keys, the first 8 bytes of the fingerprint). */
    public static String keyId(PGPPublicKey key) {
        return String.format(Locale.ROOT, "%016X", key.getKeyID());
    }

    public static byte[] binary(PGPPublicKeyRing key) {
        try {
            return key.getEncoded(PacketFormat.CURRENT);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a key held in memory", e);
        }
    }

    public static String armored(List<byte[]> binaryKeys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream armor = ArmoredOutputStream.builder().clearHeaders().build(out)) {
            for (byte[] key : binaryKeys) {
                armor.write(key);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot armor a key held in memory", e);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
