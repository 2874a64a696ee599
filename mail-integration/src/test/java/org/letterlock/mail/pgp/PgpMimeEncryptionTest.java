package org.letterlock.mail.pgp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPMessageInputStream;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.mail.pgp.PgpTools.Decryption;
import org.letterlock.mail.pgp.PgpTools.MadeKey;
import org.letterlock.mail.pgp.PgpTools.Tool;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * PGP/MIME messages as gpg 2.2, sq 0.27 and rnp 0.16 read them: each decrypts what was encrypted to keys each of
 * them made, and to a passphrase, and gets back exactly the entity that went in.
 */
class PgpMimeEncryptionTest {
    /** An entity whose bytes any text-mode conversion would change: 8-bit text, trailing blanks, a bare LF and a bare CR. */
    private static final byte[] ENTITY = ("""
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            \r
            Grüße aus dem Gateway, trailing blanks stay   \r
            .\r
            From here a bare LF
            and a bare CR\r here.\r
            """).getBytes(UTF_8);
    private static final String PASSPHRASE = "correct horse battery staple";

    /** The keys each tool makes by default, as their users have them, and the features (RFC 9580 5.2.3.32) each states: none states SEIPD v2. */
    enum Maker {
        GPG_RSA3072(Features.FEATURE_MODIFICATION_DETECTION),
        GPG_FUTURE_DEFAULT(Features.FEATURE_MODIFICATION_DETECTION),
        SQ(Features.FEATURE_MODIFICATION_DETECTION),
        /** No Features subpacket at all. */
        RNP(0);

        final int features;

