package org.letterlock.escrow;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.letterlock.platform.store.TestDatabases;

class PostgresEscrowTest extends EscrowConformance {
    private final TestDatabases.PostgresSchema schema = new TestDatabases.PostgresSchema();

    @Override
    protected Map<String, String> database(Path dbDir) {
        return schema.settings();
    }

    @AfterEach
    void dropSchema() {
        schema.drop();
    }
}
