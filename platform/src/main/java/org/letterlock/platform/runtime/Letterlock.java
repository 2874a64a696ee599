package org.letterlock.platform.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.audit.AuditCheckpoints;
import org.letterlock.platform.audit.AuditLog;
import org.letterlock.platform.audit.AuditVerifier;
import org.letterlock.platform.audit.AuditedKeyVault;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.MailboxIdentities;
import org.letterlock.platform.identity.PasswordHasher;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.mail.FileMailSender;
import org.letterlock.platform.mail.MailSender;
import org.letterlock.platform.mail.MailStreams;
import org.letterlock.platform.mail.SmtpMailSender;
import org.letterlock.platform.store.Database;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.SecretFiles;

/**
 * The platform put together from configuration: vault, database, audit log, identities and accounts. The server and
 * the command-line tools start it the same way, so first-start work (token, schema, audit key, first administrator)
 * happens wherever Letterlock is started first.
 */
public final class Letterlock implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Letterlock.class.getName());

    private final LetterlockConfig config;
    private final KeyVault rawVault;
    private final Database database;
    private final AuditLog auditLog;
    private final AuditedKeyVault vault;
    private final AdminAccounts admins;
    private final MailboxIdentities identities;
    private final MailSender mail;
    private final Clock clock;
    private final Optional<Path> initialCredential;

    private Letterlock(LetterlockConfig config, KeyVault rawVault, Database database, Clock clock) {
        this.config = config;
        this.rawVault = rawVault;
        this.database = database;
        AuditCheckpoints checkpoints = new AuditCheckpoints(database.dataSource(), rawVault, config.auditKey());
        boolean newAuditKey = !rawVault.contains(config.auditKey());
        checkpoints.ensureKey(config.auditKeySpec());
        this.auditLog = new AuditLog(database.auditDataSource(), clock, checkpoints, config.auditCheckpointEvery(), config.auditCheckpointInterval());
        if (newAuditKey) {
            auditLog.record("vault.create-key", config.auditKey().toString(), Outcome.ALLOWED, config.auditKeySpec().configName() + " (audit checkpoints)");
        }
        this.vault = new AuditedKeyVault(rawVault, auditLog, clock);
        this.admins = new AdminAccounts(database.dataSource(), new PasswordHasher(), auditLog, clock);
        this.clock = clock;
        this.mail = mailSender(config);
        this.identities = new MailboxIdentities(database.dataSource(), mail, auditLog, clock, config.verificationTokenTtl(), config.publicUrl());
        this.initialCredential = createFirstAdministrator();
    }

    /** Opens everything, migrating the schema and creating first-start state; closes what it opened if a step fails. */
    public static Letterlock start(LetterlockConfig config) {
        return start(config, Clock.systemUTC());
    }

    public static Letterlock start(LetterlockConfig config, Clock clock) {
        MailStreams.nameProvider();
        KeyVault vault = KeyVaults.open(config.vault());
        Database database = null;
        try {
            database = Database.open(config);
            database.migrate();
            return new Letterlock(config, vault, database, clock);
        } catch (RuntimeException e) {
            if (database != null) {
                database.close();
            }
            vault.close();
            throw e;
        }
    }

    private static MailSender mailSender(LetterlockConfig config) {
        return config.mailTransport().equals("smtp")
                ? new SmtpMailSender(config.smtpHost(), config.smtpPort(), config.smtpStartTls(), config.mailFrom())
                : new FileMailSender(config.dataDir().resolve("outbox"), config.mailFrom());
    }

    private Optional<Path> createFirstAdministrator() {
        Path file = credentialFile(config.dataDir());
        if (!admins.isEmpty()) {
            return Files.exists(file) ? Optional.of(file) : Optional.empty();
        }
        // The file is written before the account exists: an account whose only password never reached disk would lock everyone out.
        char[] password = SecretFiles.randomSecret();
        try {
            SecretFiles.writeOwnerOnly(file, "# Letterlock's first administrator (role ca-admin). Log in, create your own accounts, then delete this file.\n"
                    + "username=" + config.initialAdmin() + "\npassword=" + new String(password) + "\n");
        } catch (IOException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "could not write the first administrator's credential to " + file + ": " + e.getMessage(), e);
        }
        try {
            admins.create(config.initialAdmin(), EnumSet.of(Role.CA_ADMIN), Optional.of(password));
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // The account was not made; a stale credential file is harmless and overwritten next start.
            }
            throw e;
        }
        LOG.info("first administrator '" + config.initialAdmin() + "' created; credential in " + file);
        return Optional.of(file);
    }

    public static Path credentialFile(Path dataDir) {
        return dataDir.resolve("secrets").resolve("admin-credential");
    }

    public LetterlockConfig config() {
        return config;
    }

    /** The audited vault: every use lands in the audit log. */
    public AuditedKeyVault vault() {
        return vault;
    }

    public Database database() {
        return database;
    }

    public AuditLog auditLog() {
        return auditLog;
    }

    public AuditVerifier auditVerifier() {
        return new AuditVerifier(database.dataSource(), rawVault.publicKey(config.auditKey()), (long) config.auditCheckpointEvery() + AuditLog.MAX_BATCH);
    }

    public AdminAccounts admins() {
        return admins;
    }

    public MailboxIdentities identities() {
        return identities;
    }

    /** How Letterlock's own mail (verification links, notices) leaves. */
    public MailSender mail() {
        return mail;
    }

    public Clock clock() {
        return clock;
    }

    /** Where the first administrator's credential file is, while it exists. */
    public Optional<Path> initialCredential() {
        return initialCredential;
    }

    /** Closes everything even when one part fails: a database left open would keep the H2 file locked in this JVM. */
    @Override
    public void close() {
        RuntimeException failure = null;
        // Their counts go to the audit log, so the leases end while it is open.
        vault.endSignatureLeases();
        for (AutoCloseable part : new AutoCloseable[] {mail, auditLog, database, rawVault}) {
            try {
                part.close();
            } catch (Exception | LinkageError e) {
                LOG.log(Level.SEVERE, "closing " + part.getClass().getSimpleName() + " failed", e);
                if (failure == null) {
                    failure = new IllegalStateException("closing Letterlock failed: " + e, e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