        Maker(int features) {
            this.features = features;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    @TempDir
    static Path dir;
    private static PgpTools tools;
    private static final Map<Maker, MadeKey> KEYS = new EnumMap<>(Maker.class);
    /** A v4 key (legacy Ed25519 and X25519, which all three tools read) made by Bouncy Castle, whose features include SEIPD v2. */
    private static OpenPGPKey seipdV2Key;
    private static MadeKey seipdV2Made;

    @BeforeAll
    static void makeKeys() throws Exception {
        tools = new PgpTools(dir);
        KEYS.put(Maker.GPG_RSA3072, tools.gpgRsaKey("gpg-rsa3072", "Gerd <gerd@example.org>"));
        KEYS.put(Maker.GPG_FUTURE_DEFAULT, tools.gpgKey("gpg-future-default", "Gina <gina@example.org>", "future-default", "default", "0"));
        KEYS.put(Maker.SQ, tools.sqKey("sq", "Sara <sara@example.org>"));
        KEYS.put(Maker.RNP, tools.rnpKey("rnp", "Rita <rita@example.org>"));
        seipdV2Key = new BcOpenPGPApi().generateKey(4)
                .withPrimaryKey(generator -> generator.generateLegacyEd25519KeyPair())
                .addUserId("Vera <vera@example.org>")
                .addEncryptionSubkey(generator -> generator.generateLegacyX25519KeyPair())
                .build();
        assertThat(seipdV2Key.getPrimaryKey().getFeatures().supportsSEIPDv2()).isTrue();
        Path certificate = tools.next("bc-cert.asc");
        Path secret = tools.next("bc-secret.asc");
        Files.writeString(certificate, seipdV2Key.toCertificate().toAsciiArmoredString());
        Files.writeString(secret, seipdV2Key.toAsciiArmoredString());
        seipdV2Made = new MadeKey("bc-v4-seipd-v2", PgpTools.read(certificate), secret);
    }

    @AfterAll
    static void stopAgents() throws Exception {
        tools.close();
    }

    static Stream<Arguments> keysAndTools() {
        return Arrays.stream(Maker.values()).flatMap(maker -> Arrays.stream(Tool.values()).map(tool -> Arguments.of(maker, tool)));
    }

    @ParameterizedTest(name = "{0} key, {1} decrypts")
    @MethodSource("keysAndTools")
    void eachToolDecryptsWhatWasEncryptedToEachToolsKey(Maker maker, Tool tool) throws Exception {
        MadeKey key = KEYS.get(maker);
        Path message = encryptedPart(encrypt(PgpMimeEncryption.forKeys(List.of(key.certificate()), Instant.now()), ENTITY));

        Decryption decryption = tools.decrypt(tool, key, message);

        assertThat(decryption.exit()).as(decryption.output()).isZero();
        assertThat(decryption.cleartext()).isEqualTo(ENTITY);
        if (tool == Tool.GPG) {
            // SEIPD v1 with its MDC (2) and AES-256 (9); literal data in binary ('b' = 62), with no date and no file name.
            assertThat(decryption.output()).contains("[GNUPG:] DECRYPTION_OKAY", "[GNUPG:] DECRYPTION_INFO 2 9", "[GNUPG:] PLAINTEXT 62 0 \n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Maker.class)
    void noKeyTheToolsMakeAdvertisesSeipdV2SoTheirMessagesAreSeipdV1(Maker maker) throws Exception {
        MadeKey key = KEYS.get(maker);
        Features features = PgpRecipientKeys.certificate(key.certificate()).getPrimaryKey().getFeatures(new Date());
        int stated = features == null ? 0 : features.getFeatures();
        assertThat(stated).isEqualTo(maker.features);
        List<PGPPublicKey> subkeys = PgpRecipientKeys.encryptionSubkeys(key.certificate(), Instant.now());

        MessagePackets packets = packets(encrypt(PgpMimeEncryption.forKeys(List.of(key.certificate()), Instant.now()), ENTITY));

        assertThat(packets.seipd().getVersion()).isEqualTo(SymmetricEncIntegrityPacket.VERSION_1);
        assertThat(packets.pkesks()).hasSize(1).allSatisfy(pkesk -> {
            assertThat(pkesk.getVersion()).isEqualTo(3);
            assertThat(pkesk.getKeyID()).isEqualTo(subkeys.get(0).getKeyID());
        });
    }

    @Test
    void aKeyAdvertisingSeipdV2GetsSeipdV2WithAes256OcbWhichOnlyBouncyCastleReadsHere() throws Exception {
        String message = encryptedPartText(encrypt(PgpMimeEncryption.forKeys(List.of(seipdV2Made.certificate()), Instant.now()), ENTITY));

        MessagePackets packets = MessagePackets.read(message);
        assertThat(packets.pkesks()).hasSize(1).allSatisfy(pkesk -> assertThat(pkesk.getVersion()).isEqualTo(6));
        assertThat(packets.seipd().getVersion()).isEqualTo(SymmetricEncIntegrityPacket.VERSION_2);
        assertThat(packets.seipd().getCipherAlgorithm()).isEqualTo(SymmetricKeyAlgorithmTags.AES_256);
        assertThat(packets.seipd().getAeadAlgorithm()).isEqualTo(AEADAlgorithmTags.OCB);
        assertThat(packets.seipd().getChunkSize()).as("octet 12: chunks of 256 KiB").isEqualTo(12);
        assertThat(message).as("no armor checksum for an RFC 9580 reader").doesNotContainPattern("(?m)^=");

        OpenPGPMessageInputStream decrypted = new BcOpenPGPApi().decryptAndOrVerifyMessage().addDecryptionKey(seipdV2Key)
                .process(new ByteArrayInputStream(message.getBytes(US_ASCII)));
        assertThat(decrypted.readAllBytes()).isEqualTo(ENTITY);
        decrypted.close();

        Path file = tools.next("seipd-v2.asc");
        Files.writeString(file, message);
        Map<Tool, String> refusals = Map.of(
                Tool.GPG, "packet(1) with unknown version 6",
                Tool.SQ, "Malformed Message: Invalid OpenPGP message: SEIP packet (at [1]) not expected",
                Tool.RNP, "unknown mdc ver: 2");
        for (Tool tool : Tool.values()) {
            Decryption decryption = tools.decrypt(tool, seipdV2Made, file);
            assertThat(decryption.exit()).as(tool + ": " + decryption.output()).isNotZero();
            assertThat(decryption.cleartext()).as(tool.toString()).isEmpty();
            assertThat(decryption.output()).as(tool.toString()).contains(refusals.get(tool));
        }
    }

    @Test
    void oneRecipientWithoutSeipdV2MakesTheMessageSeipdV1AndBothRecipientsReadIt() throws Exception {
        MadeKey gpgKey = KEYS.get(Maker.GPG_FUTURE_DEFAULT);
        byte[] entity = encrypt(PgpMimeEncryption.forKeys(List.of(seipdV2Made.certificate(), gpgKey.certificate()), Instant.now()), ENTITY);

        MessagePackets packets = packets(entity);
        assertThat(packets.seipd().getVersion()).isEqualTo(SymmetricEncIntegrityPacket.VERSION_1);
        assertThat(packets.pkesks()).hasSize(2).allSatisfy(pkesk -> assertThat(pkesk.getVersion()).isEqualTo(3));
        for (MadeKey key : List.of(seipdV2Made, gpgKey)) {
            Decryption decryption = tools.decrypt(Tool.GPG, key, encryptedPart(entity));
            assertThat(decryption.output()).as(key.name()).contains("[GNUPG:] DECRYPTION_OKAY");
            assertThat(decryption.cleartext()).as(key.name()).isEqualTo(ENTITY);
        }
    }

    /** A v6 key (RFC 9580), which no tool here reads: alone it gets SEIPD v2; beside a gpg key, a v3 PKESK in a SEIPD v1 message. */
    @Test
    void aV6KeyGetsSeipdV2AloneAndSeipdV1BesideAGpgKeyAndReadsBoth() throws Exception {
        OpenPGPKey v6Key = new BcOpenPGPApi().generateKey(6).ed25519x25519Key("Viktor <viktor@example.org>").build();
        PGPPublicKeyRing v6Certificate = (PGPPublicKeyRing) v6Key.toCertificate().getPGPKeyRing();
        Map<List<PGPPublicKeyRing>, Integer> seipdVersions = Map.of(
                List.of(v6Certificate), SymmetricEncIntegrityPacket.VERSION_2,
                List.of(v6Certificate, KEYS.get(Maker.GPG_FUTURE_DEFAULT).certificate()), SymmetricEncIntegrityPacket.VERSION_1);

        for (Map.Entry<List<PGPPublicKeyRing>, Integer> recipients : seipdVersions.entrySet()) {
            String message = encryptedPartText(encrypt(PgpMimeEncryption.forKeys(recipients.getKey(), Instant.now()), ENTITY));
            assertThat(MessagePackets.read(message).seipd().getVersion()).as(recipients.getKey().size() + " recipients").isEqualTo(recipients.getValue());
            OpenPGPMessageInputStream decrypted = new BcOpenPGPApi().decryptAndOrVerifyMessage().addDecryptionKey(v6Key)
                    .process(new ByteArrayInputStream(message.getBytes(US_ASCII)));
            assertThat(decrypted.readAllBytes()).isEqualTo(ENTITY);
            decrypted.close();
        }
    }

    @ParameterizedTest(name = "{0} decrypts with each recipient's key alone")
    @EnumSource(Tool.class)
    void oneEncryptionForAGpgKeyAndAnSqKeyDecryptsForEach(Tool tool) throws Exception {
        MadeKey gpgKey = KEYS.get(Maker.GPG_RSA3072);
        MadeKey sqKey = KEYS.get(Maker.SQ);
        byte[] entity = encrypt(PgpMimeEncryption.forKeys(List.of(gpgKey.certificate(), sqKey.certificate()), Instant.now()), ENTITY);

        List<Long> subkeyIds = Stream.of(gpgKey, sqKey)
                .flatMap(key -> PgpRecipientKeys.encryptionSubkeys(key.certificate(), Instant.now()).stream())
                .map(PGPPublicKey::getKeyID)
                .toList();
        assertThat(packets(entity).pkesks()).extracting(pkesk -> pkesk.getKeyID()).containsExactlyElementsOf(subkeyIds);
        Path message = encryptedPart(entity);
        for (MadeKey key : List.of(gpgKey, sqKey)) {
            Decryption decryption = tools.decrypt(tool, key, message);
            assertThat(decryption.exit()).as(key + "\n" + decryption.output()).isZero();
            assertThat(decryption.cleartext()).as(key.name()).isEqualTo(ENTITY);
        }
    }

    @ParameterizedTest(name = "{0} decrypts with the passphrase")
    @EnumSource(Tool.class)
    void aPassphraseMessageDecryptsWithTheRightPassphraseAndNotWithAWrongOne(Tool tool) throws Exception {
        char[] passphrase = PASSPHRASE.toCharArray();
        EntityEncryption encryption = PgpMimeEncryption.forPassphrase(passphrase);
        Arrays.fill(passphrase, '\0');
        Path message = encryptedPart(encrypt(encryption, ENTITY));

        Decryption right = tools.decrypt(tool, PASSPHRASE, message);
        assertThat(right.exit()).as(right.output()).isZero();
        assertThat(right.cleartext()).isEqualTo(ENTITY);
        if (tool == Tool.GPG) {
            // AES-256 (9), iterated and salted S2K (3) with SHA-256 (8); SEIPD v1 with MDC.
            assertThat(right.output()).contains("[GNUPG:] NEED_PASSPHRASE_SYM 9 3 8", "[GNUPG:] DECRYPTION_INFO 2 9", "[GNUPG:] DECRYPTION_OKAY");
        }

        Decryption wrong = tools.decrypt(tool, "correct horse battery stable", message);
        assertThat(wrong.exit()).as(wrong.output()).isNotZero();
        assertThat(wrong.cleartext()).isEmpty();
    }

    @Test
    void aPassphraseMessageIsSkeskV4WithAnIteratedSaltedSha256S2kAndSeipdV1() throws Exception {
        MessagePackets packets = packets(encrypt(PgpMimeEncryption.forPassphrase(PASSPHRASE.toCharArray()), ENTITY));

        assertThat(packets.pkesks()).isEmpty();
        assertThat(packets.skesks()).hasSize(1).allSatisfy(skesk -> {
            assertThat(skesk.getVersion()).isEqualTo(4);
            assertThat(skesk.getEncAlgorithm()).isEqualTo(SymmetricKeyAlgorithmTags.AES_256);
            assertThat(skesk.getS2K().getType()).isEqualTo(S2K.SALTED_AND_ITERATED);
            assertThat(skesk.getS2K().getHashAlgorithm()).isEqualTo(HashAlgorithmTags.SHA256);
            assertThat(skesk.getS2K().getIterationCount()).isEqualTo(65_011_712L);
        });
        assertThat(packets.seipd().getVersion()).isEqualTo(SymmetricEncIntegrityPacket.VERSION_1);
    }

    @Test
    void anEmptyPassphraseIsRefused() {
        assertThatThrownBy(() -> PgpMimeEncryption.forPassphrase(new char[0]))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST));
    }

    @Test
    void noRecipientIsRefused() {
        assertThatThrownBy(() -> PgpMimeEncryption.forKeys(List.of(), Instant.now()))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST));
    }

