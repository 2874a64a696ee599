package org.letterlock.keyserver;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.letterlock.keyserver.store.JdbcKeyserverStore;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;

/** A platform on a test database (memory vault, outbox in the data folder) and a keyserver on it, as every keyserver test needs. */
final class TestKeyservers {
    private TestKeyservers() {
    }

    static Letterlock platform(Map<String, String> database, Path dataDir, MovableClock clock) {
        Map<String, String> settings = new HashMap<>(database);
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        return Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
    }

    static Keyserver keyserver(Letterlock platform, MovableClock clock) {
        return new Keyserver(new JdbcKeyserverStore(platform.database().dataSource()), platform.mail(), platform.auditLog(), clock,
                URI.create("http://keys.example.org"), KeyLimits.DEFAULT, Duration.ofHours(48));
    }
}
