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

    /** A keyserver on H2 in {@code dataDir} with its HKP listener on a free loopback port; closed after each test. */
    static final class WithHkp implements AutoCloseable {
        final Letterlock platform;
        final Keyserver keyserver;
        final org.letterlock.keyserver.web.HkpListener listener;
        /** gpg's and sq's keyserver URL for the listener. */
        final String hkp;

        WithHkp(Path dataDir, MovableClock clock) throws java.io.IOException {
            platform = platform(org.letterlock.platform.store.TestDatabases.h2(dataDir), dataDir, clock);
            keyserver = keyserver(platform, clock);
            org.letterlock.keyserver.web.HkpProtocol protocol = new org.letterlock.keyserver.web.HkpProtocol(keyserver);
            listener = org.letterlock.keyserver.web.HkpListener.start(new java.net.InetSocketAddress("127.0.0.1", 0), () -> protocol);
            hkp = "hkp://127.0.0.1:" + listener.address().getPort();
        }

        @Override
        public void close() {
            listener.close();
            platform.close();
        }
    }

    static Keyserver keyserver(Letterlock platform, MovableClock clock) {
        return new Keyserver(new JdbcKeyserverStore(platform.database().dataSource()), platform.mail(), platform.auditLog(), clock,
                URI.create("http://keys.example.org"), KeyLimits.DEFAULT, Duration.ofHours(48));
    }
}