    @Test
    void theEntityIsMultipartEncryptedAsRfc3156SaysWithCrlfLinesOf76CharactersAtMost() throws Exception {
        EntityEncryption encryption = PgpMimeEncryption.forKeys(List.of(KEYS.get(Maker.GPG_FUTURE_DEFAULT).certificate()), Instant.now());
        boolean[] closed = {false};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        OutputStream cleartext = encryption.open(out);
        String head = out.toString(US_ASCII);
        cleartext.write(ENTITY);
        cleartext.close();
        cleartext.close();
        String text = out.toString(ISO_8859_1);

        assertThat(head).as("the header fields come out at open()").startsWith("Content-Type: multipart/encrypted;").contains("\r\n\r\n");
        assertThat(closed[0]).as("the stream below is left open").isFalse();
        assertThat(text).as("7-bit").doesNotContainPattern("[^\\x01-\\x7F]");
        assertThat(text).endsWith("\r\n").doesNotContainPattern("\r(?!\n)|(?<!\r)\n");
        assertThat(text.split("\r\n")).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(76));

        MultipartEncrypted entity = MultipartEncrypted.parse(text);
        assertThat(entity.fields()).containsOnlyKeys("content-type", "content-transfer-encoding");
        assertThat(entity.fields().get("content-transfer-encoding")).isEqualToIgnoringCase("7bit");
        assertThat(entity.mediaType()).isEqualTo("multipart/encrypted");
        assertThat(entity.parameters()).containsEntry("protocol", "application/pgp-encrypted").containsKey("boundary");
        assertThat(entity.closed()).as("close delimiter").isTrue();
        assertThat(entity.parts()).hasSize(2);

