package org.letterlock.platform.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * Databases for the store conformance suites: a fresh H2 file database per suite, and a fresh schema in the
 * PostgreSQL test database that {@code ./letterlock test} starts (LETTERLOCK_TEST_PG_URL / _USER / _PASSWORD).
 * A missing PostgreSQL fails the suite with what to run; it is never skipped silently.
 */
public final class TestDatabases {
    private TestDatabases() {
    }

    public static Map<String, String> h2(java.nio.file.Path dir) {
        return Map.of("letterlock.db.url", "jdbc:h2:file:" + dir.resolve("db").resolve("test") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
    }

    /** Drops a schema made by {@link #postgresql()}; the test database is kept between runs. */
    public static void dropPostgresqlSchema(String url) {
        int at = url.indexOf("currentSchema=");
        if (at < 0) {
            return;
        }
        String schema = url.substring(at + "currentSchema=".length());
        try (Connection connection = DriverManager.getConnection(System.getenv("LETTERLOCK_TEST_PG_URL"), System.getenv("LETTERLOCK_TEST_PG_USER"),
                System.getenv("LETTERLOCK_TEST_PG_PASSWORD"));
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test schema " + schema + ": " + e.getMessage(), e);
        }
    }

    public static Map<String, String> postgresql() {
        String url = System.getenv("LETTERLOCK_TEST_PG_URL");
        String user = System.getenv("LETTERLOCK_TEST_PG_USER");
        String password = System.getenv("LETTERLOCK_TEST_PG_PASSWORD");
        if (url == null || user == null || password == null) {
            throw new IllegalStateException("PostgreSQL tests need LETTERLOCK_TEST_PG_URL, _USER and _PASSWORD: run ./letterlock test as root, which starts PostgreSQL and sets them");
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection connection = DriverManager.getConnection(url, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the PostgreSQL test database at " + url + ": " + e.getMessage(), e);
        }
        return Map.of(
                "letterlock.db.url", url + "?currentSchema=" + schema,
                "letterlock.db.user", user,
                "letterlock.db.password-source", "env:LETTERLOCK_TEST_PG_PASSWORD");
    }

    /** One test's fresh PostgreSQL schema: made by {@link #settings()}, dropped by {@link #drop()} after the test. */
    public static final class PostgresSchema {
        private String url;

        public Map<String, String> settings() {
            Map<String, String> settings = postgresql();
            url = settings.get("letterlock.db.url");
            return settings;
        }

        public void drop() {
            if (url != null) {
                dropPostgresqlSchema(url);
            }
        }
    }
}
