package org.letterlock.ca;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.letterlock.platform.store.TestDatabases;

class PostgresCaTest extends CaConformance {
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
