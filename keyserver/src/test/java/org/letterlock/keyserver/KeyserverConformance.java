package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;

/** The keyserver's rules on every database: publish by mailed token, unpublish by mailed token, merge, revocation, block, limits. */
public abstract class KeyserverConformance {
    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    protected final MovableClock clock = new MovableClock();
    protected Letterlock platform;
    protected Keyserver keyserver;
    private Gpg alice;
    private String fingerprint;

    protected abstract Map<String, String> database(Path dataDir);

    @BeforeEach
    void start() throws Exception {
        platform = TestKeyservers.platform(database(dataDir), dataDir, clock);
        keyserver = TestKeyservers.keyserver(platform, clock);
        alice = new Gpg(work.resolve("alice"));
        fingerprint = alice.generate("Alice <alice@example.org>");
    }

    @AfterEach
    void stop() throws Exception {
        if (alice != null) {
            alice.stop();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private AuditRecord lastAudit(String action) {
        List<AuditRecord> records = platform.auditLog().read(0, 100_000).stream().filter(r -> r.event().action().equals(action)).toList();
        assertThat(records).as(action).isNotEmpty();
        return records.get(records.size() - 1);
    }

    private static void assertRefused(Runnable call, ErrorType type, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).as(e.getMessage()).isEqualTo(type);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void anAddressIsPublishedByItsTokenAndTakenOffByAnother() throws Exception {
        List<Keyserver.Uploaded> uploaded = keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(uploaded).singleElement().satisfies(u -> assertThat(u.userIds()).containsEntry("Alice <alice@example.org>", Keyserver.Status.PENDING));
        assertThat(keyserver.byAddress("alice@example.org")).isEmpty();
        assertThat(keyserver.byId(fingerprint)).singleElement().satisfies(k -> assertThat(k.publishedUserIds()).isEmpty());

        String token = Outbox.verificationToken(dataDir, "alice@example.org");
        keyserver.verify(token);
        assertThat(keyserver.byAddress("Alice@Example.org")).singleElement().satisfies(k -> assertThat(k.publishedUserIds()).hasSize(1));
        assertRefused(() -> keyserver.verify(token), ErrorType.NOT_FOUND, "unknown, used or expired");

        clock.advance(Duration.ofMinutes(11));
        assertThat(keyserver.requestUnpublish("alice@example.org", "192.0.2.9")).isTrue();
        String unpublish = Outbox.verificationToken(dataDir, "alice@example.org");
        assertRefused(() -> keyserver.verify(unpublish), ErrorType.NOT_FOUND, "unknown, used or expired");
        assertThat(keyserver.unpublish(unpublish)).hasSize(1);
        assertThat(keyserver.byAddress("alice@example.org")).isEmpty();
        assertThat(keyserver.byId(fingerprint)).singleElement().satisfies(k -> assertThat(k.publishedUserIds()).isEmpty());
        assertThat(lastAudit("keyserver.unpublish").event().detail()).contains("alice@example.org");
    }

    @Test
    void verificationMailIsRateLimitedPerAddress() throws Exception {
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).hasSize(1);
        assertThat(lastAudit("keyserver.verify.mail").event().outcome()).isEqualTo(Outcome.DENIED);
        clock.advance(Duration.ofMinutes(11));
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).hasSize(2);
    }

