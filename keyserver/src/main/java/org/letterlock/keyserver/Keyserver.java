package org.letterlock.keyserver;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.PublishedCertificates;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.mail.MailSender;

/**
 * The keyserver's rules: uploads are cleaned and merged into the full view; a user ID is published only after its
 * mailbox confirmed a single-use token mailed to it; lookups see only the published view. Keys without a published
 * user ID are still served by fingerprint and key ID (without user IDs).
 */
public final class Keyserver {
    private static final Logger LOG = Logger.getLogger(Keyserver.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    /** One verification mail per address and key in this time, whatever the number of uploads. */
    static final Duration MAIL_INTERVAL = Duration.ofMinutes(10);
    /** And at most this many per address per day. */
    static final int MAILS_PER_DAY = 5;
    static final int UPLOADS_PER_HOUR = 60;
    /** Keys in one upload: gpg --send-keys sends a few at a time; each may mail its addresses. */
    static final int KEYS_PER_UPLOAD = 20;
    /** Requests that send mail (unpublish, request-verify) per client address an hour. */
    static final int MAIL_REQUESTS_PER_HOUR = 20;
    private static final int SAVE_ATTEMPTS = 3;
    /** Bytes of published keys kept in memory for lookups by fingerprint: some 50,000 keys of a typical 5 KiB. */
    static final long CACHED_KEY_BYTES = 256L * 1024 * 1024;
    public static final int FOLLOW_SECONDS = 2;
    private static final Duration CLOCK_MARGIN = Duration.ofSeconds(5);

    private final KeyserverStore store;
    private final MailSender mail;
    private final AuditRecorder audit;
    private final Clock clock;
    private final URI publicUrl;
    private final KeyLimits limits;
    private final Duration tokenTtl;
    private final UploadLimiter uploads = new UploadLimiter(UPLOADS_PER_HOUR, Duration.ofHours(1));
    private final UploadLimiter mailRequests = new UploadLimiter(MAIL_REQUESTS_PER_HOUR, Duration.ofHours(1));
    private final PublishedKeyCache published = new PublishedKeyCache(CACHED_KEY_BYTES);
    private volatile Instant followedUntil;

    /** What an upload did to one key: its fingerprint, and per user ID whether it is published, waiting for mail, or without an address. */
    public record Uploaded(String fingerprint, Map<String, Status> userIds, CleanedKey cleaned) {
    }

    public enum Status { PUBLISHED, PENDING, UNPUBLISHED }

    public Keyserver(KeyserverStore store, MailSender mail, AuditRecorder audit, Clock clock, URI publicUrl, KeyLimits limits, Duration tokenTtl) {
        this.store = store;
        this.mail = mail;
        this.audit = audit;
        this.clock = clock;
        this.publicUrl = publicUrl;
        this.limits = limits;
        this.tokenTtl = tokenTtl;
        this.followedUntil = clock.instant();
    }

    /**
     * Cleans and stores every key in {@code data}; mails a verification link to each address not yet published
     * (rate-limited). {@code source} (the client's address) is limited to {@value #UPLOADS_PER_HOUR} uploads an hour.
     */
    public List<Uploaded> upload(byte[] data, String source) {
        if (!uploads.allow(UploadLimiter.sourceOf(source), clock.instant())) {
            throw audit.refusal("keyserver.upload", "source:" + source, ErrorType.TOO_MANY_REQUESTS, "more than " + UPLOADS_PER_HOUR
                    + " uploads from " + source + " in the last hour; try again later");
        }
        List<PGPPublicKeyRing> keys;
        try {
            keys = OpenPgpKeys.read(data, limits);
        } catch (LetterlockException e) {
            throw audit.refusal("keyserver.upload", "keys", e.type(), e.getMessage());
        }
        if (keys.size() > KEYS_PER_UPLOAD) {
            throw audit.refusal("keyserver.upload", "source:" + source, ErrorType.BAD_REQUEST, "upload at most " + KEYS_PER_UPLOAD + " keys at a time; this had "
                    + keys.size());
        }
        List<Uploaded> results = new ArrayList<>();
        for (PGPPublicKeyRing key : keys) {
            try {
                results.add(store(key, Optional.of(source)));
            } catch (LetterlockException e) {
                throw e;
            } catch (RuntimeException e) {
                // Bouncy Castle read the packets but cannot work with them: the key's fault, not the server's.
                throw audit.refusal("keyserver.upload", "key:" + OpenPgpKeys.fingerprint(key.getPublicKey()), ErrorType.BAD_REQUEST,
                        "the key cannot be processed: " + e.getMessage());
            }
        }
        return results;
    }

    /** What a bulk import did. */
    public record ImportSummary(long read, long stored, long rejected, long thirdPartyStripped, long invalidStripped, Map<String, Long> rejections) {
    }

    /**
     * Imports a dump of concatenated binary keys through the same checks as an upload, without mailing anyone (nothing
     * is published by an import). {@code progress} hears the count of keys read every {@code every} keys.
     *
     * <p>Keys are read and checked on every core while the previous batch is written; each batch of new keys is one
     * transaction (a commit per key would bound the import at a few hundred keys a second). Keys already stored, or
     * repeated in the dump, are merged one at a time as an upload would be.
     */
    public ImportSummary importDump(InputStream dump, long every, LongConsumer progress) throws IOException {
        KeyDumpReader reader = new KeyDumpReader(dump, limits.maxBytes());
        ImportTally tally = new ImportTally(every, progress);
        ExecutorService checkers = Executors.newFixedThreadPool(IMPORT_THREADS, r -> {
            Thread thread = new Thread(r, "keyserver-import");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<ImportedKey>> batch = nextBatch(reader, checkers);
            while (!batch.isEmpty()) {
                List<Future<ImportedKey>> following = nextBatch(reader, checkers);
                write(batch, tally);
                batch = following;
            }
        } finally {
            checkers.shutdownNow();
        }
        ImportSummary summary = tally.summary();
        audit.record("keyserver.import", "keys", Outcome.ALLOWED, summary.read() + " read, " + summary.stored() + " stored, " + summary.rejected()
                + " rejected, " + summary.thirdPartyStripped() + " third-party certifications stripped");
        return summary;
    }

    static final int IMPORT_BATCH = 500;
    private static final int IMPORT_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** One key of a dump, checked: its row as it would be stored new, or why it is refused. */
    private record ImportedKey(CleanedKey cleaned, StoredKey row, String problem) {
        static ImportedKey refused(String problem) {
            return new ImportedKey(null, null, problem.replaceAll("[0-9A-F]{40,64}", "<fingerprint>"));
        }
    }

    private List<Future<ImportedKey>> nextBatch(KeyDumpReader reader, ExecutorService checkers) throws IOException {
        List<Future<ImportedKey>> batch = new ArrayList<>(IMPORT_BATCH);
        Optional<KeyDumpReader.Segment> segment;
        while (batch.size() < IMPORT_BATCH && (segment = reader.next()).isPresent()) {
            KeyDumpReader.Segment read = segment.get();
            batch.add(checkers.submit(() -> check(read)));
        }
        return batch;
    }

    private ImportedKey check(KeyDumpReader.Segment segment) {
        if (segment.problem().isPresent()) {
            return ImportedKey.refused(segment.problem().get());
        }
        try {
            CleanedKey cleaned = OpenPgpKeys.clean(OpenPgpKeys.read(segment.key().orElseThrow(), limits).get(0), limits);
            List<StoredKey.UserId> userIds = new ArrayList<>();
            cleaned.key().getPublicKey().getUserIDs().forEachRemaining(text -> userIds.add(new StoredKey.UserId(text, OpenPgpKeys.address(text), Optional.empty())));
            Instant now = now();
            return new ImportedKey(cleaned, record(cleaned.key(), userIds, now, now), null);
        } catch (LetterlockException e) {
            return ImportedKey.refused(e.getMessage());
        } catch (RuntimeException e) {
            return ImportedKey.refused("the key cannot be processed: " + e.getClass().getSimpleName());
        }
    }

    /**
     * New keys in one transaction; the rest (stored already, repeated, or blocked: the store refuses those rows, and the
     * upload path says why) one by one, and the whole batch so when its transaction fails.
     */
    private void write(List<Future<ImportedKey>> batch, ImportTally tally) {
        List<ImportedKey> keys = new ArrayList<>(batch.size());
        for (Future<ImportedKey> key : batch) {
            keys.add(joined(key));
        }
        List<ImportedKey> checked = keys.stream().filter(k -> k.problem() == null).toList();
        List<Boolean> inserted;
        try {
            inserted = store.insertNew(checked.stream().map(ImportedKey::row).toList());
        } catch (LetterlockException e) {
            LOG.log(Level.WARNING, "keyserver import: a batch of new keys could not be stored together; storing them one by one", e);
            inserted = Collections.nCopies(checked.size(), false);
        }
        int next = 0;
        for (ImportedKey key : keys) {
            if (key.problem() != null) {
                tally.refused(key.problem());
            } else if (inserted.get(next++)) {
                tally.stored(key.cleaned());
            } else {
                try {
                    tally.stored(store(key.cleaned().key(), Optional.empty()).cleaned());
                } catch (LetterlockException e) {
                    tally.refused(ImportedKey.refused(e.getMessage()).problem());
                } catch (RuntimeException e) {
                    tally.refused("the key cannot be processed: " + e.getClass().getSimpleName());
                }
            }
        }
    }

    private static ImportedKey joined(Future<ImportedKey> key) {
        try {
            return key.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the import was interrupted");
        } catch (ExecutionException e) {
            return ImportedKey.refused("the key cannot be processed: " + e.getCause().getClass().getSimpleName());
        }
    }

    /** Counts what an import did, and tells the progress listener every {@code every} keys. */
    private static final class ImportTally {
        private final long every;
        private final LongConsumer progress;
        private final Map<String, Long> rejections = new TreeMap<>();
        private long read;
        private long stored;
        private long thirdParty;
        private long invalid;

        ImportTally(long every, LongConsumer progress) {
            this.every = every;
            this.progress = progress;
        }

        void stored(CleanedKey cleaned) {
            stored++;
            thirdParty += cleaned.thirdPartyCertifications();
            invalid += cleaned.invalidSignatures();
            counted();
        }

        void refused(String problem) {
            rejections.merge(problem, 1L, Long::sum);
            counted();
        }

        private void counted() {
            if (++read % every == 0) {
                progress.accept(read);
            }
        }

        ImportSummary summary() {
            return new ImportSummary(read, stored, read - stored, thirdParty, invalid, rejections);
        }
    }

    /**
     * With the uploading client's {@code source}: an upload, audited per key, answered and mailed for the user IDs it
     * carried only (the stored key's other, unverified ones are nobody else's business), each mail on the client's
     * budget. Without: an import, summarised once.
     */
    private Uploaded store(PGPPublicKeyRing uploaded, Optional<String> source) {
        boolean interactive = source.isPresent();
        CleanedKey cleaned = OpenPgpKeys.clean(uploaded, limits);
        String fingerprint = OpenPgpKeys.fingerprint(cleaned.key().getPublicKey());
        if (store.blocked(fingerprint)) {
            String refusal = "key " + fingerprint + " is blocked on this keyserver";
            throw interactive ? audit.refusal("keyserver.upload", "key:" + fingerprint, ErrorType.FORBIDDEN, refusal) : new LetterlockException(ErrorType.FORBIDDEN, refusal);
        }
        Optional<StoredKey> existing;
        List<StoredKey.UserId> userIds;
        int attempt = 0;
        do {
            if (++attempt > SAVE_ATTEMPTS) {
                throw new LetterlockException(ErrorType.CONFLICT, "key " + fingerprint + " changed while it was being stored; upload it again");
            }
            existing = store.byFingerprint(fingerprint).filter(k -> k.fingerprint().equals(fingerprint));
            PGPPublicKeyRing merged = cleaned.key();
            if (existing.isPresent()) {
                try {
                    PGPPublicKeyRing before = OpenPgpKeys.read(existing.get().fullKey(), KeyLimits.UNLIMITED).get(0);
                    merged = OpenPgpKeys.clean(PGPPublicKeyRing.join(before, cleaned.key(), true, true), limits).key();
                } catch (PGPException | RuntimeException e) {
                    throw audit.refusal("keyserver.upload", "key:" + fingerprint, ErrorType.BAD_REQUEST, "the key cannot be merged with the stored one: " + e.getMessage());
                }
            }
            Map<String, Optional<Instant>> confirmed = new LinkedHashMap<>();
            existing.ifPresent(k -> k.userIds().forEach(u -> confirmed.put(u.text(), u.publishedAt())));
            List<StoredKey.UserId> merging = new ArrayList<>();
            merged.getPublicKey().getUserIDs().forEachRemaining(text -> merging.add(new StoredKey.UserId(text, OpenPgpKeys.address(text),
                    confirmed.getOrDefault(text, Optional.empty()))));
            userIds = merging;
            Instant now = now();
            StoredKey stored = record(merged, userIds, existing.map(StoredKey::uploadedAt).orElse(now), now);
            if (save(stored, existing.map(StoredKey::updatedAt))) {
                break;
            }
        } while (true);
        if (interactive) {
            audit.record("keyserver.upload", "key:" + fingerprint, Outcome.ALLOWED, (existing.isPresent() ? "merged" : "new") + ", " + userIds.size()
                    + " user IDs, stripped " + cleaned.thirdPartyCertifications() + " third-party and " + cleaned.invalidSignatures() + " invalid signatures");
        }
        Map<String, Status> statuses = new LinkedHashMap<>();
        java.util.Set<String> carried = java.util.Set.copyOf(cleaned.userIds());
        List<StoredKey.UserId> answered = userIds.stream().filter(u -> carried.contains(u.text())).toList();
        for (StoredKey.UserId userId : answered) {
            if (userId.published()) {
                statuses.put(userId.text(), Status.PUBLISHED);
            } else if (userId.address().isEmpty()) {
                statuses.put(userId.text(), Status.UNPUBLISHED);
            } else {
                statuses.put(userId.text(), Status.PENDING);
            }
        }
        if (interactive) {
            for (String address : answered.stream().filter(u -> !u.published()).flatMap(u -> u.address().stream()).distinct().toList()) {
                if (mailRequests.allow(UploadLimiter.sourceOf(source.get()), clock.instant())) {
                    requestVerification(fingerprint, address);
                } else {
                    audit.record("keyserver.verify.mail", "mailbox:" + address, Outcome.DENIED, "the uploading client " + source.get() + " used its "
                            + MAIL_REQUESTS_PER_HOUR + " mails of the hour; request-verify later");
                }
            }
        }
        return new Uploaded(fingerprint, statuses, cleaned);
    }

    /** Mails a verification link for {@code address} on the key, unless one went out recently; false when held back. */
    public boolean requestVerification(String fingerprint, String address) {
        return mailToken(KeyserverStore.Purpose.PUBLISH, Optional.of(fingerprint), address, "Publish your OpenPGP key for " + address,
                "Someone uploaded the OpenPGP key " + fingerprint + " with your address " + address + ".\nTo make it findable by your address, open this link",
                "If this was not you, ignore this mail: nothing is published without it.", "/api/keyserver/verify");
    }

    /** Mails the owner of {@code address} a link that takes all their user IDs off the published keys (rate-limited like verification). */
    public boolean requestUnpublish(String address, String source) {
        String normalised = MailAddress.normalise(address);
        requireMailBudget(source);
        if (store.byAddress(normalised).isEmpty()) {
            return false;
        }
        return mailToken(KeyserverStore.Purpose.UNPUBLISH, Optional.empty(), normalised, "Remove your address from the keyserver",
                "Someone asked to stop publishing OpenPGP keys under your address " + normalised + ".\nTo remove it from every key here, open this link",
                "If this was not you, ignore this mail: nothing changes without it.", "/api/keyserver/unpublish");
    }

    /** Requests that make the server send mail are limited per client, whatever address they name. */
    public void requireMailBudget(String source) {
        if (!mailRequests.allow(UploadLimiter.sourceOf(source), clock.instant())) {
            throw audit.refusal("keyserver.mail.request", "source:" + source, ErrorType.TOO_MANY_REQUESTS, "more than " + MAIL_REQUESTS_PER_HOUR
                    + " requests for mail from " + source + " in the last hour; try again later");
        }
    }

    public KeyLimits limits() {
        return limits;
    }

    private boolean mailToken(KeyserverStore.Purpose purpose, Optional<String> fingerprint, String address, String subject, String text, String footer, String path) {
        Instant now = clock.instant();
        String action = purpose == KeyserverStore.Purpose.PUBLISH ? "keyserver.verify.mail" : "keyserver.unpublish.mail";
        if (store.tokensSince(address, purpose, now.minus(MAIL_INTERVAL)) > 0 || store.tokensSince(address, purpose, now.minus(Duration.ofDays(1))) >= MAILS_PER_DAY) {
            audit.record(action, "mailbox:" + address, Outcome.DENIED, "rate limit: a mail went out to this address recently");
            return false;
        }
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        store.insertToken(Sha256.hex(token), purpose, fingerprint, address, now, now.plus(tokenTtl));
        String link = publicUrl.toString().replaceAll("/+$", "") + path + "?token=" + token;
        try {
            mail.send(address, subject, text + " within " + tokenTtl.toHours() + " hours:\n\n" + link + "\n\n" + footer + "\n");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not send the keyserver mail to " + address, e);
        }
        audit.record(action, "mailbox:" + address, Outcome.ALLOWED, fingerprint.map(f -> "key " + f).orElse("all keys"));
        return true;
    }

    /** Publishes the user IDs of the token's address on its key. */
    public StoredKey verify(String token) {
        Instant now = clock.instant();
        KeyserverStore.Token used = store.useToken(Sha256.hex(token == null ? "" : token), KeyserverStore.Purpose.PUBLISH, now)
                .orElseThrow(() -> audit.refusal("keyserver.verify", "token", ErrorType.NOT_FOUND, "this verification link is unknown, used or expired"));
        StoredKey key = used.keyFingerprint().flatMap(store::byFingerprint).orElseThrow(() -> new LetterlockException(ErrorType.GONE, "the key was deleted"));
        StoredKey published = republish(key, u -> u.address().equals(Optional.of(used.address())) && !u.published()
                ? new StoredKey.UserId(u.text(), u.address(), Optional.of(now)) : u);
        audit.record("keyserver.verify", "key:" + key.fingerprint(), Outcome.ALLOWED, "published mailbox:" + used.address());
        return published;
    }

    /** Takes the token's address off every key that publishes it; returns the keys changed. */
    public List<StoredKey> unpublish(String token) {
        Instant now = clock.instant();
        KeyserverStore.Token used = store.useToken(Sha256.hex(token == null ? "" : token), KeyserverStore.Purpose.UNPUBLISH, now)
                .orElseThrow(() -> audit.refusal("keyserver.unpublish", "token", ErrorType.NOT_FOUND, "this link is unknown, used or expired"));
        List<StoredKey> changed = new ArrayList<>();
        for (StoredKey key : store.byAddress(used.address())) {
            changed.add(republish(key, u -> u.address().equals(Optional.of(used.address())) ? new StoredKey.UserId(u.text(), u.address(), Optional.empty()) : u));
            audit.record("keyserver.unpublish", "key:" + key.fingerprint(), Outcome.ALLOWED, "unpublished mailbox:" + used.address());
        }
        return changed;
    }

    /** Rewrites the key's user IDs with {@code change}, reading it again if another save came first. */
    private StoredKey republish(StoredKey key, java.util.function.UnaryOperator<StoredKey.UserId> change) {
        StoredKey current = key;
        for (int attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
            Instant now = now();
            List<StoredKey.UserId> userIds = current.userIds().stream().map(change).toList();
            StoredKey updated = record(OpenPgpKeys.read(current.fullKey(), KeyLimits.UNLIMITED).get(0), userIds, current.uploadedAt(), now);
            if (save(updated, Optional.of(current.updatedAt()))) {
                return updated;
            }
            String fingerprint = current.fingerprint();
            current = store.byFingerprint(fingerprint).filter(k -> k.fingerprint().equals(fingerprint))
                    .orElseThrow(() -> new LetterlockException(ErrorType.GONE, "key " + fingerprint + " was deleted"));
        }
        throw new LetterlockException(ErrorType.CONFLICT, "key " + key.fingerprint() + " keeps changing; try the link again");
    }

    /** Times kept at the database's precision, so a saved time compares equal when read back. */
    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    /** An administrator's removal; with {@code block}, the fingerprint can never be uploaded again. */
    public void delete(String fingerprint, boolean block, String reason, String by) {
        String wanted = fingerprint.trim().replaceFirst("^(?i)0x", "").toUpperCase(Locale.ROOT);
        if (!wanted.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
            throw audit.refusal("keyserver.delete", "key:" + fingerprint, ErrorType.BAD_REQUEST, "name the key by its fingerprint (40 or 64 hex digits)");
        }
        boolean deleted = store.delete(wanted, now());
        published.evict(List.of(wanted));
        if (block) {
            store.block(wanted, by, reason == null || reason.isBlank() ? "(no reason given)" : reason.strip(), clock.instant());
        }
        if (!deleted && !block) {
            throw audit.refusal("keyserver.delete", "key:" + wanted, ErrorType.NOT_FOUND, "no key " + wanted);
        }
        audit.record(block ? "keyserver.block" : "keyserver.delete", "key:" + wanted, Outcome.ALLOWED, (deleted ? "deleted" : "not stored") + (reason == null ? ""
                : ": " + reason));
    }

    /** {@link KeyserverStore#save}, and this node's copy of the published key dropped. */
    private boolean save(StoredKey key, Optional<Instant> expectedUpdatedAt) {
        boolean saved = store.save(key, expectedUpdatedAt);
        if (saved) {
            published.evict(List.of(key.fingerprint()));
        }
        return saved;
    }

    /**
     * Drops this node's copies of keys that any node saved or deleted since the last call (with a margin for clocks
     * that differ a little between nodes); the runtime calls it every {@value #FOLLOW_SECONDS} s.
     */
    public void followChanges() {
        Instant now = clock.instant();
        java.util.Set<String> changed = store.changedSince(followedUntil.minus(CLOCK_MARGIN));
        if (!changed.isEmpty()) {
            published.evict(changed);
        }
        followedUntil = now;
    }

    private static StoredKey record(PGPPublicKeyRing full, List<StoredKey.UserId> userIds, Instant uploadedAt, Instant now) {
        PGPPublicKey primary = full.getPublicKey();
        List<String> publishedTexts = userIds.stream().filter(StoredKey.UserId::published).map(StoredKey.UserId::text).toList();
        byte[] published = OpenPgpKeys.binary(OpenPgpKeys.view(full, publishedTexts::contains));
        List<StoredKey.Subkey> subkeys = new ArrayList<>();
        Iterator<PGPPublicKey> keys = full.getPublicKeys();
        keys.next();
        keys.forEachRemaining(k -> subkeys.add(new StoredKey.Subkey(OpenPgpKeys.fingerprint(k), OpenPgpKeys.keyId(k))));
        long validSeconds = primary.getValidSeconds();
        Instant created = primary.getCreationTime().toInstant();
        return new StoredKey(OpenPgpKeys.fingerprint(primary), OpenPgpKeys.keyId(primary), primary.getVersion(), primary.getAlgorithm(), primary.getBitStrength(),
                created, validSeconds > 0 ? Optional.of(created.plusSeconds(validSeconds)) : Optional.empty(), primary.hasRevocation(), OpenPgpKeys.binary(full),
                published, uploadedAt, now, userIds, subkeys);
    }

    // ---- lookups: the published view only

    /**
     * The published view of the key whose primary fingerprint (40 or 64 upper-case hex digits) this is, ASCII-armored as
     * lookups serve it, from memory when it was served lately; empty for anything else, a subkey's fingerprint included
     * ({@link #byId} finds those).
     */
    public Optional<byte[]> armoredKey(String primaryFingerprint) {
        return published.get(primaryFingerprint, fingerprint -> store.publishedKey(fingerprint)
                .map(binary -> OpenPgpKeys.armored(List.of(binary)).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** By fingerprint (primary or subkey; 40 or 64 hex digits, optional 0x) or key ID (16 hex digits). */
    public List<StoredKey> byId(String id) {
        String hex = id.trim().replaceFirst("^(?i)0x", "").replace(" ", "").toUpperCase(Locale.ROOT);
        if (hex.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
            return store.byFingerprint(hex).stream().toList();
        }
        if (hex.matches("[0-9A-F]{16}")) {
            return store.byKeyId(hex);
        }
        if (hex.matches("[0-9A-F]{8}")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "short key IDs (8 hex digits) collide too easily; ask by fingerprint or 16-digit key ID");
        }
        throw new LetterlockException(ErrorType.BAD_REQUEST, "'" + id + "' is not a fingerprint (40 or 64 hex digits) or key ID (16 hex digits)");
    }

    public List<StoredKey> byAddress(String address) {
        return store.byPublishedAddress(MailAddress.normalise(address));
    }

    /** WKD: the keys published for the mailbox whose local part hashes to {@code hash} in {@code domain}. */
    public List<StoredKey> byWkd(String domain, String hash) {
        if (!hash.matches("[ybndrfg8ejkmcpqxot1uwisza345h769]{32}")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a WKD hash is 32 z-base-32 characters");
        }
        return store.byWkd(domain.toLowerCase(Locale.ROOT), hash);
    }

    /**
     * The DANE zone fragment of a domain: OPENPGPKEY records (RFC 7929) of its published addresses, SMIMEA records
     * (RFC 8162) of the certificates the CA publishes for its verified mailboxes ({@code verifiedMailboxesIn} lists them
     * for a domain; {@code certificates} answers only for verified mailboxes and only with valid certificates).
     */
    public String daneZone(String domain, Function<String, List<String>> verifiedMailboxesIn, PublishedCertificates certificates) {
        String wanted = domain == null ? "" : domain.trim().toLowerCase(Locale.ROOT);
        if (!wanted.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "name a DNS domain, e.g. ?domain=example.org");
        }
        Map<String, List<IssuedCertificate>> published = new LinkedHashMap<>();
        for (String mailbox : verifiedMailboxesIn.apply(wanted)) {
            published.put(mailbox, certificates.publishedFor(mailbox));
        }
        return DaneRecords.zone(wanted, store.publishedInDomain(wanted), published);
    }
}
