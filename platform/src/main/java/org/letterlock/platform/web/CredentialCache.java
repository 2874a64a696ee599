package org.letterlock.platform.web;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.letterlock.platform.identity.AdminAccount;
import org.letterlock.platform.identity.AdminAccounts;

/**
 * Remembers successful logins for {@link #TTL} so that a script's series of calls does not pay an Argon2 hash (tens of
 * milliseconds and 46 MiB) on each. Keyed by a salted SHA-256 of name and password that lives only in memory.
 * An account disabled on this node stops working at once; on the other nodes of a cluster within the TTL. When the TTL
 * is up, a login is checked again by reading the account: still enabled and still holding the hash the password
 * matched, it stays; only a changed account costs the password hash again.
 */
@ApplicationScoped
public class CredentialCache {
    static final Duration TTL = Duration.ofSeconds(15);
    private static final int MAX_ENTRIES = 10_000;

    private record Entry(AdminAccounts.Login login, long expiresAtNanos) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Logins being checked now: when an entry expires under load, one request hashes and the others wait for it. */
    private final Map<String, CompletableFuture<Optional<AdminAccount>>> checking = new ConcurrentHashMap<>();
    private final byte[] salt = new byte[32];
    private final LongSupplier nanoTime;

    public CredentialCache() {
        this(System::nanoTime);
    }

    /** With a clock of its own, so a test can let the TTL run out. */
    CredentialCache(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        new SecureRandom().nextBytes(salt);
    }

    Optional<AdminAccount> authenticate(AdminAccounts accounts, String name, char[] password) {
        String key = key(name, password);
        Entry cached = entries.get(key);
        long now = nanoTime.getAsLong();
        if (cached != null && now - cached.expiresAtNanos() < 0) {
            return Optional.of(cached.login().account());
        }
        CompletableFuture<Optional<AdminAccount>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<AdminAccount>> running = checking.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return running.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
        }
        try {
            Optional<AdminAccounts.Login> login = Optional.ofNullable(cached).flatMap(c -> accounts.stillValid(c.login()));
            if (login.isEmpty()) {
                login = accounts.login(name, password);
            }
            if (login.isPresent()) {
                if (entries.size() >= MAX_ENTRIES) {
                    entries.clear();
                }
                entries.put(key, new Entry(login.get(), now + TTL.toNanos()));
            } else {
                entries.remove(key);
            }
            Optional<AdminAccount> account = login.map(AdminAccounts.Login::account);
            mine.complete(account);
            return account;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            checking.remove(key, mine);
        }
    }

    /** Drops what is remembered for {@code name}: its next request is checked against the store again. */
    void forget(String name) {
        entries.values().removeIf(entry -> entry.login().account().name().equals(name));
    }

    private String key(String name, char[] password) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(salt);
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(new String(password).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
