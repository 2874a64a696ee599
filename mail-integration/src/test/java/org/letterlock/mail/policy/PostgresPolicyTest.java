package org.letterlock.mail.policy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.letterlock.platform.store.TestDatabases;

class PostgresPolicyTest extends PolicyConformance {
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
