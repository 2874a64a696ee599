package org.letterlock.enroll.acme;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.AcmeEnrollSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.mail.MailSender;
import org.letterlock.platform.store.Jdbc;

/**
 * ACME accounts and orders in their tables, and the email-reply-00 challenge's state: the challenge mail goes out when
 * the order is made; the challenge turns valid once the client has responded to it (POST to its URL) and an
 * authenticated reply with the right key authorization digest has arrived, in either order.
 */
final class AcmeOrders {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String ORDER_COLUMNS = "o.id, o.account_id, o.mailbox, o.status, o.authz_status, o.challenge_status, o.token_part1, o.token_part2, "
            + "o.message_id, o.reply_verified, o.validated_at, o.error, o.serial, o.created_at, o.expires_at, a.thumbprint";

    /** The parameters {@link #completion} leaves to bind: four expiry checks, then the validation time. */
    private static final int COMPLETION_PARAMETERS = 5;
    /** What {@link #respond} reads back of the row it changed. */
    private static final String[] CHALLENGE_COLUMNS = {"challenge_status", "authz_status", "status", "validated_at", "reply_verified"};
    private static final String OPEN_CHALLENGE = "WHERE id = ? AND challenge_status IN ('pending', 'processing')";
    private static final String RESPOND = "UPDATE acme_order SET " + completion("reply_verified", "'processing'") + OPEN_CHALLENGE;
    private static final String REPLY_VERIFIED = "UPDATE acme_order SET reply_verified = TRUE, "
            + completion("challenge_status = 'processing'", "challenge_status") + OPEN_CHALLENGE;

    private final Jdbc jdbc;
    private final MailSender mail;
    private final AuditRecorder audit;
    private final Clock clock;
    private final AcmeEnrollSettings settings;
    private final AccountKeys keys;

    AcmeOrders(Jdbc jdbc, MailSender mail, AuditRecorder audit, Clock clock, AcmeEnrollSettings settings,
               Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        this.keys = new AccountKeys(AccountKeys.CAPACITY, verifiers);
        this.jdbc = jdbc;
        this.mail = mail;
        this.audit = audit;
        this.clock = clock;
        this.settings = settings;
    }

    record Account(String id, AccountKey key, String status, String contact) {
        boolean valid() {
            return status.equals("valid");
        }
    }

    /** An order with the account that made it, as both are stored now. */
    record OwnedOrder(Account account, Order order) {
    }

