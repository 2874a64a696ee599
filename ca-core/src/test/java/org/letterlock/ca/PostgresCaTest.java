package org.letterlock.ca;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.letterlock.platform.store.TestDatabases;

class PostgresCaTest extends CaConformance {
    private final TestDatabases.PostgresSchema schema = new TestDatabases.PostgresSchema();

    @Override
    protected Map<String, String> database(Path dataDir) {
        return schema.settings();
    }

    @AfterEach
    void dropSchema() {
        schema.drop();
    }
}
