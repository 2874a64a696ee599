package org.letterlock.enroll;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.identity.MailboxIdentities;
import org.letterlock.platform.identity.MailboxIdentity;
import org.letterlock.platform.mail.MailSender;
import org.letterlock.platform.secret.VaultSeal;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.store.Transaction;

/**
 * One-time enrollment secrets, the proof of mailbox ownership for EST and CMP: an ra-officer makes one and hands it
 * over, or anyone asks for one to be mailed to a verified mailbox, which only its holder reads. A secret is spent by
 * its first successful use and expires unused. A client that tried too many wrong secrets for a mailbox is refused for
 * a while (429) before any is checked; its failures are its own, so nobody can cancel a mailbox's secrets by guessing
 * in its name. Each step is audited; the secret itself never is.
 */
public final class EnrollmentSecrets {
    /** 20 characters of 32 (100 bits), in groups of four: typed by a person from a mail, never guessed online. */
    private static final char[] ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    private static final int SECRET_CHARS = 20;
    private static final Duration MAIL_WINDOW = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a client's wrong secrets for a mailbox count against it. */
    static final Duration FAILURE_WINDOW = Duration.ofMinutes(15);

    private final Jdbc jdbc;
    private final VaultSeal seal;
    private final MailboxIdentities identities;
    private final MailSender mail;
    private final AuditRecorder audit;
    private final Clock clock;
    private final Settings settings;
    private final org.letterlock.platform.web.FailureWindow failures;

    /**
     * @param ttl             lifetime of an unused secret
     * @param mailsPerHour    secrets mailed to one mailbox per hour at most
     * @param attempts        wrong secrets one client may try for one mailbox within {@link #FAILURE_WINDOW}
     * @param instructions    what the mail says beside the secret: where and how to enroll
     */
    public record Settings(Duration ttl, int mailsPerHour, int attempts, String instructions) {
    }

    /** A secret just made: shown to its holder once. */
    public record NewSecret(String id, String mailbox, char[] secret, Instant expiresAt) {
    }

    /** An open secret of a mailbox, opened for a protocol that needs the secret itself (CMP's MAC). */
    public record OpenSecret(String id, String mailbox, char[] secret) {
    }

    public EnrollmentSecrets(DataSource dataSource, VaultSeal seal, MailboxIdentities identities, MailSender mail, AuditRecorder audit, Clock clock, Settings settings) {
        this.jdbc = new Jdbc(dataSource);
        this.seal = seal;
        this.identities = identities;
        this.mail = mail;
        this.audit = audit;
        this.clock = clock;
        this.settings = settings;
        this.failures = new org.letterlock.platform.web.FailureWindow(settings.attempts(), FAILURE_WINDOW);
    }

    /** A secret an ra-officer ({@code officer}) hands to the mailbox's holder. */
    public NewSecret issue(String mailboxValue, String officer) {
        String mailbox = address(mailboxValue);
        NewSecret made = store(mailbox, "officer", officer, Optional.empty()).orElseThrow();
        audit.record("enroll.secret.issue", "mailbox:" + mailbox, Outcome.ALLOWED, "secret " + made.id() + " for the officer to hand over, valid until " + made.expiresAt());
        return made;
    }

    /**
     * Mails a secret to {@code mailbox} if it is a verified mailbox here. Returns whether one was sent; callers answer
     * the same either way, so nobody learns which addresses exist. Past the hourly limit for a mailbox nothing is sent.
     */
    public boolean mail(String mailboxValue) {
        String mailbox = address(mailboxValue);
        Optional<MailboxIdentity> identity = identities.find(mailbox);
        if (identity.isEmpty() || !identity.get().verified()) {
            audit.record("enroll.secret.mail", "mailbox:" + mailbox, Outcome.DENIED, "not a verified mailbox here; nothing sent");
            return false;
        }
        Optional<NewSecret> stored = store(mailbox, "mail", "mailbox holder", Optional.of(settings.mailsPerHour()));
        if (stored.isEmpty()) {
            // Not a 429: only verified mailboxes ever reach the limit, so refusing would tell who has one here.
            audit.record("enroll.secret.mail", "mailbox:" + mailbox, Outcome.DENIED, settings.mailsPerHour()
                    + " enrollment secrets were mailed to this mailbox within the hour; nothing sent");
            return false;
        }
        NewSecret made = stored.get();
        try {
            mail.send(mailbox, "Your certificate enrollment secret", """
                    Someone (we hope you) asked for a secret to enroll S/MIME certificates for %s.

                    Enrollment secret: %s

                    It works once and expires at %s. %s

                    If you did not ask for it, ignore this mail: the secret is useless without access to your mailbox.
                    """.formatted(mailbox, new String(made.secret()), made.expiresAt(), settings.instructions()));
        } finally {
            Arrays.fill(made.secret(), '\0');
        }
        audit.record("enroll.secret.mail", "mailbox:" + mailbox, Outcome.ALLOWED, "secret " + made.id() + " mailed, valid until " + made.expiresAt());
        return true;
    }

