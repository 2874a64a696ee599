package org.letterlock.platform.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.Causes;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The connection pools to H2 or PostgreSQL, and the modules' schema migrations. The audit log's writer has a small
 * pool of its own: work that holds a connection (and perhaps a row lock) while it waits for its audit record to be
 * written must never wait for a connection the writer needs.
 */
public final class Database implements AutoCloseable {
    /** The audit writer appends batches one at a time; a second connection serves reads of the log. */
    private static final int AUDIT_POOL_SIZE = 2;

    private final HikariDataSource dataSource;
    private final HikariDataSource auditDataSource;
    private final List<SchemaModule> modules;

    private Database(HikariDataSource dataSource, HikariDataSource auditDataSource, List<SchemaModule> modules) {
        this.dataSource = dataSource;
        this.auditDataSource = auditDataSource;
        this.modules = modules;
    }

    public static Database open(LetterlockConfig config) {
        return open(config.dbUrl(), config.dbUser(), config.dbPassword().map(s -> new String(s.read())).orElse(""), config.dbPoolSize());
    }

    public static Database open(String url, String user, String password, int poolSize) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(url);
        hikari.setUsername(user);
        hikari.setPassword(password);
        hikari.setMaximumPoolSize(poolSize);
        hikari.setMinimumIdle(Math.min(2, poolSize));
        hikari.setPoolName("letterlock");
        hikari.setInitializationFailTimeout(10_000);
        hikari.setDriverClassName(url.startsWith("jdbc:h2:") ? "org.h2.Driver" : "org.postgresql.Driver");
        HikariConfig audit = new HikariConfig();
        hikari.copyStateTo(audit);
        audit.setPoolName("letterlock-audit");
        audit.setMaximumPoolSize(AUDIT_POOL_SIZE);
        audit.setMinimumIdle(0);
        // The main pool has just proved the database reachable.
        audit.setInitializationFailTimeout(-1);
        try {
            List<SchemaModule> modules = new ArrayList<>();
            ServiceLoader.load(SchemaModule.class, Database.class.getClassLoader()).forEach(modules::add);
            modules.sort(Comparator.comparingInt(SchemaModule::order));
            HikariDataSource main = new HikariDataSource(hikari);
            try {
                return new Database(main, new HikariDataSource(audit), modules);
            } catch (RuntimeException e) {
                main.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "cannot connect to database " + redact(url) + ": " + Causes.rootMessage(e)
                    + "; check letterlock.db.url, letterlock.db.user and letterlock.db.password-source", e);
        }
    }

    private volatile boolean migrated;

    /** Applies every module's pending migrations. */
    public void migrate() {
        for (SchemaModule module : modules) {
            try {
                flyway(module).migrate();
            } catch (FlywayException e) {
                throw new LetterlockException(ErrorType.UNAVAILABLE, "schema migration of module " + module.name() + " failed: " + e.getMessage(), e);
            }
        }
        migrated = true;
    }

    /** True once this process applied every module's migrations; cheap enough for a readiness probe. */
    public boolean migrated() {
        return migrated;
    }

    /** Names of modules with migrations not yet applied; empty when the schema is current. */
    public List<String> pendingMigrations() {
        List<String> pending = new ArrayList<>();
        for (SchemaModule module : modules) {
            if (flyway(module).info().pending().length > 0) {
                pending.add(module.name());
            }
        }
        return pending;
    }

    public boolean reachable() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The audit log's own pool. */
    public DataSource auditDataSource() {
        return auditDataSource;
    }

    public String product() {
        return dataSource.getJdbcUrl().startsWith("jdbc:h2:") ? "H2" : "PostgreSQL";
    }

    public String describe() {
        return product() + " " + redact(dataSource.getJdbcUrl());
    }

    private Flyway flyway(SchemaModule module) {
        return Flyway.configure(SchemaModule.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/migration/" + module.name())
                .table("flyway_history_" + module.name())
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load();
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }


    @Override
    public void close() {
        auditDataSource.close();
        dataSource.close();
    }
}
