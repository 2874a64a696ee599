package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** Keys made and certified by gpg, cleaned here, and taken back by gpg. */
class OpenPgpKeysTest {
    @TempDir
    static Path dir;
    static Gpg alice;
    static String aliceFingerprint;
    /** Alice's key as exported by Bob after he certified her first user ID. */
    static byte[] certifiedByBob;

    @BeforeAll
    static void keys() throws Exception {
        alice = new Gpg(dir.resolve("alice"));
        aliceFingerprint = alice.generate("Alice <alice@example.org>");
        alice.ok("--quick-add-uid", aliceFingerprint, "Alice at work <Alice.Work@Example.ORG>");
        Gpg bob = new Gpg(dir.resolve("bob"));
        bob.generate("Bob <bob@example.org>");
        java.nio.file.Files.write(dir.resolve("alice.pgp"), alice.export(aliceFingerprint));
        bob.ok("--import", dir.resolve("alice.pgp").toString());
        bob.ok("--quick-sign-key", aliceFingerprint, "Alice <alice@example.org>");
        certifiedByBob = bob.export(aliceFingerprint);
        bob.stop();
    }

    @AfterAll
    static void stop() throws Exception {
        alice.stop();
    }

    @Test
    void cleaningKeepsTheOwnersSignaturesAndDropsThirdPartyCertifications() throws Exception {
        List<PGPPublicKeyRing> read = OpenPgpKeys.read(certifiedByBob, KeyLimits.DEFAULT);
        assertThat(read).hasSize(1);
        CleanedKey cleaned = OpenPgpKeys.clean(read.get(0), KeyLimits.DEFAULT);
        assertThat(OpenPgpKeys.fingerprint(cleaned.key().getPublicKey())).isEqualTo(aliceFingerprint);
        assertThat(cleaned.userIds()).containsExactlyInAnyOrder("Alice <alice@example.org>", "Alice at work <Alice.Work@Example.ORG>");
        assertThat(cleaned.thirdPartyCertifications()).isEqualTo(1);
        assertThat(cleaned.invalidSignatures()).isZero();
        assertThat(cleaned.key().size()).isEqualTo(2);
        Iterable<PGPSignature> signatures = () -> cleaned.key().getPublicKey().getSignatures();
        assertThat(signatures).allMatch(s -> s.getKeyID() == cleaned.key().getPublicKey().getKeyID());

        // gpg takes the cleaned key back whole: both user IDs and the subkey, no certification by Bob.
        Gpg fresh = new Gpg(dir.resolve("fresh-" + System.nanoTime()));
        java.nio.file.Files.write(dir.resolve("cleaned.pgp"), OpenPgpKeys.binary(cleaned.key()));
        assertThat(fresh.ok("--import", dir.resolve("cleaned.pgp").toString()).output()).contains("imported: 1");
        String listing = fresh.ok("--with-colons", "--check-signatures", aliceFingerprint).output();
        assertThat(listing.lines().filter(l -> l.startsWith("uid:"))).hasSize(2);
        assertThat(listing.lines().filter(l -> l.startsWith("sub:"))).hasSize(1);
        assertThat(listing).doesNotContain("Bob <bob@example.org>");
        fresh.stop();
    }

    @Test
    void aViewKeepsOnlyThePublishedUserIdsAndGpgStillImportsIt() throws Exception {
        CleanedKey cleaned = OpenPgpKeys.clean(OpenPgpKeys.read(alice.export(aliceFingerprint), KeyLimits.DEFAULT).get(0), KeyLimits.DEFAULT);
        PGPPublicKeyRing view = OpenPgpKeys.view(cleaned.key(), id -> OpenPgpKeys.address(id).equals(Optional.of("alice@example.org")));
        List<String> ids = new java.util.ArrayList<>();
        view.getPublicKey().getUserIDs().forEachRemaining(ids::add);
        assertThat(ids).containsExactly("Alice <alice@example.org>");
        Gpg fresh = new Gpg(dir.resolve("view-" + System.nanoTime()));
        java.nio.file.Files.write(dir.resolve("view.pgp"), OpenPgpKeys.binary(view));
        assertThat(fresh.ok("--import", dir.resolve("view.pgp").toString()).output()).contains("imported: 1");
        fresh.stop();
    }

