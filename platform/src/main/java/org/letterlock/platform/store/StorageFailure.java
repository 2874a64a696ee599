package org.letterlock.platform.store;

import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The one mapping of a database failure to an error callers see: bad data is their 400, anything else a 503 whose
 * detail names no database internals (the log has them).
 */
public final class StorageFailure {
    private static final Logger LOG = Logger.getLogger(StorageFailure.class.getName());

    private StorageFailure() {
    }

    /**
     * A unique or primary key refused the row: SQLSTATE 23505; or, on H2, 90131, which H2 raises instead when the
     * other row is still uncommitted (two nodes inserting the same key at once).
     */
    public static boolean duplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState()) || "90131".equals(e.getSQLState());
    }

    public static LetterlockException of(SQLException e) {
        // SQLSTATE class 22: data exception (a value the column cannot hold).
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
            return new LetterlockException(ErrorType.BAD_REQUEST, "a value in the request cannot be stored (too long or not allowed characters)");
        }
        LOG.log(Level.SEVERE, "database error", e);
        return new LetterlockException(ErrorType.UNAVAILABLE, "the database is not available; the log has the details", e);
    }
}
