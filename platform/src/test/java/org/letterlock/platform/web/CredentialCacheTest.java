package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.TestDatabases;

/** The login cache against real accounts on H2: a disabled account is not let in from memory once the node forgets it. */
class CredentialCacheTest {
    @TempDir
    Path dataDir;

    private Letterlock platform;

    @BeforeEach
    void start() {
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), new MovableClock());
    }

    @AfterEach
    void stop() {
        platform.close();
    }

    @Test
    void aDisabledAccountIsForgottenAndRefused() {
        CredentialCache cache = new CredentialCache();
        AdminAccounts.Created created = platform.admins().create("cached-admin", EnumSet.of(Role.CA_ADMIN), Optional.empty());
        assertThat(cache.authenticate(platform.admins(), "cached-admin", created.password())).isPresent();
        platform.admins().disable("cached-admin");
        assertThat(cache.authenticate(platform.admins(), "cached-admin", created.password())).as("remembered for the TTL until forgotten").isPresent();
        cache.forget("cached-admin");
        assertThat(cache.authenticate(platform.admins(), "cached-admin", created.password())).isEmpty();
    }
}
