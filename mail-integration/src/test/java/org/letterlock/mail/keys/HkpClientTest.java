package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.keyserver.KeyLimits;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.keyserver.store.JdbcKeyserverStore;
import org.letterlock.keyserver.web.HkpListener;
import org.letterlock.keyserver.web.HkpProtocol;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * HKP against Letterlock's own keyserver on its HKP port: keys made by gpg and uploaded; found by address only once
 * the owner confirmed it; a revoked key, which the keyserver still serves with its revocation, refused here; and a
 * keyserver that is down makes "no key" a temporary failure, unless another keyserver had the key.
 */
class HkpClientTest {
    @TempDir
    static Path dataDir;
    @TempDir
    static Path work;

    private static Letterlock platform;
    private static HkpListener listener;
    private static GpgKeys gpg;
    private static final Map<String, String> FINGERPRINTS = new HashMap<>();
    private static final LoopbackNames NAMES = new LoopbackNames();

    @BeforeAll
    static void startKeyserver() throws Exception {
        MovableClock clock = new MovableClock();
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        Keyserver keyserver = new Keyserver(new JdbcKeyserverStore(platform.database().dataSource()), platform.mail(), platform.auditLog(), clock,
                URI.create("http://keys.example.org"), KeyLimits.DEFAULT, Duration.ofHours(48));
        HkpProtocol protocol = new HkpProtocol(keyserver);
        listener = HkpListener.start(new InetSocketAddress("127.0.0.1", 0), () -> protocol);
        NAMES.map("keys.example.org", listener.address().getPort()).map("down.example.org", LoopbackNames.freePort());

        gpg = new GpgKeys(work.resolve("gnupg"));
        Map<String, byte[]> made = new HashMap<>();
        for (String who : List.of("alice", "bob", "carol")) {
            String fingerprint = gpg.generate(who + " <" + who + "@example.org>", "0");
            FINGERPRINTS.put(who, fingerprint);
            made.put(who, gpg.binary(fingerprint));
        }
        gpg.revoke(FINGERPRINTS.get("carol"));
        byte[] carolRevoked = gpg.binary(FINGERPRINTS.get("carol"));
        // The keyserver's clock stood still since it started: move it past the keys' making.
        clock.advance(Duration.ofMinutes(10));
        for (String who : List.of("alice", "bob", "carol")) {
            keyserver.upload(made.get(who), "127.0.0.1");
        }
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        keyserver.verify(Outbox.verificationToken(dataDir, "carol@example.org"));
        // bob never follows his link; carol revokes her key after publishing it, and the keyserver takes the revocation.
        keyserver.upload(carolRevoked, "127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (gpg != null) {
            gpg.close();
        }
    }

    static Stream<Arguments> lookups() {
        String keys = "hkp://keys.example.org:" + listener.address().getPort();
        String down = "hkp://down.example.org";
        String aliceUrl = "http://keys.example.org:" + listener.address().getPort() + "/pks/lookup?op=get&options=mr&search=alice%40example.org";
        return Stream.of(
                Arguments.of("found/confirmed-address", List.of(keys), "alice@example.org", Outcome.FOUND, "alice", aliceUrl, "1 key"),
                Arguments.of("found/after-a-keyserver-that-is-down", List.of(down, keys), "alice@example.org", Outcome.FOUND, "alice", aliceUrl, "1 key"),
                Arguments.of("no-key/address-never-confirmed", List.of(keys), "bob@example.org", Outcome.NO_KEY, null, null, "HTTP 404"),
                Arguments.of("no-key/revoked", List.of(keys), "carol@example.org", Outcome.NO_KEY, null, null, "refused: revoked"),
                Arguments.of("temporary/one-keyserver-down-none-found", List.of(keys, down), "bob@example.org", Outcome.TEMPORARY_FAILURE, null, null,
                        "ConnectException"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lookups")
    void asksEachKeyserverByAddressAndKeepsOnlyUsableKeys(String name, List<String> keyservers, String address, Outcome outcome, String owner, String location,
                                                         String detail) throws Exception {
        HkpClient hkp = new HkpClient(new PeerHttp(SSLContext.getDefault(), NAMES, PeerLimits.DEFAULT), keyservers.stream().map(URI::create).toList(),
                Clock.systemUTC());

        Lookup lookup = hkp.lookup(address);

        assertThat(lookup.outcome()).as(lookup.detail()).isEqualTo(outcome);
        assertThat(lookup.detail()).contains(detail);
        assertThat(lookup.source()).isEqualTo(Source.HKP);
        if (outcome == Outcome.FOUND) {
            assertThat(lookup.location()).isEqualTo(location);
            assertThat(lookup.openPgpKeys()).singleElement().extracting(k -> OpenPgpKeys.fingerprint(k.getPublicKey())).isEqualTo(FINGERPRINTS.get(owner));
        } else {
            assertThat(lookup.openPgpKeys()).isEmpty();
        }
    }
}