    @Test
    void armoredAndBinaryReadTheSame() throws Exception {
        byte[] binary = alice.export(aliceFingerprint);
        byte[] armored = alice.ok("--armor", "--export", aliceFingerprint).stdout();
        assertThat(OpenPgpKeys.binary(OpenPgpKeys.read(armored, KeyLimits.DEFAULT).get(0)))
                .isEqualTo(OpenPgpKeys.binary(OpenPgpKeys.read(binary, KeyLimits.DEFAULT).get(0)));
        String rearmored = OpenPgpKeys.armored(List.of(OpenPgpKeys.binary(OpenPgpKeys.read(binary, KeyLimits.DEFAULT).get(0))));
        assertThat(rearmored).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        assertThat(OpenPgpKeys.read(rearmored.getBytes(StandardCharsets.US_ASCII), KeyLimits.DEFAULT)).hasSize(1);
    }

    /**
     * The SKS flood: Bob's certification repeated 100,000 times in one key. Refused by size under the default limits;
     * with the size limit lifted, cleaned down to the owner's signatures. (How fast: the bench, not this test.)
     */
    @Test
    void aKeyFloodedWithCertificationsIsRefusedBySizeOrCleanedToTheOwnersSignatures() throws Exception {
        PGPPublicKeyRing ring = OpenPgpKeys.read(certifiedByBob, KeyLimits.DEFAULT).get(0);
        PGPSignature bobs = Stream.of(ring.getPublicKey().getSignaturesForID("Alice <alice@example.org>"))
                .flatMap(it -> { List<PGPSignature> l = new java.util.ArrayList<>(); it.forEachRemaining(l::add); return l.stream(); })
                .filter(s -> s.getKeyID() != ring.getPublicKey().getKeyID()).findFirst().orElseThrow();
        byte[] encoded = certifiedByBob;
        byte[] signature = bobs.getEncoded();
        int at = indexOf(encoded, signature);
        assertThat(at).isPositive();
        ByteArrayOutputStream flooded = new ByteArrayOutputStream();
        flooded.write(encoded, 0, at);
        for (int i = 0; i < 100_000; i++) {
            flooded.write(signature);
        }
        flooded.write(encoded, at, encoded.length - at);
        byte[] flood = flooded.toByteArray();

        assertThatThrownBy(() -> OpenPgpKeys.read(flood, KeyLimits.DEFAULT)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.getMessage()).contains("at most 1048576"));

