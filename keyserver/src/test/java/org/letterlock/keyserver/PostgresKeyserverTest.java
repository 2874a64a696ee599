package org.letterlock.keyserver;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.letterlock.platform.store.TestDatabases;

class PostgresKeyserverTest extends KeyserverConformance {
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
