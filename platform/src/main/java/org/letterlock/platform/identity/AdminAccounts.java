package org.letterlock.platform.identity;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.vault.SecretFiles;

/** Administrator accounts: names, roles and Argon2id password hashes. Every change is audited. */
public final class AdminAccounts {
    private static final String NAME_PATTERN = "[a-z0-9][a-z0-9._-]{0,99}";

    private final DataSource dataSource;
    private final PasswordHasher hasher;
    private final AuditRecorder audit;
    private final Clock clock;
    /** Checked against when the name is unknown, so a wrong name costs what a wrong password costs. */
    private final String unknownAccountHash;

    public AdminAccounts(DataSource dataSource, PasswordHasher hasher, AuditRecorder audit, Clock clock) {
        this.dataSource = dataSource;
        this.hasher = hasher;
        this.audit = audit;
        this.clock = clock;
        this.unknownAccountHash = hasher.hash(SecretFiles.randomSecret());
    }

    /** A created account and its password, which is shown this once and stored only as a hash. */
    public record Created(AdminAccount account, char[] password) {
    }

    public Created create(String name, Set<Role> roles, Optional<char[]> chosenPassword) {
        if (name == null || !name.matches(NAME_PATTERN)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "account name must match " + NAME_PATTERN + ", got '" + name + "'");
        }
        if (roles.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "an account needs at least one role of " + Arrays.stream(Role.values()).map(Role::id).toList());
        }
        char[] password = chosenPassword.orElseGet(SecretFiles::randomSecret);
        if (password.length < 12) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "passwords must have at least 12 characters");
        }
        OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
        // On record before it is made: an audit log that cannot take the record stops the change, never the other way round.
        audit.record("admin.create", "admin:" + name, Outcome.ALLOWED, "roles " + encode(roles));
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO admin_account (name, password_hash, roles, created_at, disabled) SELECT ?, ?, ?, ?, FALSE WHERE NOT EXISTS (SELECT 1 FROM admin_account WHERE name = ?)")) {
            insert.setString(1, name);
            insert.setString(2, hasher.hash(password));
            insert.setString(3, encode(roles));
            insert.setObject(4, now);
            insert.setString(5, name);
            if (insert.executeUpdate() == 0) {
                throw notDone("admin.create", name, new LetterlockException(ErrorType.CONFLICT, "account '" + name + "' exists already"));
            }
        } catch (SQLException e) {
            throw notDone("admin.create", name, StorageFailure.duplicateKey(e) ? new LetterlockException(ErrorType.CONFLICT, "account '" + name + "' exists already")
                    : StorageFailure.of(e));
        }
        return new Created(new AdminAccount(name, EnumSet.copyOf(roles), now.toInstant(), false), password);
    }

    /** The account if the name and password match an enabled account; empty otherwise (no hint which part was wrong). */
    public Optional<AdminAccount> authenticate(String name, char[] password) {
        return login(name, password).map(Login::account);
    }

    /** An account a password was checked for, and the stored hash it matched. */
    public record Login(AdminAccount account, String checkedHash) {
    }

    /** As {@link #authenticate}, with the stored hash the password matched, so that {@link #stillValid} can check it again cheaply. */
    public Optional<Login> login(String name, char[] password) {
        Optional<Login> stored = stored(name);
        if (stored.isEmpty()) {
            hasher.verify(password, unknownAccountHash);
            return Optional.empty();
        }
        return stored.filter(s -> hasher.verify(password, s.checkedHash()) && !s.account().disabled());
    }

    /**
     * A login made earlier, its account read again without hashing the password again: present while the account is
     * enabled and still holds the hash the password matched; empty once it is disabled, gone, or made again with
     * another password.
     */
    public Optional<Login> stillValid(Login earlier) {
        return stored(earlier.account().name()).filter(s -> s.checkedHash().equals(earlier.checkedHash()) && !s.account().disabled());
    }

    public Optional<AdminAccount> find(String name) {
        return stored(name).map(Login::account);
    }

    /** The account named {@code name} as stored, with its password hash. */
    private Optional<Login> stored(String name) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT name, password_hash, roles, created_at, disabled FROM admin_account WHERE name = ?")) {
            query.setString(1, name);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? Optional.of(new Login(read(row), row.getString(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    public List<AdminAccount> list() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT name, password_hash, roles, created_at, disabled FROM admin_account ORDER BY name");
             ResultSet row = query.executeQuery()) {
            List<AdminAccount> accounts = new ArrayList<>();
            while (row.next()) {
                accounts.add(read(row));
            }
            return accounts;
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    public boolean isEmpty() {
        return list().isEmpty();
    }

    public void disable(String name) {
        audit.record("admin.disable", "admin:" + name, Outcome.ALLOWED, "");
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement("UPDATE admin_account SET disabled = TRUE WHERE name = ?")) {
            update.setString(1, name);
            if (update.executeUpdate() == 0) {
                throw notDone("admin.disable", name, new LetterlockException(ErrorType.NOT_FOUND, "no account '" + name + "'"));
            }
        } catch (SQLException e) {
            throw notDone("admin.disable", name, StorageFailure.of(e));
        }
    }

    /** The record that follows an ALLOWED one whose change was not made after all. */
    private LetterlockException notDone(String action, String name, LetterlockException why) {
        try {
            audit.record(action, "admin:" + name, Outcome.FAILED, "not done: " + why.getMessage());
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        }
        return why;
    }

    private static AdminAccount read(ResultSet row) throws SQLException {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String id : row.getString(3).split(",")) {
            if (!id.isBlank()) {
                roles.add(Role.fromId(id));
            }
        }
        return new AdminAccount(row.getString(1), roles, row.getObject(4, OffsetDateTime.class).toInstant(), row.getBoolean(5));
    }

    private static String encode(Set<Role> roles) {
        return roles.stream().sorted().map(Role::id).collect(Collectors.joining(","));
    }

}