        KeyLimits generous = new KeyLimits(64 * 1024 * 1024, 100, 50, 0, 16);
        CleanedKey cleaned = OpenPgpKeys.clean(OpenPgpKeys.read(flood, generous).get(0), generous);
        assertThat(cleaned.thirdPartyCertifications()).isEqualTo(100_001);
        assertThat(cleaned.userIds()).hasSize(2);
        assertThat(OpenPgpKeys.binary(cleaned.key()).length).isLessThan(2_000);
    }

    private static int indexOf(byte[] data, byte[] part) {
        for (int i = 0; i + part.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    static Stream<Arguments> badKeys() {
        return Stream.of(
                Arguments.of("rejects/empty", new byte[0], "no key data"),
                Arguments.of("rejects/text", "hello world".getBytes(StandardCharsets.US_ASCII), "no OpenPGP public key found"),
                Arguments.of("rejects/truncated-packet", new byte[] {(byte) 0x99, 0x01, 0x0d, 0x04}, "not a readable OpenPGP key"),
                Arguments.of("rejects/armor-without-body", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n".getBytes(StandardCharsets.US_ASCII), ""),
                Arguments.of("rejects/oversized", new byte[2 * 1024 * 1024], "at most"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKeys")
    void badKeyDataIsABadRequest(String name, byte[] data, String message) {
        assertThatThrownBy(() -> OpenPgpKeys.read(data, KeyLimits.DEFAULT)).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains(message);
        });
    }

    /**
     * A genuine key re-signed often (each expiry change gives every user ID a new self-signature; gpg keeps only the
     * newest, other tools keep them all): superseded self-signatures cost no check, so its encryption subkey is kept.
     */
    @Test
    void aKeyReSignedManyTimesKeepsItsEncryptionSubkey() throws Exception {
        Gpg often = new Gpg(dir.resolve("often"));
        try {
            String fingerprint = often.generate("Often <often@example.org>");
            for (int i = 1; i < 25; i++) {
                often.ok("--quick-add-uid", fingerprint, "Often " + i + " <often" + i + "@example.org>");
            }
            org.bouncycastle.openpgp.PGPSecretKeyRing secret = new org.bouncycastle.openpgp.PGPSecretKeyRing(
                    often.ok("--export-secret-keys", fingerprint).stdout(), new org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator());
            org.bouncycastle.openpgp.PGPPrivateKey signingKey = secret.getSecretKey().extractPrivateKey(null);
            PGPPublicKeyRing ring = OpenPgpKeys.read(often.export(fingerprint), KeyLimits.DEFAULT).get(0);
            org.bouncycastle.openpgp.PGPPublicKey primary = ring.getPublicKey();
            for (byte[] rawId : OpenPgpKeysTest.<byte[]>list(primary.getRawUserIDs())) {
                String userId = new String(rawId, StandardCharsets.UTF_8);
                for (int age = 1; age <= 8; age++) {
                    org.bouncycastle.openpgp.PGPSignatureGenerator generator = selfCertifier(primary, signingKey,
                            new java.util.Date(primary.getCreationTime().getTime() - age * 1000L + 500_000L));
                    primary = org.bouncycastle.openpgp.PGPPublicKey.addCertification(primary, userId, generator.generateCertification(userId, primary));
                }
            }
            ring = PGPPublicKeyRing.insertPublicKey(ring, primary);
            assertThat(OpenPgpKeysTest.<PGPSignature>list(ring.getPublicKey().getSignatures())).as("more self-signatures than the checks one key may cost")
                    .hasSizeGreaterThan(OpenPgpKeys.MAX_VERIFICATIONS);
            CleanedKey cleaned = OpenPgpKeys.clean(ring, KeyLimits.DEFAULT);
            assertThat(cleaned.userIds()).hasSize(25);
            assertThat(cleaned.droppedSubkeys()).isZero();
            assertThat(OpenPgpKeysTest.<org.bouncycastle.openpgp.PGPPublicKey>list(cleaned.key().getPublicKeys())).as("primary and encryption subkey").hasSize(2);
        } finally {
            often.stop();
        }
    }

    /** A generator of positive self-certifications by {@code primary}'s own key, made at {@code created}. */
    private static org.bouncycastle.openpgp.PGPSignatureGenerator selfCertifier(org.bouncycastle.openpgp.PGPPublicKey primary,
                                                                                  org.bouncycastle.openpgp.PGPPrivateKey signingKey, java.util.Date created) throws Exception {
        org.bouncycastle.openpgp.PGPSignatureGenerator generator = new org.bouncycastle.openpgp.PGPSignatureGenerator(
                new org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder(primary.getAlgorithm(), org.bouncycastle.bcpg.HashAlgorithmTags.SHA256), primary);
        generator.init(PGPSignature.POSITIVE_CERTIFICATION, signingKey);
        org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator hashed = new org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator();
        hashed.setSignatureCreationTime(true, created);
        hashed.setIssuerFingerprint(false, primary);
        generator.setHashedSubpackets(hashed.generate());
        return generator;
    }

    /**
     * A user ID that is not UTF-8 but carries a valid self-signature (Bouncy Castle's getUserIDs() throws on it): that
     * user ID is dropped, and the key with its other user IDs is kept.
     */
    @Test
    void aUserIdThatIsNotUtf8IsDroppedAndTheKeyKept() throws Exception {
        org.bouncycastle.openpgp.PGPSecretKeyRing secret = new org.bouncycastle.openpgp.PGPSecretKeyRing(
                alice.ok("--export-secret-keys", aliceFingerprint).stdout(), new org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator());
        PGPPublicKeyRing ring = OpenPgpKeys.read(alice.export(aliceFingerprint), KeyLimits.DEFAULT).get(0);
        org.bouncycastle.openpgp.PGPPublicKey primary = ring.getPublicKey();
        byte[] notUtf8 = {'b', 'a', 'd', ' ', (byte) 0xC3, 0x28, ' ', '<', 'b', '@', 'e', 'x', '.', 'o', 'r', 'g', '>'};
        org.bouncycastle.openpgp.PGPSignatureGenerator generator = selfCertifier(primary, secret.getSecretKey().extractPrivateKey(null), new java.util.Date());
        // What generateCertification(String) hashes (RFC 9580 5.2.4), over the raw bytes instead of a Java string.
        byte[] keyBody = primary.getPublicKeyPacket().getEncodedContents();
        generator.update(new byte[] {(byte) 0x99, (byte) (keyBody.length >> 8), (byte) keyBody.length});
        generator.update(keyBody);
        generator.update(new byte[] {(byte) 0xB4, 0, 0, 0, (byte) notUtf8.length});
        generator.update(notUtf8);
        primary = org.bouncycastle.openpgp.PGPPublicKey.addCertification(primary, notUtf8, generator.generate());
        ring = PGPPublicKeyRing.insertPublicKey(ring, primary);

        CleanedKey cleaned = OpenPgpKeys.clean(ring, KeyLimits.DEFAULT);
        assertThat(cleaned.userIds()).containsExactlyInAnyOrder("Alice <alice@example.org>", "Alice at work <Alice.Work@Example.ORG>");
        assertThat(cleaned.droppedUserIds()).isEqualTo(1);
    }

    private static <T> List<T> list(java.util.Iterator<T> items) {
        List<T> all = new java.util.ArrayList<>();
        items.forEachRemaining(all::add);
        return all;
    }

    /** A DSA key with a 65535-bit q costs Bouncy Castle seconds per signature check before the check even fails: refused before any. */
    @Test
    void aDsaKeyOfAbsurdSizeIsRefusedBeforeAnySignatureIsChecked() throws Exception {
        java.security.SecureRandom random = new java.security.SecureRandom();
        java.math.BigInteger q = new java.math.BigInteger(65535, random).setBit(65534);
        java.math.BigInteger p = new java.math.BigInteger(2048, random).setBit(2047);
        org.bouncycastle.bcpg.PublicKeyPacket packet = new org.bouncycastle.bcpg.PublicKeyPacket(org.bouncycastle.bcpg.PublicKeyAlgorithmTags.DSA, new java.util.Date(),
                new org.bouncycastle.bcpg.DSAPublicBCPGKey(p, q, java.math.BigInteger.TWO, java.math.BigInteger.TEN));
        PGPPublicKeyRing ring = new PGPPublicKeyRing(List.of(new org.bouncycastle.openpgp.PGPPublicKey(packet,
                new org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator())));
        assertThatThrownBy(() -> OpenPgpKeys.clean(ring, KeyLimits.DEFAULT)).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains("DSA p over 3072 bits or q not of 160, 224 or 256 bits");
        });
    }

    @Test
    void aSecretKeyIsRefusedWithAWarning() throws Exception {
        byte[] secret = alice.ok("--export-secret-keys", aliceFingerprint).stdout();
        assertThatThrownBy(() -> OpenPgpKeys.read(secret, KeyLimits.DEFAULT)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.getMessage()).contains("never upload a secret key"));
    }

    @Test
    void addressesAreReadFromUserIds() {
        assertThat(OpenPgpKeys.address("Alice <Alice@Example.ORG>")).contains("alice@example.org");
        assertThat(OpenPgpKeys.address("bob@example.org")).contains("bob@example.org");
        assertThat(OpenPgpKeys.address("Just a name")).isEmpty();
        assertThat(OpenPgpKeys.address("Broken <not an address>")).isEmpty();
    }
}