    /** One order with its authorization and challenge; statuses as stored, {@link #orderStatus} etc. as a client sees them now. */
    record Order(String id, String accountId, String mailbox, String status, String authzStatus, String challengeStatus, String tokenPart1,
                 String tokenPart2, String messageId, boolean replyVerified, Optional<Instant> validatedAt, Optional<String> error,
                 Optional<String> serial, Instant createdAt, Instant expiresAt, String accountThumbprint) {
        /** The proof this order's authenticated reply makes of its mailbox: what issuance and the reply's records name. */
        org.letterlock.enroll.EnrollmentProof proof() {
            return new org.letterlock.enroll.EnrollmentProof(mailbox, "acme-email-reply", id);
        }


        boolean expired(Instant now) {
            return !now.isBefore(expiresAt);
        }

        Order withChallenge(String newChallengeStatus, String newAuthzStatus, String newStatus, Optional<Instant> newValidatedAt, boolean newReplyVerified) {
            return new Order(id, accountId, mailbox, newStatus, newAuthzStatus, newChallengeStatus, tokenPart1, tokenPart2, messageId, newReplyVerified,
                    newValidatedAt, error, serial, createdAt, expiresAt, accountThumbprint);
        }

        /** The order once finalized with the certificate {@code issued}. */
        Order finalizedWith(BigInteger issued) {
            return new Order(id, accountId, mailbox, "valid", authzStatus, challengeStatus, tokenPart1, tokenPart2, messageId, replyVerified,
                    validatedAt, error, Optional.of(issued.toString(16)), createdAt, expiresAt, accountThumbprint);
        }

        String orderStatus(Instant now) {
            return expired(now) && !status.equals("valid") ? "invalid" : status;
        }

        String authzStatus(Instant now) {
            return expired(now) && authzStatus.equals("pending") ? "expired" : authzStatus;
        }

        /** RFC 8823 section 3: base64url(SHA-256(token-part1 || token-part2 "." thumbprint)), what the reply must carry. */
        String expectedResponse() {
            try {
                return BASE64URL.encodeToString(MessageDigest.getInstance("SHA-256")
                        .digest((tokenPart1 + tokenPart2 + "." + accountThumbprint).getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * The account as stored now, read for every request: its status and key may have changed on another node. Only the
     * decoding of its key is saved ({@link AccountKeys}).
     */
    Optional<Account> account(String id) {
        return jdbc.query("SELECT id, jwk, status, contact FROM acme_account WHERE id = ?", s -> s.setString(1, id), this::account).stream().findFirst();
    }

    Optional<Account> accountByThumbprint(String thumbprint) {
        return jdbc.query("SELECT id, jwk, status, contact FROM acme_account WHERE thumbprint = ?", s -> s.setString(1, thumbprint), this::account)
                .stream().findFirst();
    }

    /**
     * The account of {@code key}, made now if there is none; the boolean says whether it was made. One statement either
     * way for a new key: the insert itself finds the key taken, by this or another request.
     */
    Map.Entry<Account, Boolean> createAccount(AccountKey key, String contact) {
        String id = randomId();
        int made = jdbc.update("INSERT INTO acme_account (id, thumbprint, jwk, contact, status, created_at) VALUES (?, ?, ?, ?, 'valid', ?) ON CONFLICT DO NOTHING", s -> {
            s.setString(1, id);
            s.setString(2, key.thumbprint());
            s.setString(3, key.jwk());
            s.setString(4, contact);
            s.setObject(5, Jdbc.utc(clock.instant()));
        });
        if (made == 0) {
            // The key has an account, made by this or another request; or, should the key have moved to another account
            // in a key change since, none: the client tries again.
            return Map.entry(accountByThumbprint(key.thumbprint()).orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE,
                    "the account's key changed while it was stored; try again")), false);
        }
        Account account = new Account(id, key, "valid", contact);
        keys.keep(id, key);
        audit.recordAsync(new AuditEvent(Actor.current(), "enroll.acme.account", "acme-account:" + id,
                Outcome.ALLOWED, key.algorithm() + " key " + key.thumbprint() + (contact == null ? "" : ", contact " + contact)));
        return Map.entry(account, true);
    }

    Account updateAccount(Account account, String contact, boolean deactivate) {
        String status = deactivate ? "deactivated" : account.status();
        jdbc.update("UPDATE acme_account SET contact = ?, status = ? WHERE id = ?", s -> {
            s.setString(1, contact);
            s.setString(2, status);
            s.setString(3, account.id());
        });
        Account updated = new Account(account.id(), account.key(), status, contact);
        if (deactivate) {
            keys.forget(account.id());
            audit.record("enroll.acme.account", "acme-account:" + account.id(), Outcome.ALLOWED, "deactivated by its holder");
        }
        return updated;
    }

    /**
     * Replaces the account's key with {@code newKey} if the row still holds the key the request was checked with and the
     * account is still valid; empty when not (changed or deactivated meanwhile, on any node). A key another account
     * holds fails as a storage conflict.
     */
    Optional<Account> changeKey(Account account, AccountKey newKey) {
        int changed = jdbc.update("UPDATE acme_account SET thumbprint = ?, jwk = ? WHERE id = ? AND thumbprint = ? AND status = 'valid'", s -> {
            s.setString(1, newKey.thumbprint());
            s.setString(2, newKey.jwk());
            s.setString(3, account.id());
            s.setString(4, account.key().thumbprint());
        });
        if (changed == 0) {
            return Optional.empty();
        }
        keys.keep(account.id(), newKey);
        audit.record("enroll.acme.key-change", "acme-account:" + account.id(), Outcome.ALLOWED, account.key().algorithm() + " key "
                + account.key().thumbprint() + " replaced by " + newKey.algorithm() + " key " + newKey.thumbprint());
        return Optional.of(new Account(account.id(), newKey, account.status(), account.contact()));
    }

    /** Makes an order for {@code mailbox} and mails its challenge there. */
    /** Orders, so challenge mails, one mailbox gets within an hour, whoever asks: nobody mails a stranger on and on through us. */
    static final int ORDERS_PER_MAILBOX_PER_HOUR = 5;
    /** Orders one account makes within an hour. */
    static final int ORDERS_PER_ACCOUNT_PER_HOUR = 100;

    /** A new pending order, its challenge mailed; TOO_MANY_REQUESTS past the limits. */
    Order newOrder(Account account, String mailbox) {
        Instant now = clock.instant();
        Instant hourAgo = now.minus(java.time.Duration.ofHours(1));
        long forMailbox = jdbc.query("SELECT COUNT(*) FROM acme_order WHERE mailbox = ? AND created_at > ?", s -> {
            s.setString(1, mailbox);
            s.setObject(2, Jdbc.utc(hourAgo));
        }, row -> row.getLong(1)).get(0);
        if (forMailbox >= ORDERS_PER_MAILBOX_PER_HOUR) {
            throw new LetterlockException(ErrorType.TOO_MANY_REQUESTS, ORDERS_PER_MAILBOX_PER_HOUR + " orders for " + mailbox
                    + " were made within the hour; answer one of their challenges, or try again later");
        }
        long byAccount = jdbc.query("SELECT COUNT(*) FROM acme_order WHERE account_id = ? AND created_at > ?", s -> {
            s.setString(1, account.id());
            s.setObject(2, Jdbc.utc(hourAgo));
        }, row -> row.getLong(1)).get(0);
        if (byAccount >= ORDERS_PER_ACCOUNT_PER_HOUR) {
            throw new LetterlockException(ErrorType.TOO_MANY_REQUESTS, "this account made " + ORDERS_PER_ACCOUNT_PER_HOUR + " orders within the hour; try again later");
        }
        String id = randomId();
        String tokenPart1 = randomToken();
        String tokenPart2 = randomToken();
        String messageId = "<" + id + "." + tokenPart2 + "@" + settings.from().substring(settings.from().lastIndexOf('@') + 1) + ">";
        Instant expires = now.plus(settings.orderTtl());
        jdbc.update("INSERT INTO acme_order (id, account_id, mailbox, status, authz_status, challenge_status, token_part1, token_part2, message_id, created_at, "
                + "expires_at) VALUES (?, ?, ?, 'pending', 'pending', 'pending', ?, ?, ?, ?, ?)", s -> {
            s.setString(1, id);
            s.setString(2, account.id());
            s.setString(3, mailbox);
            s.setString(4, tokenPart1);
            s.setString(5, tokenPart2);
            s.setString(6, messageId);
            s.setObject(7, Jdbc.utc(now));
            s.setObject(8, Jdbc.utc(expires));
        });
        mail.send(mailbox, "ACME: " + tokenPart1, """
                This message proves to the certificate authority that you hold %s.

                Your mail program should answer it on its own. If it does not, ignore this message: no certificate is
                issued unless an authenticated reply with the right response reaches us before %s.
                """.formatted(mailbox, expires), Map.of("From", settings.from(), "Message-ID", messageId, "Auto-Submitted", "auto-generated; type=acme"));
        return new Order(id, account.id(), mailbox, "pending", "pending", "pending", tokenPart1, tokenPart2, messageId, false, Optional.empty(),
                Optional.empty(), Optional.empty(), now, expires, account.key().thumbprint());
    }

    Optional<Order> order(String id) {
        return jdbc.query("SELECT " + ORDER_COLUMNS + " FROM acme_order o JOIN acme_account a ON a.id = o.account_id WHERE o.id = ?",
                s -> s.setString(1, id), AcmeOrders::order).stream().findFirst();
    }

    /** The order {@code id} and its account in one read, for a request that names both. */
    Optional<OwnedOrder> orderWithAccount(String id) {
        return jdbc.query("SELECT " + ORDER_COLUMNS + ", a.jwk, a.status, a.contact FROM acme_order o JOIN acme_account a ON a.id = o.account_id WHERE o.id = ?",
                s -> s.setString(1, id), row -> new OwnedOrder(new Account(row.getString(2), keys.of(row.getString(2), row.getString(17)), row.getString(18),
                        row.getString(19)), order(row))).stream().findFirst();
    }

    Optional<Order> orderByTokenPart1(String tokenPart1) {
        return jdbc.query("SELECT " + ORDER_COLUMNS + " FROM acme_order o JOIN acme_account a ON a.id = o.account_id WHERE o.token_part1 = ?",
                s -> s.setString(1, tokenPart1), AcmeOrders::order).stream().findFirst();
    }

    List<String> orderIds(String accountId) {
        return jdbc.query("SELECT id FROM acme_order WHERE account_id = ? ORDER BY created_at DESC LIMIT 1000", s -> s.setString(1, accountId), row -> row.getString(1));
    }

    /** Whether {@code accountId} ordered the certificate with {@code serial}. */
    boolean orderedCertificate(String accountId, BigInteger serial) {
        return !jdbc.query("SELECT 1 FROM acme_order WHERE account_id = ? AND serial = ?", s -> {
            s.setString(1, accountId);
            s.setString(2, serial.toString(16));
        }, row -> 1).isEmpty();
    }

    /**
     * The client responded to the challenge (RFC 8555 section 7.5.1): processing, or valid at once if the reply is in.
     * Returns the order as this response left it, or as it is now when its challenge was no longer open.
     */
    Order respond(Order order) {
        Instant now = clock.instant();
        return jdbc.updateReturning(RESPOND, CHALLENGE_COLUMNS, completionParameters(now, order), row -> order.withChallenge(row.getString(1), row.getString(2),
                row.getString(3), Optional.ofNullable(Jdbc.instant(row, 4)), row.getBoolean(5))).stream().findFirst()
                .or(() -> order(order.id())).orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "order " + order.id() + " is gone"));
    }

    /** An authenticated reply with the right response arrived for {@code order}: valid at once if the client responded. */
    void replyVerified(Order order) {
        jdbc.update(REPLY_VERIFIED, completionParameters(clock.instant(), order));
    }

    /**
     * The SET clauses that make the challenge, its authorization and the order valid and ready when {@code condition}
     * holds of the row as it was, the order is pending and not expired; else the challenge becomes
     * {@code challengeOtherwise}. Each event completes the order in the same statement that records it, so the row lock
     * orders it against the other: whichever comes second sees the first.
     */
    private static String completion(String condition, String challengeOtherwise) {
        String when = "CASE WHEN " + condition + " AND status = 'pending' AND expires_at > ? THEN ";
        return "challenge_status = " + when + "'valid' ELSE " + challengeOtherwise + " END, "
                + "authz_status = " + when + "'valid' ELSE authz_status END, "
                + "status = " + when + "'ready' ELSE status END, "
                + "validated_at = " + when + "? ELSE validated_at END ";
    }

    private static Jdbc.Binder completionParameters(Instant now, Order order) {
        return s -> {
            for (int i = 1; i <= COMPLETION_PARAMETERS; i++) {
                s.setObject(i, Jdbc.utc(now));
            }
            s.setString(COMPLETION_PARAMETERS + 1, order.id());
        };
    }

    /** The challenge failed: it, its authorization and the order are invalid, with {@code problem} as the challenge's error. */
    void invalidate(Order order, AcmeProblem problem) {
        jdbc.update("UPDATE acme_order SET challenge_status = 'invalid', authz_status = 'invalid', status = 'invalid', error = ? "
                + "WHERE id = ? AND challenge_status IN ('pending', 'processing')", s -> {
            s.setString(1, problem.json());
            s.setString(2, order.id());
        });
    }

    /** The holder gave up the authorization (RFC 8555 section 7.5.2). */
    void deactivate(Order order) {
        jdbc.update("UPDATE acme_order SET authz_status = 'deactivated', status = 'invalid' WHERE id = ? AND authz_status IN ('pending', 'valid')",
                s -> s.setString(1, order.id()));
    }

    /** Takes the ready order for finalization; false when another request took it or it is not ready. */
    boolean startFinalizing(Order order) {
        return jdbc.update("UPDATE acme_order SET status = 'processing' WHERE id = ? AND status = 'ready' AND expires_at > ?", s -> {
            s.setString(1, order.id());
            s.setObject(2, Jdbc.utc(clock.instant()));
        }) == 1;
    }

    /**
     * The order holds the certificate {@code serial}, if it is still being finalized: empty when its holder deactivated
     * the authorization meanwhile. The order's other fields cannot have changed while it was processing.
     */
    Optional<Order> finalized(Order order, BigInteger serial) {
        int changed = jdbc.update("UPDATE acme_order SET status = 'valid', serial = ? WHERE id = ? AND status = 'processing'", s -> {
            s.setString(1, serial.toString(16));
            s.setString(2, order.id());
        });
        return changed == 1 ? Optional.of(order.finalizedWith(serial)) : Optional.empty();
    }

    /** Finalization refused the CSR: the order is ready again for a better one. */
    void finalizeRefused(Order order) {
        jdbc.update("UPDATE acme_order SET status = 'ready' WHERE id = ? AND status = 'processing'", s -> s.setString(1, order.id()));
    }

    AcmeEnrollSettings settings() {
        return settings;
    }

    Clock clock() {
        return clock;
    }

    private Account account(ResultSet row) throws SQLException {
        return new Account(row.getString(1), keys.of(row.getString(1), row.getString(2)), row.getString(3), row.getString(4));
    }

    private static Order order(ResultSet row) throws SQLException {
        return new Order(row.getString(1), row.getString(2), row.getString(3), row.getString(4), row.getString(5), row.getString(6), row.getString(7),
                row.getString(8), row.getString(9), row.getBoolean(10), Optional.ofNullable(Jdbc.instant(row, 11)), Optional.ofNullable(row.getString(12)),
                Optional.ofNullable(row.getString(13)), Jdbc.instant(row, 14), Jdbc.instant(row, 15), row.getString(16));
    }

    private static String randomId() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }

    /** 128 bits, base64url: RFC 8823 asks at least that much entropy of each token part. */
    private static String randomToken() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }
}
