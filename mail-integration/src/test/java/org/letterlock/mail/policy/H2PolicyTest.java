package org.letterlock.mail.policy;

import java.nio.file.Path;
import java.util.Map;
import org.letterlock.platform.store.TestDatabases;

class H2PolicyTest extends PolicyConformance {
    @Override
    protected Map<String, String> database(Path dataDir) {
        return TestDatabases.h2(dataDir);
    }
}
