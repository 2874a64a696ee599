package org.letterlock.platform.store;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

class PostgresPlatformStoreTest extends PlatformStoreConformance {
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
