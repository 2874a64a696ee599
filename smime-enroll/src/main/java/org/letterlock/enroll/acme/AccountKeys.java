package org.letterlock.enroll.acme;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentVerifierProvider;

/**
 * Account keys kept decoded, by account id, the most recently used ones up to a bound. A kept key serves an account only
 * while its row holds the very JWK the key was decoded from: the key a request is checked with is always the one stored
 * now, so a key rollover, or a row another node changed, makes the old key fail at once. The account's status is not
 * kept here; it is read with the JWK for every request.
 */
final class AccountKeys {
    /** A key kept with its verifier takes at most about 7 KB (an ES256 point with what Bouncy Castle precomputes on it, when the vault checks in software): some 30 MB of a 512 MB heap. */
    static final int CAPACITY = 4_096;

    private record Kept(String storedJwk, AccountKey key) {
    }

    private final Map<String, Kept> byAccount;
    private final Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers;

    /** At most {@code capacity} keys, their signatures checked by {@code verifiers} (the vault's). */
    AccountKeys(int capacity, Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers) {
        this.verifiers = verifiers;
        this.byAccount = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The key of account {@code accountId}, whose row holds {@code storedJwk}: the kept one if decoded from that JWK, else decoded now. */
    AccountKey of(String accountId, String storedJwk) {
        Kept kept;
        synchronized (byAccount) {
            kept = byAccount.get(accountId);
        }
        if (kept != null && kept.storedJwk().equals(storedJwk)) {
            return kept.key();
        }
        AccountKey key = AccountKey.of(AcmeJson.parse(storedJwk.getBytes(StandardCharsets.UTF_8), "the stored JWK"), verifiers);
        keep(accountId, key);
        return key;
    }

    /** Keeps {@code key}, just stored as the JWK of account {@code accountId}. */
    void keep(String accountId, AccountKey key) {
        synchronized (byAccount) {
            byAccount.put(accountId, new Kept(key.jwk(), key));
        }
    }

    void forget(String accountId) {
        synchronized (byAccount) {
            byAccount.remove(accountId);
        }
    }
}