    /**
     * Anyone may upload a known key again with fewer user IDs: the answer and the mails are about what the upload carried,
     * so the key's other, unverified addresses are neither told nor mailed.
     */
    @Test
    void anUploadAnswersAndMailsOnlyForTheUserIdsItCarried() throws Exception {
        alice.ok("--quick-add-uid", fingerprint, "Alice private <alice.private@example.org>");
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(Outbox.mailsTo(dataDir, "alice.private@example.org")).hasSize(1);
        clock.advance(Duration.ofMinutes(11));

        byte[] firstOnly = alice.ok("--export", "--export-filter", "keep-uid=mbox=alice@example.org", fingerprint).stdout();
        List<Keyserver.Uploaded> uploaded = keyserver.upload(firstOnly, "198.51.100.20");
        assertThat(uploaded).singleElement().satisfies(u -> assertThat(u.userIds()).containsOnlyKeys("Alice <alice@example.org>"));
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).hasSize(2);
        assertThat(Outbox.mailsTo(dataDir, "alice.private@example.org")).as("not mailed for an upload without it").hasSize(1);
        assertThat(keyserver.byId(fingerprint).get(0).userIds()).as("both stay on the stored key").hasSize(2);
    }

    /** Verification mails at upload are on the uploading client's budget, and an upload carries a bounded number of keys. */
    @Test
    void anUploadMailsOnTheClientsBudgetAndCarriesAtMostTwentyKeys() throws Exception {
        for (int i = 0; i < Keyserver.MAIL_REQUESTS_PER_HOUR; i++) {
            keyserver.requestUnpublish("nobody" + i + "@example.org", "203.0.113.77");
        }
        assertThat(keyserver.upload(alice.export(fingerprint), "203.0.113.77")).singleElement()
                .satisfies(u -> assertThat(u.userIds()).containsEntry("Alice <alice@example.org>", Keyserver.Status.PENDING));
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).isEmpty();
        assertThat(lastAudit("keyserver.verify.mail").event().detail()).contains("used its " + Keyserver.MAIL_REQUESTS_PER_HOUR + " mails");

        byte[] one = alice.export(fingerprint);
        java.io.ByteArrayOutputStream many = new java.io.ByteArrayOutputStream();
        for (int i = 0; i <= Keyserver.KEYS_PER_UPLOAD; i++) {
            many.write(one);
        }
        assertRefused(() -> keyserver.upload(many.toByteArray(), "192.0.2.44"), ErrorType.BAD_REQUEST, "at most " + Keyserver.KEYS_PER_UPLOAD + " keys");
    }

    /**
     * One encryption subkey bound to many keys (it needs no back-signature, so anyone may bind a victim's): a lookup by its
     * key ID loads a bounded number of them, and one by its fingerprint answers with the key that carried it first.
     */
    @Test
    void aSubkeyBoundToManyKeysGivesBoundedLookupsAndTheFirstCarrier() {
        KeyserverStore store = new org.letterlock.keyserver.store.JdbcKeyserverStore(platform.database().dataSource());
        String subkeyFingerprint = "AB".repeat(20);
        String subkeyId = subkeyFingerprint.substring(24);
        java.time.Instant first = java.time.Instant.parse("2026-01-01T00:00:00Z");
        List<StoredKey> carriers = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            // The later a key was stored, the lower its fingerprint: the first stored must win, not the lowest.
            String fingerprint = String.format(java.util.Locale.ROOT, "%040X", 1_000_000 - i);
            java.time.Instant stored = first.plusSeconds(i);
            carriers.add(new StoredKey(fingerprint, fingerprint.substring(24), 4, 22, 256, first, java.util.Optional.empty(), false, new byte[] {1},
                    new byte[] {1}, stored, stored, List.of(), List.of(new StoredKey.Subkey(subkeyFingerprint, subkeyId))));
        }
        store.insertNew(carriers);
        List<StoredKey> byKeyId = store.byKeyId(subkeyId);
        assertThat(byKeyId).hasSize(100);
        assertThat(byKeyId.get(0).fingerprint()).isEqualTo(carriers.get(0).fingerprint());
        assertThat(store.byFingerprint(subkeyFingerprint)).hasValueSatisfying(k -> assertThat(k.fingerprint()).isEqualTo(carriers.get(0).fingerprint()));
    }

    @Test
    void uploadsPerSourceAreLimited() throws Exception {
        byte[] key = alice.export(fingerprint);
        for (int i = 0; i < Keyserver.UPLOADS_PER_HOUR; i++) {
            keyserver.upload(key, "198.51.100.7");
        }
        assertRefused(() -> keyserver.upload(key, "198.51.100.7"), ErrorType.TOO_MANY_REQUESTS, "uploads from 198.51.100.7");
        assertThat(keyserver.upload(key, "198.51.100.8")).hasSize(1);
        clock.advance(Duration.ofMinutes(61));
        assertThat(keyserver.upload(key, "198.51.100.7")).hasSize(1);
    }

    @Test
    void aNewSubkeyIsMergedAndARevocationIsServed() throws Exception {
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        alice.ok("--quick-add-key", fingerprint, "rsa2048", "encr", "0");
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        StoredKey merged = keyserver.byId(fingerprint).get(0);
        assertThat(merged.subkeys()).hasSize(2);
        assertThat(merged.publishedUserIds()).hasSize(1);

        alice.revoke(fingerprint);
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        StoredKey revoked = keyserver.byAddress("alice@example.org").get(0);
        assertThat(revoked.revoked()).isTrue();
        Gpg bob = new Gpg(work.resolve("bob"));
        Files.write(work.resolve("served.pgp"), revoked.publishedKey());
        bob.ok("--import", work.resolve("served.pgp").toString());
        assertThat(bob.ok("--with-colons", "--list-keys", fingerprint).output().lines().filter(l -> l.startsWith("pub:")).findFirst().orElseThrow())
                .startsWith("pub:r:");
        bob.stop();
    }

    @Test
    void aBlockedFingerprintIsDeletedAndNeverStoredAgain() throws Exception {
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        keyserver.delete(fingerprint, true, "abuse report 17", "carl");
        assertThat(keyserver.byId(fingerprint)).isEmpty();
        byte[] key = alice.export(fingerprint);
        assertRefused(() -> keyserver.upload(key, "192.0.2.1"), ErrorType.FORBIDDEN, "is blocked");
        Keyserver.ImportSummary imported = keyserver.importDump(new java.io.ByteArrayInputStream(key), 1000, read -> { });
        assertThat(imported.stored()).isZero();
        assertThat(imported.rejections()).containsOnlyKeys("key <fingerprint> is blocked on this keyserver");
        assertThat(keyserver.byId(fingerprint)).isEmpty();
        assertThat(lastAudit("keyserver.block").event().detail()).contains("abuse report 17");
        assertRefused(() -> keyserver.delete("0x1234", false, null, "carl"), ErrorType.BAD_REQUEST, "fingerprint");
        assertRefused(() -> keyserver.delete("0".repeat(40), false, null, "carl"), ErrorType.NOT_FOUND, "no key");
    }

    /** A dump: Alice, her secret key (never stored), Alice again padded past the size limit, and Bob. */
    @Test
    void aDumpIsImportedThroughTheUploadChecksAndPublishesNothing() throws Exception {
        Gpg bob = new Gpg(work.resolve("bob"));
        String bobs = bob.generate("Bob <bob@example.org>");
        byte[] aliceKey = alice.export(fingerprint);
        org.bouncycastle.openpgp.PGPSignature selfSignature = ((java.util.Iterator<org.bouncycastle.openpgp.PGPSignature>) OpenPgpKeys.read(aliceKey, KeyLimits.DEFAULT)
                .get(0).getPublicKey().getSignaturesForID("Alice <alice@example.org>")).next();
        java.io.ByteArrayOutputStream dump = new java.io.ByteArrayOutputStream();
        dump.write(aliceKey);
        dump.write(alice.ok("--export-secret-keys", fingerprint).stdout());
        dump.write(aliceKey);
        byte[] padding = selfSignature.getEncoded();
        for (int written = 0; written <= KeyLimits.DEFAULT.maxBytes(); written += padding.length) {
            dump.write(padding);
        }
        dump.write(bob.export(bobs));
        bob.stop();
        List<Long> progress = new java.util.ArrayList<>();
        Keyserver.ImportSummary summary = keyserver.importDump(new java.io.ByteArrayInputStream(dump.toByteArray()), 1, progress::add);
        assertThat(summary.read()).isEqualTo(4);
        assertThat(summary.stored()).isEqualTo(2);
        assertThat(summary.rejections()).containsOnlyKeys("packets before a public key packet (tag 5)", "larger than 1048576 bytes");
        assertThat(progress).containsExactly(1L, 2L, 3L, 4L);
        assertThat(keyserver.byId(bobs)).singleElement().satisfies(k -> assertThat(k.publishedUserIds()).isEmpty());
        assertThat(keyserver.byAddress("alice@example.org")).isEmpty();
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).isEmpty();
        assertThat(lastAudit("keyserver.import").event().detail()).startsWith("4 read, 2 stored, 2 rejected");
    }

    /**
     * A key repeated in a dump (the second time with a user ID more) is merged as a second upload would be, and importing
     * the dump again merges into what is stored, keeping a confirmed address published.
     */
    @Test
    void repeatedKeysAreMergedAndAReimportKeepsWhatWasConfirmed() throws Exception {
        Gpg bob = new Gpg(work.resolve("bob"));
        String bobs = bob.generate("Bob <bob@example.org>");
        java.io.ByteArrayOutputStream dump = new java.io.ByteArrayOutputStream();
        dump.write(alice.export(fingerprint));
        dump.write(bob.export(bobs));
        bob.stop();
        alice.ok("--quick-add-uid", fingerprint, "Alice Other <alice@other.example>");
        dump.write(alice.export(fingerprint));

        Keyserver.ImportSummary first = keyserver.importDump(new java.io.ByteArrayInputStream(dump.toByteArray()), 1000, read -> { });
        assertThat(first.read()).isEqualTo(3);
        assertThat(first.stored()).isEqualTo(3);
        assertThat(keyserver.byId(fingerprint)).singleElement().satisfies(k -> assertThat(k.userIds()).extracting(StoredKey.UserId::text)
                .containsExactlyInAnyOrder("Alice <alice@example.org>", "Alice Other <alice@other.example>"));

        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        Keyserver.ImportSummary again = keyserver.importDump(new java.io.ByteArrayInputStream(dump.toByteArray()), 1000, read -> { });
        assertThat(again.stored()).isEqualTo(3);
        assertThat(keyserver.byAddress("alice@example.org")).singleElement().satisfies(k -> assertThat(k.fingerprint()).isEqualTo(fingerprint));
        assertThat(keyserver.byId(bobs)).hasSize(1);
    }

    private static final java.util.function.Function<String, List<String>> NO_MAILBOXES = domain -> List.of();
    private static final org.letterlock.ca.PublishedCertificates NO_CERTIFICATES = mailbox -> List.of();

    /**
     * A lookup by fingerprint is answered from memory: this node's own changes show at once, another node's once this
     * one has followed the changes (the runtime does every few seconds), deletions included.
     */
    @Test
    void keysServedFromMemoryFollowChangesOnEveryNode() throws Exception {
        Keyserver otherNode = TestKeyservers.keyserver(platform, clock);
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(userIds(keyserver.armoredKey(fingerprint).orElseThrow())).isEmpty();
        assertThat(userIds(otherNode.armoredKey(fingerprint).orElseThrow())).isEmpty();

        clock.advance(Duration.ofSeconds(1));
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        assertThat(userIds(keyserver.armoredKey(fingerprint).orElseThrow())).containsExactly("Alice <alice@example.org>");
        assertThat(userIds(otherNode.armoredKey(fingerprint).orElseThrow())).as("not followed yet").isEmpty();
        otherNode.followChanges();
        assertThat(userIds(otherNode.armoredKey(fingerprint).orElseThrow())).containsExactly("Alice <alice@example.org>");

        clock.advance(Duration.ofSeconds(1));
        keyserver.delete(fingerprint, false, "test", "admin");
        assertThat(keyserver.armoredKey(fingerprint)).isEmpty();
        otherNode.followChanges();
        assertThat(otherNode.armoredKey(fingerprint)).isEmpty();
        assertThat(keyserver.armoredKey(fingerprint.substring(0, 39) + "0")).isEmpty();
    }

    private static List<String> userIds(byte[] armored) {
        List<String> texts = new java.util.ArrayList<>();
        OpenPgpKeys.read(armored, KeyLimits.UNLIMITED).get(0).getPublicKey().getUserIDs().forEachRemaining(texts::add);
        return texts;
    }

    /** The OPENPGPKEY owner name is gpg's (export-dane), and the record's key imports into gpg with the address. */
    @Test
    void theDaneZoneHasGpgsOwnerNamesAndImportableKeys() throws Exception {
        alice.ok("--quick-add-uid", fingerprint, "Alice Other <alice@other.example>");
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        String zone = keyserver.daneZone("example.org", NO_MAILBOXES, NO_CERTIFICATES);
        String gpgZone = alice.ok("--export-options", "export-dane", "--export", "alice@example.org").output();
        String owner = gpgZone.lines().filter(l -> l.matches("[0-9a-f]{56} .*")).findFirst().orElseThrow().substring(0, 56);
        assertThat(zone).startsWith("$ORIGIN _openpgpkey.example.org.\n").contains(owner + " IN OPENPGPKEY ").doesNotContain("other.example");
        String base64 = zone.lines().filter(l -> l.startsWith(owner)).findFirst().orElseThrow().split(" ")[3];
        Files.write(work.resolve("dane.pgp"), java.util.Base64.getDecoder().decode(base64));
        Gpg bob = new Gpg(work.resolve("bob"));
        String imported = bob.ok("--import", work.resolve("dane.pgp").toString()).output();
        assertThat(imported).contains("imported: 1").contains("alice@example.org").doesNotContain("other.example");
        bob.stop();
        assertThat(keyserver.daneZone("other.example", NO_MAILBOXES, NO_CERTIFICATES)).isEqualTo("$ORIGIN _openpgpkey.other.example.\n$ORIGIN _smimecert.other.example.\n");
        assertRefused(() -> keyserver.daneZone("not a domain", NO_MAILBOXES, NO_CERTIFICATES), ErrorType.BAD_REQUEST, "DNS domain");
    }

    @Test
    void aSigningSubkeyIsKeptWithItsBackSignature() throws Exception {
        alice.ok("--quick-add-key", fingerprint, "ed25519", "sign", "0");
        keyserver.upload(alice.export(fingerprint), "192.0.2.1");
        assertThat(keyserver.byId(fingerprint).get(0).subkeys()).hasSize(2);
    }

    @Test
    void requestsThatSendMailAreLimitedPerClientAndNeedAKey() {
        assertThat(keyserver.requestUnpublish("nobody@example.org", "203.0.113.5")).isFalse();
        for (int i = 1; i < Keyserver.MAIL_REQUESTS_PER_HOUR; i++) {
            keyserver.requestUnpublish("nobody" + i + "@example.org", "203.0.113.5");
        }
        assertRefused(() -> keyserver.requestUnpublish("alice@example.org", "203.0.113.5"), ErrorType.TOO_MANY_REQUESTS, "requests for mail");
        assertThat(keyserver.requestUnpublish("nobody@example.org", "203.0.113.6")).isFalse();
        assertThat(UploadLimiter.sourceOf("2001:db8:1:2:aaaa::1")).isEqualTo(UploadLimiter.sourceOf("2001:db8:1:2::9")).isEqualTo("2001:db8:1:2::/64");
    }

    @Test
    void aDumpCutOffInsideAKeyKeepsTheKeysBeforeIt() throws Exception {
        byte[] aliceKey = alice.export(fingerprint);
        byte[] dump = java.util.Arrays.copyOf(aliceKey, aliceKey.length + 10);
        System.arraycopy(aliceKey, 0, dump, aliceKey.length, 10);
        Keyserver.ImportSummary summary = keyserver.importDump(new java.io.ByteArrayInputStream(dump), 100, read -> { });
        assertThat(summary.stored()).isEqualTo(1);
        assertThat(summary.rejections()).containsOnlyKeys("the stream ends inside a packet");
    }

    @Test
    void lookupsRefuseShortKeyIdsAndShortSearches() {
        assertRefused(() -> keyserver.byId("0x1234ABCD"), ErrorType.BAD_REQUEST, "short key IDs");
        assertRefused(() -> keyserver.byId("not hex"), ErrorType.BAD_REQUEST, "not a fingerprint");
        assertRefused(() -> keyserver.byWkd("example.org", "abc"), ErrorType.BAD_REQUEST, "z-base-32");
    }
}
