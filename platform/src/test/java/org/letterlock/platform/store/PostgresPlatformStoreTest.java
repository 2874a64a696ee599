package org.letterlock.platform.store;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

class PostgresPlatformStoreTest extends PlatformStoreConformance {
    private String url;

    @Override
    protected Map<String, String> database(Path dataDir) {
        Map<String, String> settings = TestDatabases.postgresql();
        url = settings.get("letterlock.db.url");
        return settings;
    }

    @AfterEach
    void dropSchema() {
        TestDatabases.dropPostgresqlSchema(url);
    }
}