    /**
     * Spends the open secret of {@code mailbox} that {@code presented} is, for {@code protocol}, tried by
     * {@code client} (its address). A wrong secret counts against that client and is refused (UNAUTHORIZED) with one
     * message whatever was wrong, so the answer tells an attacker nothing.
     */
    public String redeem(String mailboxValue, char[] presented, String protocol, String client) {
        return spend(address(mailboxValue), check(mailboxValue, presented, protocol, client), protocol);
    }

    /**
     * The id of the open secret of {@code mailbox} that {@code presented} is, not spent: a protocol authenticates the
     * client with it before it looks anything up for the mailbox, and spends it with {@link #spend} once the request
     * passed its checks. A wrong secret counts and is refused as in {@link #redeem}.
     */
    public String check(String mailboxValue, char[] presented, String protocol, String client) {
        String mailbox = address(mailboxValue);
        requireTriesLeft(mailbox, protocol, client);
        byte[] digest = digest(presented);
        Instant now = clock.instant();
        List<String> matching = jdbc.query("SELECT id, digest FROM enroll_secret WHERE mailbox = ? AND used_at IS NULL AND expires_at > ?", s -> {
            s.setString(1, mailbox);
            s.setObject(2, Jdbc.utc(now));
        }, row -> MessageDigest.isEqual(row.getBytes(2), digest) ? row.getString(1) : null).stream().filter(id -> id != null).toList();
        if (matching.isEmpty()) {
            throw failed(mailbox, protocol, client);
        }
        matched(mailbox, client);
        return matching.get(0);
    }

    /**
     * The open secrets of {@code mailbox}, opened for {@code client}: for a protocol that checks a MAC keyed by the
     * secret and then calls {@link #matched} and {@link #spend}, or {@link #failed}. Refused (TOO_MANY_REQUESTS) while the
     * client has no tries left for the mailbox; the try counts as a wrong one until {@link #matched}.
     */
    public List<OpenSecret> open(String mailboxValue, String protocol, String client) {
        String mailbox = address(mailboxValue);
        requireTriesLeft(mailbox, protocol, client);
        Instant now = clock.instant();
        List<OpenSecret> open = new ArrayList<>();
        jdbc.query("SELECT id, sealed FROM enroll_secret WHERE mailbox = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC", s -> {
            s.setString(1, mailbox);
            s.setObject(2, Jdbc.utc(now));
        }, row -> new Object[] {row.getString(1), row.getBytes(2)}).forEach(row -> {
            String id = (String) row[0];
            byte[] plain = seal.open((byte[]) row[1], associatedData(id, mailbox), "enrollment secret " + id);
            open.add(new OpenSecret(id, mailbox, new String(plain, StandardCharsets.UTF_8).toCharArray()));
            Arrays.fill(plain, (byte) 0);
        });
        return open;
    }

    /**
     * Secret {@code id} of {@code mailbox} opened again if {@code protocol} spent it no longer than {@code within} ago:
     * CMP protects the confirmation of an enrollment with the secret that paid for it (RFC 9483 4.1.1).
     */
    public Optional<char[]> reopen(String mailbox, String id, String protocol, Duration within) {
        Instant since = clock.instant().minus(within);
        return jdbc.query("SELECT sealed FROM enroll_secret WHERE id = ? AND mailbox = ? AND used_by = ? AND used_at > ?", s -> {
            s.setString(1, id);
            s.setString(2, mailbox);
            s.setString(3, protocol);
            s.setObject(4, Jdbc.utc(since));
        }, row -> row.getBytes(1)).stream().findFirst().map(sealed -> {
            byte[] plain = seal.open(sealed, associatedData(id, mailbox), "enrollment secret " + id);
            char[] secret = new String(plain, StandardCharsets.UTF_8).toCharArray();
            Arrays.fill(plain, (byte) 0);
            return secret;
        });
    }

    /** Spends secret {@code id} of {@code mailbox}; refused when another request spent it first. Returns the id. */
    public String spend(String mailbox, String id, String protocol) {
        int spent = jdbc.update("UPDATE enroll_secret SET used_at = ?, used_by = ? WHERE id = ? AND mailbox = ? AND used_at IS NULL", s -> {
            s.setObject(1, Jdbc.utc(clock.instant()));
            s.setString(2, protocol);
            s.setString(3, id);
            s.setString(4, mailbox);
        });
        if (spent == 0) {
            throw audit.refusal("enroll.secret.use", "mailbox:" + mailbox, ErrorType.UNAUTHORIZED, "the enrollment secret was used already");
        }
        audit.record("enroll.secret.use", "mailbox:" + mailbox, Outcome.ALLOWED, "secret " + id + " spent by " + protocol);
        return id;
    }

