package org.letterlock.mail.policy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.platform.store.StorageFailure;

/**
 * The recipient rules, read for every recipient of every message: kept in memory and read again from the database
 * when older than {@link #REFRESH} (so a change on another node applies within it) and at once after a change here.
 */
public final class PolicyBook {
    static final Duration REFRESH = Duration.ofSeconds(10);

    private record Snapshot(Map<String, RecipientRule> rules, Instant readAt) {
    }

    private final Jdbc jdbc;
    private final AuditRecorder audit;
    private final Clock clock;
    private volatile Snapshot snapshot;

    public PolicyBook(javax.sql.DataSource dataSource, AuditRecorder audit, Clock clock) {
        this.jdbc = new Jdbc(dataSource);
        this.audit = audit;
        this.clock = clock;
    }

    /** The rule for a recipient: its mailbox's, else its domain's, else the organisation's, else the built-in default. */
    public RecipientRule ruleFor(String recipient) {
        Map<String, RecipientRule> rules = current();
        String mailbox = MailboxSyntax.normalized(recipient);
        return Optional.ofNullable(rules.get(mailbox))
                .or(() -> Optional.ofNullable(rules.get(MailboxSyntax.domainOf(recipient))))
                .or(() -> Optional.ofNullable(rules.get(RecipientRule.ORGANISATION)))
                .orElseGet(RecipientRule::organisationDefault);
    }

    public List<RecipientRule> list() {
        return current().values().stream().sorted(Comparator.comparing(RecipientRule::scope)).toList();
    }

    /** Sets the rule of a scope (created or replaced), audited. */
    public RecipientRule set(String scopeValue, String encryption, String withoutKey, String passwordFormat, boolean sign, String externalSources, String by) {
        String scope = RecipientRule.scopeOf(scopeValue);
        RecipientRule rule = new RecipientRule(scope, RecipientRule.parse(RecipientRule.Encryption.class, encryption, "encryption"),
                RecipientRule.parse(RecipientRule.WithoutKey.class, withoutKey == null ? "clear" : withoutKey, "withoutKey"),
                RecipientRule.parse(RecipientRule.PasswordFormat.class, passwordFormat == null ? "cms" : passwordFormat, "passwordFormat"),
                sign, RecipientRule.sources(externalSources), clock.instant(), by);
        try (Connection connection = jdbc.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            int changed;
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE gateway_policy SET encryption = ?, without_key = ?, password_format = ?, updated_at = ?, updated_by = ?, sign = ?, external_sources = ? WHERE scope = ?")) {
                bind(update, rule);
                update.setString(8, scope);
                changed = update.executeUpdate();
            }
            if (changed == 0) {
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO gateway_policy (encryption, without_key, password_format, updated_at, updated_by, sign, external_sources, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    bind(insert, rule);
                    insert.setString(8, scope);
                    insert.executeUpdate();
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
        snapshot = null;
        audit.record("gateway.policy.set", "policy:" + scope, Outcome.ALLOWED, "encryption " + RecipientRule.label(rule.encryption()) + ", without key " + RecipientRule.label(rule.withoutKey())
                + ", password format " + RecipientRule.label(rule.passwordFormat()) + (rule.sign() ? ", signed" : "")
                + (rule.externalSources().isEmpty() ? "" : ", external keys from " + RecipientRule.sourcesLabel(rule.externalSources())));
        return rule;
    }

    /** Removes a scope's rule, so it inherits the next level's; false when it had none. */
    public boolean remove(String scopeValue) {
        String scope = RecipientRule.scopeOf(scopeValue);
        boolean removed = jdbc.update("DELETE FROM gateway_policy WHERE scope = ?", s -> s.setString(1, scope)) > 0;
        snapshot = null;
        if (removed) {
            audit.record("gateway.policy.remove", "policy:" + scope, Outcome.ALLOWED, "inherits the next level");
        }
        return removed;
    }

    private static void bind(PreparedStatement statement, RecipientRule rule) throws SQLException {
        statement.setString(1, RecipientRule.label(rule.encryption()));
        statement.setString(2, RecipientRule.label(rule.withoutKey()));
        statement.setString(3, RecipientRule.label(rule.passwordFormat()));
        statement.setObject(4, Jdbc.utc(rule.updatedAt()));
        statement.setString(5, rule.updatedBy());
        statement.setBoolean(6, rule.sign());
        statement.setString(7, RecipientRule.sourcesLabel(rule.externalSources()));
    }

    private Map<String, RecipientRule> current() {
        Snapshot held = snapshot;
        Instant now = clock.instant();
        if (held != null && held.readAt().plus(REFRESH).isAfter(now)) {
            return held.rules();
        }
        Map<String, RecipientRule> rules = jdbc.query("SELECT scope, encryption, without_key, password_format, sign, external_sources, updated_at, updated_by FROM gateway_policy", s -> {
        }, row -> new RecipientRule(row.getString(1), RecipientRule.parse(RecipientRule.Encryption.class, row.getString(2), "encryption"),
                RecipientRule.parse(RecipientRule.WithoutKey.class, row.getString(3), "without_key"),
                RecipientRule.parse(RecipientRule.PasswordFormat.class, row.getString(4), "password_format"), row.getBoolean(5), RecipientRule.sources(row.getString(6)),
                Jdbc.instant(row, 7), row.getString(8)))
                .stream().collect(Collectors.toUnmodifiableMap(RecipientRule::scope, Function.identity()));
        snapshot = new Snapshot(rules, now);
        return rules;
    }
}
