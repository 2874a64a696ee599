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

    public static LetterlockException of(SQLException e) {
        // SQLSTATE class 22: data exception (a value the column cannot hold).
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
            return new LetterlockException(ErrorType.BAD_REQUEST, "a value in the request cannot be stored (too long or not allowed characters)");
        }
        LOG.log(Level.SEVERE, "database error", e);
        return new LetterlockException(ErrorType.UNAVAILABLE, "the database is not available; the log has the details", e);
    }
}
