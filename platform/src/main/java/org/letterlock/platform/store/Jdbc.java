package org.letterlock.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** One statement on its own connection, its failure mapped once by {@link StorageFailure}. */
public final class Jdbc {

    @FunctionalInterface
    public interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    @FunctionalInterface
    public interface RowReader<T> {
        T read(ResultSet row) throws SQLException;
    }

    private final DataSource dataSource;

    public Jdbc(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Rows changed. */
    public int update(String sql, Binder binder) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /**
     * Runs an UPDATE (or INSERT; not DELETE, for which H2 returns no rows) and reads {@code columns} of each row it changed, as the statement left them:
     * one round trip where a read after the update would be a second one and could see a later change. PostgreSQL's
     * driver adds RETURNING; H2 gives the same rows as generated keys.
     */
    public <T> List<T> updateReturning(String sql, String[] columns, Binder binder, RowReader<T> reader) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql, columns)) {
            binder.bind(statement);
            statement.executeUpdate();
            List<T> rows = new ArrayList<>();
            try (ResultSet row = statement.getGeneratedKeys()) {
                while (row.next()) {
                    rows.add(reader.read(row));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    public <T> List<T> query(String sql, Binder binder, RowReader<T> reader) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            return query(statement, binder, reader);
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        }
    }

    /** Runs a prepared query, for callers inside a {@link Transaction}. */
    public static <T> List<T> query(PreparedStatement statement, Binder binder, RowReader<T> reader) throws SQLException {
        binder.bind(statement);
        List<T> rows = new ArrayList<>();
        try (ResultSet row = statement.executeQuery()) {
            while (row.next()) {
                rows.add(reader.read(row));
            }
        }
        return rows;
    }

    public static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    public static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