    /**
     * The open secret {@code client} tried for {@code mailbox} after {@link #open} matched: the try no longer counts
     * against the client.
     */
    public void matched(String mailbox, String client) {
        failures.succeeded(client + " " + mailbox);
    }

    /**
     * Audits a wrong secret for {@code mailbox} from {@code client} and returns the error to throw. The try counted
     * against the client from its start ({@link #check}, {@link #open}), so tries made at once cannot pass the limit
     * together.
     */
    public LetterlockException failed(String mailbox, String protocol, String client) {
        return audit.refusal("enroll.secret.use", "mailbox:" + mailbox, ErrorType.UNAUTHORIZED,
                "no open enrollment secret of " + mailbox + " matches (" + protocol + " from " + client + "); ask for a new one if it expired or was used");
    }

    /** Starts a try of {@code client} for {@code mailbox}, counted as wrong until it matches; refused when none are left. */
    private void requireTriesLeft(String mailbox, String protocol, String client) {
        if (!failures.begin(client + " " + mailbox)) {
            throw audit.refusal("enroll.secret.use", "mailbox:" + mailbox, ErrorType.TOO_MANY_REQUESTS, settings.attempts() + " wrong enrollment secrets for "
                    + mailbox + " came from " + client + " (" + protocol + ") within " + FAILURE_WINDOW.toMinutes() + " minutes; try again later");
        }
    }

    /**
     * Stores a new secret for {@code mailbox}; with {@code mailedPerHour}, only while fewer secrets than that were
     * mailed to it within the hour. The count and the insert run under the mailbox's identity row lock, so requests at
     * once cannot all pass the same count; the secret is sealed (a vault call, audited) before the lock is taken, and a
     * request already over the limit never takes it.
     */
    private Optional<NewSecret> store(String mailbox, String origin, String by, Optional<Integer> mailedPerHour) {
        Instant now = clock.instant();
        try {
            if (mailedPerHour.isPresent()) {
                try (java.sql.Connection connection = jdbc.dataSource().getConnection()) {
                    if (mailedWithinTheHour(connection, mailbox, now) >= mailedPerHour.get()) {
                        return Optional.empty();
                    }
                }
            }
            String id = HexFormat.of().formatHex(randomBytes(16));
            Instant expires = now.plus(settings.ttl());
            char[] secret = newSecret();
            byte[] plain = new String(secret).getBytes(StandardCharsets.UTF_8);
            byte[] sealed = seal.seal(plain, associatedData(id, mailbox));
            Arrays.fill(plain, (byte) 0);
            return Transaction.run(jdbc.dataSource(), connection -> {
                if (mailedPerHour.isPresent()) {
                    identities.lock(connection, mailbox);
                    if (mailedWithinTheHour(connection, mailbox, now) >= mailedPerHour.get()) {
                        return Optional.<NewSecret>empty();
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO enroll_secret (id, mailbox, digest, sealed, origin, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    insert.setString(1, id);
                    insert.setString(2, mailbox);
                    insert.setBytes(3, digest(secret));
                    insert.setBytes(4, sealed);
                    insert.setString(5, origin);
                    insert.setString(6, by);
                    insert.setObject(7, Jdbc.utc(now));
                    insert.setObject(8, Jdbc.utc(expires));
                    insert.executeUpdate();
                }
                return Optional.of(new NewSecret(id, mailbox, secret, expires));
            });
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** Secrets mailed to {@code mailbox} in the hour before {@code now}. */
    private static long mailedWithinTheHour(java.sql.Connection connection, String mailbox, Instant now) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM enroll_secret WHERE mailbox = ? AND origin = 'mail' AND created_at > ?")) {
            return Jdbc.query(count, b -> {
                b.setString(1, mailbox);
                b.setObject(2, Jdbc.utc(now.minus(MAIL_WINDOW)));
            }, row -> row.getLong(1)).get(0);
        }
    }

    /** The form people type: groups of four, any case, with or without the hyphens. */
    static String canonical(char[] presented) {
        StringBuilder canonical = new StringBuilder(presented.length);
        for (char c : presented) {
            if (c != '-' && c != ' ') {
                canonical.append(Character.toUpperCase(c));
            }
        }
        return canonical.toString();
    }

    private static byte[] digest(char[] secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(canonical(secret).getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static char[] newSecret() {
        StringBuilder secret = new StringBuilder();
        for (int i = 0; i < SECRET_CHARS; i++) {
            if (i > 0 && i % 4 == 0) {
                secret.append('-');
            }
            secret.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return secret.toString().toCharArray();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static byte[] associatedData(String id, String mailbox) {
        return (id + "\n" + mailbox).getBytes(StandardCharsets.UTF_8);
    }

    private static String address(String value) {
        return MailAddress.normalise(value);
    }
}
