package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.PasswordHasher;
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

    /** Once the TTL is up the login is read again: an account disabled on another node (no forget here) is refused. */
    @Test
    void anExpiredLoginOfADisabledAccountIsRefused() {
        AtomicLong nanos = new AtomicLong();
        CredentialCache cache = new CredentialCache(nanos::get);
        AdminAccounts.Created created = platform.admins().create("ttl-admin", EnumSet.of(Role.RA_OFFICER), Optional.empty());
        assertThat(cache.authenticate(platform.admins(), "ttl-admin", created.password())).isPresent();
        nanos.addAndGet(CredentialCache.TTL.toNanos());
        assertThat(cache.authenticate(platform.admins(), "ttl-admin", created.password())).as("TTL up, account unchanged: still in").isPresent();
        platform.admins().disable("ttl-admin");
        assertThat(cache.authenticate(platform.admins(), "ttl-admin", created.password())).as("within the new TTL").isPresent();
        nanos.addAndGet(CredentialCache.TTL.toNanos());
        assertThat(cache.authenticate(platform.admins(), "ttl-admin", created.password())).as("TTL up: read again, disabled").isEmpty();
    }

    /** An account whose stored password hash changed is checked with the password hash again: the old password no longer gets in. */
    @Test
    void anExpiredLoginWhosePasswordChangedIsCheckedAgain() throws Exception {
        AtomicLong nanos = new AtomicLong();
        CredentialCache cache = new CredentialCache(nanos::get);
        AdminAccounts.Created created = platform.admins().create("rehashed-admin", EnumSet.of(Role.RA_OFFICER), Optional.empty());
        assertThat(cache.authenticate(platform.admins(), "rehashed-admin", created.password())).isPresent();
        try (Connection connection = platform.database().dataSource().getConnection();
             PreparedStatement update = connection.prepareStatement("UPDATE admin_account SET password_hash = ? WHERE name = ?")) {
            update.setString(1, new PasswordHasher().hash("another password entirely".toCharArray()));
            update.setString(2, "rehashed-admin");
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        assertThat(cache.authenticate(platform.admins(), "rehashed-admin", created.password())).as("within the TTL").isPresent();
        nanos.addAndGet(CredentialCache.TTL.toNanos());
        assertThat(cache.authenticate(platform.admins(), "rehashed-admin", created.password())).as("TTL up: the old password is refused").isEmpty();
        assertThat(cache.authenticate(platform.admins(), "rehashed-admin", "another password entirely".toCharArray())).isPresent();
        assertThat(cache.authenticate(platform.admins(), "rehashed-admin", "wrong".toCharArray())).isEmpty();
    }
}
