package org.letterlock.escrow;

import java.nio.file.Path;
import java.util.Map;
import org.letterlock.platform.store.TestDatabases;

class H2EscrowTest extends EscrowConformance {
    @Override
    protected Map<String, String> database(Path dbDir) {
        return TestDatabases.h2(dbDir);
    }
}