        MultipartEncrypted.Part control = entity.parts().get(0);
        assertThat(control.fields().get("content-type")).isEqualTo("application/pgp-encrypted");
        assertThat(control.body().lines()).contains("Version: 1");
        MultipartEncrypted.Part encrypted = entity.parts().get(1);
        assertThat(encrypted.fields().get("content-type")).startsWith("application/octet-stream");
        assertThat(encrypted.body()).startsWith("-----BEGIN PGP MESSAGE-----\r\n").endsWith("-----END PGP MESSAGE-----\r\n");
        assertThat(entity.parts()).allSatisfy(part -> assertThat(part.body()).doesNotContain(entity.parameters().get("boundary")));

        String another = new String(encrypt(encryption, ENTITY), US_ASCII);
        assertThat(MultipartEncrypted.parse(another).parameters().get("boundary")).isNotEqualTo(entity.parameters().get("boundary"));
        Decryption decryption = tools.decrypt(Tool.GPG, KEYS.get(Maker.GPG_FUTURE_DEFAULT), encryptedPart(out.toByteArray()));
        assertThat(decryption.output()).contains("[GNUPG:] DECRYPTION_OKAY");
        assertThat(decryption.cleartext()).isEqualTo(ENTITY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cipherChoices")
    void theCipherIsTheStrongestAllRecipientsList(String name, List<int[]> preferences, int expected) {
        assertThat(PgpMimeEncryption.strongestCommonCipher(preferences)).isEqualTo(expected);
    }

    static Stream<Arguments> cipherChoices() {
        int aes256 = SymmetricKeyAlgorithmTags.AES_256;
        int aes192 = SymmetricKeyAlgorithmTags.AES_192;
        int aes128 = SymmetricKeyAlgorithmTags.AES_128;
        return Stream.of(
                Arguments.of("none listed: AES-256", List.of(), aes256),
                Arguments.of("gpg's list: AES-256", List.of(new int[] {aes256, aes192, aes128, SymmetricKeyAlgorithmTags.TRIPLE_DES}), aes256),
                Arguments.of("order does not matter, strength does", List.of(new int[] {aes128, aes192, aes256}), aes256),
                Arguments.of("three lists sharing only AES-128", List.of(new int[] {aes256, aes128}, new int[] {aes192, aes128, aes256}, new int[] {aes192, aes128}),
                        aes128),
                Arguments.of("common AES-192", List.of(new int[] {aes256, aes192}, new int[] {aes192, aes128}), aes192),
                Arguments.of("nothing in common: AES-128, tacitly in every list", List.of(new int[] {aes256}, new int[] {SymmetricKeyAlgorithmTags.CAMELLIA_256}),
                        aes128),
                Arguments.of("only ciphers Letterlock does not write: AES-128", List.of(new int[] {SymmetricKeyAlgorithmTags.TWOFISH}), aes128));
    }

    @Test
    void aGpgKeyPreferringAes192GetsAes192AndGpgSaysSo() throws Exception {
        Path home = tools.gpgHome();
        String userId = "Paula <paula@example.org>";
        tools.gpgOk(home, "--quick-gen-key", userId, "future-default", "default", "0");
        Path commands = tools.next("setpref.txt");
        Files.writeString(commands, "setpref AES192 AES128 SHA256 Uncompressed\ny\nsave\n");
        tools.gpgOk(home, "--command-file", commands.toString(), "--edit-key", userId);
        MadeKey key = tools.gpgExport(home, "gpg-aes192", userId);

        Decryption decryption = tools.decrypt(Tool.GPG, key, encryptedPart(encrypt(PgpMimeEncryption.forKeys(List.of(key.certificate()), Instant.now()), ENTITY)));

        assertThat(decryption.output()).contains("[GNUPG:] DECRYPTION_INFO 2 8", "[GNUPG:] DECRYPTION_OKAY");
        assertThat(decryption.cleartext()).isEqualTo(ENTITY);
    }

    private static byte[] encrypt(EntityEncryption encryption, byte[] entity) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream cleartext = encryption.open(out)) {
            cleartext.write(entity);
        }
        return out.toByteArray();
    }

    private static String encryptedPartText(byte[] entity) {
        return MultipartEncrypted.parse(new String(entity, US_ASCII)).parts().get(1).body();
    }

    /** Part 2, the armored OpenPGP message, in a file of its own. */
    private static Path encryptedPart(byte[] entity) throws Exception {
        Path file = tools.next("part2.asc");
        Files.writeString(file, encryptedPartText(entity), US_ASCII);
        return file;
    }

    private static MessagePackets packets(byte[] entity) throws Exception {
        return MessagePackets.read(encryptedPartText(entity));
    }
}
