package org.letterlock.mail.pgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.mail.pgp.PgpTools.MadeKey;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Which keys of a recipient's OpenPGP key the gateway encrypts to, for keys gpg, sq and rnp made as their users make
 * them. Where a key is usable, the keys chosen are exactly those gpg itself would encrypt to; where it is not, the
 * encryption is refused with the key's fingerprint.
 */
class PgpRecipientKeysTest {
    private static final String USER_ID = "Robin <robin@example.org>";

    @TempDir
    Path dir;
    private PgpTools tools;

    @BeforeEach
    void start() {
        tools = new PgpTools(dir);
    }

    @AfterEach
    void stop() throws Exception {
        tools.close();
    }

    @FunctionalInterface
    interface KeyMaking {
        MadeKey make(PgpTools tools) throws Exception;
    }

    /** A key as some tool makes it, asked about {@code after} from now. */
    record Case(String name, KeyMaking making, Duration after, boolean usable) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("usable/gpg-future-default", t -> gpgKey(t, "future-default", "default", "0"), Duration.ZERO, true),
                new Case("usable/gpg-rsa3072-with-rsa3072-encryption-subkey", t -> t.gpgRsaKey("gpg", USER_ID), Duration.ZERO, true),
                // The primary key is chosen only because its self-signature flags it for encryption.
                new Case("usable/gpg-rsa3072-primary-flagged-for-encryption", t -> gpgKey(t, "rsa3072", "sign,cert,encr", "0"), Duration.ZERO, true),
                new Case("usable/gpg-key-before-it-expires", t -> gpgKey(t, "future-default", "default", "1d"), Duration.ZERO, true),
                new Case("usable/sq-cv25519-with-signing-and-authentication-subkeys", t -> t.sqKey("sq", USER_ID), Duration.ZERO, true),
                new Case("usable/sq-subkey-for-storage-encryption-only", t -> t.sqKey("sq", USER_ID, "--can-encrypt", "storage"), Duration.ZERO, true),
                new Case("usable/sq-subkey-for-transport-encryption-only", t -> t.sqKey("sq", USER_ID, "--can-encrypt", "transport"), Duration.ZERO, true),
                new Case("usable/rnp-rsa2048", t -> t.rnpKey("rnp", USER_ID), Duration.ZERO, true),
                new Case("refused/gpg-revoked-key", PgpRecipientKeysTest::gpgRevokedKey, Duration.ZERO, false),
                new Case("refused/gpg-key-expired-in-2021", PgpRecipientKeysTest::gpgKeyExpiredLongAgo, Duration.ZERO, false),
                new Case("refused/gpg-key-after-it-expires", t -> gpgKey(t, "future-default", "default", "1d"), Duration.ofDays(2), false),
                new Case("refused/gpg-primary-expired-subkey-without-expiry", PgpRecipientKeysTest::gpgPrimaryExpiringTomorrow, Duration.ofDays(2), false),
                // RSA can encrypt, but this key's self-signature says sign and certify only.
                new Case("refused/gpg-sign-only-rsa3072", t -> gpgKey(t, "rsa3072", "sign", "0"), Duration.ZERO, false),
                // Bouncy Castle's default policy: RSA under 2000 bits is too weak, though gpg 2.2 still makes and encrypts to it.
                new Case("refused/gpg-rsa1024-primary-flagged-for-encryption", t -> gpgKey(t, "rsa1024", "sign,cert,encr", "0"), Duration.ZERO, false),
                new Case("refused/sq-cannot-encrypt", t -> t.sqKey("sq", USER_ID, "--cannot-encrypt"), Duration.ZERO, false),
                new Case("refused/sq-encryption-subkey-revoked", PgpRecipientKeysTest::sqKeyWithRevokedEncryptionSubkey, Duration.ZERO, false),
                new Case("refused/sq-key-revoked", PgpRecipientKeysTest::sqRevokedKey, Duration.ZERO, false),
                // Another key's encryption subkey with that key's (valid) binding, attached to a sign-only key: the binding does not verify for this primary.
                new Case("refused/encryption-subkey-bound-by-another-key", PgpRecipientKeysTest::keyWithForeignSubkey, Duration.ZERO, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void choosesTheKeysAMessageMayBeEncryptedTo(Case kind) throws Exception {
        MadeKey key = kind.making().make(tools);
        Instant at = Instant.now().plus(kind.after());

        List<PGPPublicKey> chosen = PgpRecipientKeys.encryptionSubkeys(key.certificate(), at);

        if (kind.usable()) {
            assertThat(fingerprints(chosen)).isNotEmpty().isEqualTo(keysGpgEncryptsTo(key));
            PgpMimeEncryption.forKeys(List.of(key.certificate()), at);
        } else {
            assertThat(chosen).isEmpty();
            assertThatThrownBy(() -> PgpMimeEncryption.forKeys(List.of(key.certificate()), at))
                    .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                    .hasMessageContaining(key.fingerprint())
                    .hasMessageContaining("no key usable for encryption");
        }
    }

    private static Set<String> fingerprints(List<PGPPublicKey> keys) {
        return keys.stream().map(OpenPgpKeys::fingerprint).collect(Collectors.toSet());
    }

    /**
     * The keys gpg would encrypt to, read from its listing: primary ("pub") and subkey ("sub") records whose own
     * capabilities include "e" and whose validity is not revoked, expired or invalid.
     */
    private Set<String> keysGpgEncryptsTo(MadeKey key) throws Exception {
        Path home = tools.gpgHome();
        tools.gpgOk(home, "--import", key.secretKey().toString());
        Set<String> keys = new HashSet<>();
        boolean encrypts = false;
        for (String line : tools.gpgOk(home, "--with-colons", "--list-keys", key.fingerprint()).output().lines().toList()) {
            String[] fields = line.split(":", -1);
            if (fields[0].equals("pub") || fields[0].equals("sub")) {
                encrypts = fields[11].contains("e") && !Set.of("r", "e", "i").contains(fields[1]);
            } else if (fields[0].equals("fpr") && encrypts) {
                keys.add(fields[9]);
                encrypts = false;
            }
        }
        return keys;
    }

    private static MadeKey gpgKey(PgpTools tools, String algorithm, String usage, String expiry) throws Exception {
        return tools.gpgKey("gpg", USER_ID, algorithm, usage, expiry);
    }

    /** Revoked with the revocation certificate gpg stores when it makes a key (kept with a ':' so it cannot be imported by accident). */
    private static MadeKey gpgRevokedKey(PgpTools tools) throws Exception {
        Path home = tools.gpgHome();
        tools.gpgOk(home, "--quick-gen-key", USER_ID, "future-default", "default", "0");
        String fingerprint = tools.gpgFingerprint(home, USER_ID);
        Path revocation = tools.next("revocation.asc");
        Files.writeString(revocation, Files.readString(home.resolve("openpgp-revocs.d").resolve(fingerprint + ".rev"))
                .replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        tools.gpgOk(home, "--import", revocation.toString());
        return tools.gpgExport(home, "gpg", USER_ID);
    }

    /** Made on 1 January 2020 to expire after a year. */
    private static MadeKey gpgKeyExpiredLongAgo(PgpTools tools) throws Exception {
        Path home = tools.gpgHome();
        tools.gpgOk(home, "--faked-system-time", "20200101T000000!", "--quick-gen-key", USER_ID, "future-default", "default", "1y");
        return tools.gpgExport(home, "gpg", USER_ID);
    }

    /** The primary key is given an expiry of one day; the encryption subkey keeps its own "never". */
    private static MadeKey gpgPrimaryExpiringTomorrow(PgpTools tools) throws Exception {
        Path home = tools.gpgHome();
        tools.gpgOk(home, "--quick-gen-key", USER_ID, "future-default", "default", "0");
        tools.gpgOk(home, "--quick-set-expire", tools.gpgFingerprint(home, USER_ID), "1d");
        return tools.gpgExport(home, "gpg", USER_ID);
    }

    private static MadeKey sqKeyWithRevokedEncryptionSubkey(PgpTools tools) throws Exception {
        MadeKey key = tools.sqKey("sq", USER_ID);
        Path revocation = tools.next("revocation.pgp");
        tools.sqToFile(revocation, "revoke", "subkey", "--certificate", key.secretKey().toString(), OpenPgpKeys.fingerprint(encryptionCapable(key.certificate())),
                "retired", "replaced");
        return merged(tools, key, revocation);
    }

    private static MadeKey sqRevokedKey(PgpTools tools) throws Exception {
        MadeKey key = tools.sqKey("sq", USER_ID);
        Path revocation = tools.next("revocation.pgp");
        tools.sqToFile(revocation, "revoke", "certificate", "--certificate", key.secretKey().toString(), "retired", "left the organisation");
        return merged(tools, key, revocation);
    }

    /** The key as a GnuPG keyring holds it once it imported {@code revocation}, as its owner would publish it. */
    private static MadeKey merged(PgpTools tools, MadeKey key, Path revocation) throws Exception {
        Path home = tools.gpgHome();
        tools.gpgOk(home, "--import", key.secretKey().toString());
        tools.gpgOk(home, "--import", revocation.toString());
        return tools.gpgExport(home, key.name(), key.fingerprint());
    }

    private static MadeKey keyWithForeignSubkey(PgpTools tools) throws Exception {
        MadeKey signOnly = gpgKey(tools, "ed25519", "sign", "0");
        MadeKey other = tools.sqKey("sq", "Other <other@example.org>");
        PGPPublicKeyRing grafted = PGPPublicKeyRing.insertPublicKey(signOnly.certificate(), encryptionCapable(other.certificate()));
        assertThat(grafted.getPublicKeys()).toIterable().hasSize(2);
        return new MadeKey("grafted", grafted, signOnly.secretKey());
    }

    /** sq's one encryption subkey: its only ECDH key. */
    private static PGPPublicKey encryptionCapable(PGPPublicKeyRing key) {
        PGPPublicKey found = null;
        for (PGPPublicKey subkey : key) {
            if (subkey.getAlgorithm() == PublicKeyAlgorithmTags.ECDH) {
                assertThat(found).as("one ECDH subkey").isNull();
                found = subkey;
            }
        }
        assertThat(found).isNotNull();
        return found;
    }
}
