package org.letterlock.platform.identity;

import java.net.URI;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.store.Transaction;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.mail.MailSender;

/**
 * Mailbox identities and their proof of ownership: a single-use token, valid for a configured time, mailed to the
 * address. Only the token's SHA-256 is stored.
 */
public final class MailboxIdentities {
    private final DataSource dataSource;
    private final MailSender mail;
    private final AuditRecorder audit;
    private final Clock clock;
    private final Duration tokenTtl;
    private final URI publicUrl;
    private final SecureRandom random = new SecureRandom();

    public MailboxIdentities(DataSource dataSource, MailSender mail, AuditRecorder audit, Clock clock, Duration tokenTtl, URI publicUrl) {
        this.dataSource = dataSource;
        this.mail = mail;
        this.audit = audit;
        this.clock = clock;
        this.tokenTtl = tokenTtl;
        this.publicUrl = publicUrl;
    }

    /** Registers {@code address} for {@code owner} (or finds it, if the owner matches) and mails a fresh verification token. */
    public MailboxIdentity register(String address, String owner) {
        String mailbox = MailAddress.normalise(address);
        requireOwnerName(owner);
        Instant now = clock.instant();
        Registered registered;
        try {
            registered = Transaction.run(dataSource, connection -> {
                Optional<MailboxIdentity> existing = find(connection, mailbox);
                if (existing.isPresent() && !existing.get().owner().equals(owner)) {
                    throw new LetterlockException(ErrorType.CONFLICT, mailbox + " is registered to another owner");
                }
                if (existing.isEmpty()) {
                    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO mailbox_identity (address, owner, created_at) VALUES (?, ?, ?)")) {
                        insert.setString(1, mailbox);
                        insert.setString(2, owner);
                        insert.setObject(3, now.atOffset(ZoneOffset.UTC));
                        insert.executeUpdate();
                    }
                }
                MailboxIdentity identity = existing.orElse(new MailboxIdentity(mailbox, owner, now, Optional.empty()));
                String token = newToken();
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO verification_token (token_hash, address, created_at, expires_at) VALUES (?, ?, ?, ?)")) {
                    insert.setString(1, sha256(token));
                    insert.setString(2, mailbox);
                    insert.setObject(3, now.atOffset(ZoneOffset.UTC));
                    insert.setObject(4, now.plus(tokenTtl).atOffset(ZoneOffset.UTC));
                    insert.executeUpdate();
                }
                return new Registered(identity, token);
            });
        } catch (SQLException e) {
            if (StorageFailure.duplicateKey(e)) {
                // Registered at the same moment by another request: for this owner it now exists, so the next try finds it.
                throw new LetterlockException(ErrorType.CONFLICT, mailbox + " was just registered by another request; try again");
            }
            throw StorageFailure.of(e);
        }
        MailboxIdentity identity = registered.identity();
        String token = registered.token();
        audit.record("identity.register", "mailbox:" + mailbox, Outcome.ALLOWED, "owner " + owner);
        mail.send(mailbox, "Confirm your address for Letterlock", verificationMail(mailbox, token));
        return identity;
    }

    private record Registered(MailboxIdentity identity, String token) {
    }

    private static void requireOwnerName(String owner) {
        if (owner == null || owner.isBlank() || owner.length() > 320 || owner.codePoints().anyMatch(Character::isISOControl)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "owner must be a non-empty name of at most 320 characters without control characters");
        }
    }

    /**
     * Gives a registered mailbox to {@code owner} (its holder left, a shared box changes hands). The verification
     * stays: it proved the address reaches the mailbox, and an officer decides who holds it. The certificates issued
     * so far stay valid and are the new owner's to renew or revoke. Audited before its commit.
     */
    public MailboxIdentity transfer(String address, String owner) {
        String mailbox = MailAddress.normalise(address);
        requireOwnerName(owner);
        try {
            return Transaction.run(dataSource, connection -> {
                try (PreparedStatement lock = connection.prepareStatement("SELECT owner FROM mailbox_identity WHERE address = ? FOR UPDATE")) {
                    lock.setString(1, mailbox);
                    try (ResultSet row = lock.executeQuery()) {
                        if (!row.next()) {
                            throw new LetterlockException(ErrorType.NOT_FOUND, "no identity " + mailbox);
                        }
                        if (row.getString(1).equals(owner)) {
                            return find(connection, mailbox).orElseThrow();
                        }
                        audit.record("identity.transfer", "mailbox:" + mailbox, Outcome.ALLOWED, "owner " + row.getString(1) + " -> " + owner);
                    }
                }
                try (PreparedStatement update = connection.prepareStatement("UPDATE mailbox_identity SET owner = ? WHERE address = ?")) {
                    update.setString(1, owner);
                    update.setString(2, mailbox);
                    update.executeUpdate();
                }
                return find(connection, mailbox).orElseThrow();
            });
        } catch (SQLException e) {
            throw notDone("identity.transfer", mailbox, e);
        }
    }

    /** The FAILED record that follows an ALLOWED one whose change did not commit; returns the error to throw. */
    private LetterlockException notDone(String action, String mailbox, SQLException e) {
        LetterlockException failure = StorageFailure.of(e);
        try {
            audit.record(action, "mailbox:" + mailbox, Outcome.FAILED, "not done: " + failure.getMessage());
        } catch (RuntimeException unrecorded) {
            failure.addSuppressed(unrecorded);
        }
        return failure;
    }

    /** Why a token was refused, kept until the connection is given back, then audited. */
    private static final class Refusal extends RuntimeException {
        final String target;
        final LetterlockException error;

        Refusal(String target, LetterlockException error) {
            super(error.getMessage(), null, false, false);
            this.target = target;
            this.error = error;
        }
    }

    /** Marks the token's mailbox verified; the token is spent whether or not the mailbox was verified before. */
    public MailboxIdentity verify(String token) {
        if (token == null || !token.matches("[A-Za-z0-9_-]{20,100}")) {
            audit.record("identity.verify", "token", Outcome.DENIED, "malformed token");
            throw new LetterlockException(ErrorType.BAD_REQUEST, "that is not a verification token");
        }
        String address;
        try {
            address = spend(token);
        } catch (Refusal refusal) {
            // Audited only now: waiting on the audit writer while holding a pooled connection and a row lock
            // would let a burst of bad tokens starve the pool that the audit writer itself needs.
            audit.record("identity.verify", refusal.target, Outcome.DENIED, refusal.error.getMessage());
            throw refusal.error;
        }
        return find(address).orElseThrow();
    }

    private String spend(String token) {
        Instant now = clock.instant();
        String[] verified = {null};
        try {
            return Transaction.run(dataSource, connection -> {
                String address;
                try (PreparedStatement query = connection.prepareStatement(
                        "SELECT address, expires_at, used_at FROM verification_token WHERE token_hash = ? FOR UPDATE")) {
                    query.setString(1, sha256(token));
                    try (ResultSet row = query.executeQuery()) {
                        if (!row.next()) {
                            throw new Refusal("token", new LetterlockException(ErrorType.NOT_FOUND, "unknown verification token"));
                        }
                        address = row.getString(1);
                        if (row.getObject(3, OffsetDateTime.class) != null) {
                            throw new Refusal("mailbox:" + address, new LetterlockException(ErrorType.CONFLICT, "this verification token was used already"));
                        }
                        if (!row.getObject(2, OffsetDateTime.class).toInstant().isAfter(now)) {
                            throw new Refusal("mailbox:" + address,
                                    new LetterlockException(ErrorType.GONE, "this verification token has expired; ask for a new one"));
                        }
                    }
                }
                try (PreparedStatement spend = connection.prepareStatement("UPDATE verification_token SET used_at = ? WHERE token_hash = ?");
                     PreparedStatement mark = connection.prepareStatement("UPDATE mailbox_identity SET verified_at = ? WHERE address = ? AND verified_at IS NULL")) {
                    spend.setObject(1, now.atOffset(ZoneOffset.UTC));
                    spend.setString(2, sha256(token));
                    spend.executeUpdate();
                    mark.setObject(1, now.atOffset(ZoneOffset.UTC));
                    mark.setString(2, address);
                    mark.executeUpdate();
                }
                // On record before the commit: an audit log that cannot take it stops the verification. Only a holder
                // of a valid token gets here, so few wait on the audit writer with a connection held.
                audit.record("identity.verify", "mailbox:" + address, Outcome.ALLOWED, "");
                verified[0] = address;
                return address;
            });
        } catch (SQLException e) {
            throw verified[0] == null ? StorageFailure.of(e) : notDone("identity.verify", verified[0], e);
        }
    }

    /**
     * Locks the identity row of {@code address} until {@code connection}'s transaction ends: work for one mailbox that
     * must not run twice at once (count, then insert) takes turns on it. Nothing is locked for an address not registered.
     */
    public void lock(Connection connection, String address) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT address FROM mailbox_identity WHERE address = ? FOR UPDATE")) {
            lock.setString(1, MailAddress.normalise(address));
            try (ResultSet row = lock.executeQuery()) {
                row.next();
            }
        }
    }

    public Optional<MailboxIdentity> find(String address) {
        String mailbox = MailAddress.normalise(address);
        try (Connection connection = dataSource.getConnection()) {
            return find(connection, mailbox);
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** The verified mailboxes of {@code domain}, in address order: the addresses the organisation publishes certificates for there. */
    public List<String> verifiedIn(String domain) {
        String pattern = "%@" + domain.toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT address FROM mailbox_identity WHERE verified_at IS NOT NULL AND address LIKE ? ESCAPE '\\' ORDER BY address")) {
            query.setString(1, pattern);
            List<String> addresses = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    addresses.add(row.getString(1));
                }
            }
            return addresses;
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    private static Optional<MailboxIdentity> find(Connection connection, String mailbox) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT address, owner, created_at, verified_at FROM mailbox_identity WHERE address = ?")) {
            query.setString(1, mailbox);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                OffsetDateTime verified = row.getObject(4, OffsetDateTime.class);
                return Optional.of(new MailboxIdentity(row.getString(1), row.getString(2), row.getObject(3, OffsetDateTime.class).toInstant(),
                        Optional.ofNullable(verified).map(OffsetDateTime::toInstant)));
            }
        }
    }

    private String verificationMail(String mailbox, String token) {
        String link = publicUrl.toString().replaceAll("/+$", "") + "/api/identities/verify?token=" + token;
        return "Someone (hopefully you) asked Letterlock to confirm that " + mailbox + " is your address.\n\n"
                + "Open this link to confirm it:\n\n  " + link + "\n\n"
                + "The link works once and expires in " + tokenTtl.toHours() + " hours. If you did not ask for this, ignore this mail.\n";
    }

    private String newToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String sha256(String token) {
        return Sha256.hex(token);
    }
}
