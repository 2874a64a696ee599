package org.letterlock.platform.identity;

import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** Database failures of the identity stores: bad data is the caller's 400, anything else a 503 whose detail names no internals. */
final class Storage {
    private static final Logger LOG = Logger.getLogger(Storage.class.getName());

    private Storage() {
    }

    static LetterlockException failure(SQLException e) {
        // SQLSTATE class 22: data exception (a value the column cannot hold).
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
            return new LetterlockException(ErrorType.BAD_REQUEST, "a value in the request cannot be stored (too long or not allowed characters)");
        }
        LOG.log(Level.SEVERE, "database error", e);
        return new LetterlockException(ErrorType.UNAVAILABLE, "the database is not available; the log has the details", e);
    }
}
