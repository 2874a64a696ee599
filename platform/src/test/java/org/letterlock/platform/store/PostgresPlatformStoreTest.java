package org.letterlock.platform.store;

import java.nio.file.Path;
import java.util.Map;

class PostgresPlatformStoreTest extends PlatformStoreConformance {
    @Override
    protected Map<String, String> database(Path dataDir) {
        return TestDatabases.postgresql();
    }
}
