package org.letterlock.enroll.acme;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.letterlock.platform.store.TestDatabases;

class PostgresAcmeOrderStatesTest extends AcmeOrderStatesConformance {
    private final TestDatabases.PostgresSchema schema = new TestDatabases.PostgresSchema();

    @Override
    protected Map<String, String> database() {
        return schema.settings();
    }

    @AfterAll
    void dropSchema() {
        schema.drop();
    }
}
