package org.letterlock.enroll;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.letterlock.platform.store.TestDatabases;

class PostgresEnrollmentSecretsTest extends EnrollmentSecretsConformance {
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
