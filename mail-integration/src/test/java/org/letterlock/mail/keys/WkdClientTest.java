package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Tools;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.keyserver.Wkd;

/**
 * WKD against a real nginx serving a Web Key Directory over TLS, under the names a domain would use
 * ({@code openpgpkey.example.org}, {@code example.net}) mapped to loopback: keys made by gpg, the advanced method
 * where the sub-domain exists and the direct one where it does not, the address filter, and the failures that must
 * not look like "no key".
 */
class WkdClientTest {
    private static final int MAX_BYTES = 64 * 1024;

    @TempDir
    static Path served;
    @TempDir
    static Path work;

    private static PrivateNginx nginx;
    private static GpgKeys gpg;
    private static final LoopbackNames NAMES = new LoopbackNames();
    private static final Map<String, String> FINGERPRINTS = new HashMap<>();
    private static TestPki pki;

    @BeforeAll
    static void serveDirectories() throws Exception {
        pki = new TestPki("WKD Test CA");
        TestPki stranger = new TestPki("Some Other CA");
        gpg = new GpgKeys(work.resolve("gnupg"));
        Path org = served.resolve("org");
        Path net = served.resolve("net");

        String alice = gpg.generate("Alice <alice@example.org>", "0");
        gpg.addUserId(alice, "Alice at work <alice@elsewhere.example>");
        FINGERPRINTS.put("alice", alice);
        advanced(org, "example.org", "alice", gpg.binary(alice));
        // The same address's key by the direct method, which must not be used while the advanced method exists.
        direct(org, "alice", gpg.binary(gpg.generate("Alice's old key <alice@example.org>", "0")));
        String dave = gpg.generate("Dave <dave@example.net>", "0");
        FINGERPRINTS.put("dave", dave);
        direct(net, "dave", gpg.binary(dave));
        advanced(org, "example.org", "bob", gpg.binary(gpg.generate("Mallory <mallory@example.org>", "0")));
        String carol = gpg.generate("Carol <carol@example.org>", "0");
        gpg.revoke(carol);
        advanced(org, "example.org", "carol", gpg.binary(carol));
        advanced(org, "example.org", "gina", gpg.binary(gpg.generate("Gina <gina@example.org>", "1d")));
        advanced(org, "example.org", "erin", gpg.armored(gpg.generate("Erin <erin@example.org>", "0")));
        byte[] big = new byte[MAX_BYTES + 1];
        new Random(1).nextBytes(big);
        big[0] = (byte) 0x99;
        advanced(org, "example.org", "big", big);

        Path[] orgTls = pki.server("openpgpkey.example.org", "example.org").writePem(served, "org");
        Path[] netTls = pki.server("example.net").writePem(served, "net");
        Path[] infoTls = stranger.server("openpgpkey.example.info").writePem(served, "info");
        nginx = PrivateNginx.start(served, List.of(
                new PrivateNginx.Site(List.of("openpgpkey.example.org", "example.org"), orgTls[0], orgTls[1], org),
                new PrivateNginx.Site(List.of("example.net"), netTls[0], netTls[1], net),
                new PrivateNginx.Site(List.of("openpgpkey.example.info"), infoTls[0], infoTls[1], org)));
        for (String name : List.of("openpgpkey.example.org", "example.org", "example.net", "openpgpkey.example.edu", "openpgpkey.example.info")) {
            NAMES.map(name, nginx.port);
        }
        NAMES.map("openpgpkey.example.com", LoopbackNames.freePort());
    }

    private static void advanced(Path root, String domain, String local, byte[] key) throws Exception {
        Path hu = Files.createDirectories(root.resolve(".well-known/openpgpkey/" + domain + "/hu"));
        Files.write(hu.resolve(Wkd.hash(local)), key);
    }

    private static void direct(Path root, String local, byte[] key) throws Exception {
        Path hu = Files.createDirectories(root.resolve(".well-known/openpgpkey/hu"));
        Files.write(hu.resolve(Wkd.hash(local)), key);
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (gpg != null) {
            gpg.close();
        }
    }

    static Stream<Arguments> lookups() {
        String advancedOrg = "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/";
        return Stream.of(
                Arguments.of("found/advanced-method", "alice@example.org", 0, Outcome.FOUND, advancedOrg + Wkd.hash("alice") + "?l=alice", "1 key"),
                Arguments.of("found/direct-method-where-no-openpgpkey-subdomain", "dave@example.net", 0, Outcome.FOUND,
                        "https://example.net/.well-known/openpgpkey/hu/" + Wkd.hash("dave") + "?l=dave", "1 key"),
                Arguments.of("no-key/user-id-for-another-address", "bob@example.org", 0, Outcome.NO_KEY, advancedOrg + Wkd.hash("bob") + "?l=bob",
                        "no valid user ID for bob@example.org"),
                Arguments.of("no-key/revoked", "carol@example.org", 0, Outcome.NO_KEY, advancedOrg + Wkd.hash("carol") + "?l=carol", "refused: revoked"),
                Arguments.of("no-key/expired", "gina@example.org", 2, Outcome.NO_KEY, advancedOrg + Wkd.hash("gina") + "?l=gina", "expired"),
                Arguments.of("no-key/armored-not-binary", "erin@example.org", 0, Outcome.NO_KEY, advancedOrg + Wkd.hash("erin") + "?l=erin", "not a binary"),
                Arguments.of("no-key/over-the-size-limit", "big@example.org", 0, Outcome.NO_KEY, advancedOrg + Wkd.hash("big") + "?l=big",
                        "over " + MAX_BYTES + " bytes"),
                Arguments.of("no-key/not-published", "nobody@example.org", 0, Outcome.NO_KEY, advancedOrg + Wkd.hash("nobody") + "?l=nobody", "HTTP 404"),
                Arguments.of("no-key/domain-without-any-address", "x@nowkd.example", 0, Outcome.NO_KEY,
                        "https://nowkd.example/.well-known/openpgpkey/hu/" + Wkd.hash("x") + "?l=x", "no address for nowkd.example"),
                Arguments.of("temporary/server-down", "frank@example.com", 0, Outcome.TEMPORARY_FAILURE,
                        "https://openpgpkey.example.com/.well-known/openpgpkey/example.com/hu/" + Wkd.hash("frank") + "?l=frank", "ConnectException"),
                Arguments.of("temporary/certificate-for-another-name", "grace@example.edu", 0, Outcome.TEMPORARY_FAILURE,
                        "https://openpgpkey.example.edu/.well-known/openpgpkey/example.edu/hu/" + Wkd.hash("grace") + "?l=grace",
                        "No subject alternative DNS name matching openpgpkey.example.edu"),
                Arguments.of("temporary/certificate-from-an-untrusted-ca", "ivan@example.info", 0, Outcome.TEMPORARY_FAILURE,
                        "https://openpgpkey.example.info/.well-known/openpgpkey/example.info/hu/" + Wkd.hash("ivan") + "?l=ivan", "PKIX path building failed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lookups")
    void looksUpByTheDraftsMethodsAndKeepsOnlyUsableKeysForTheAddress(String name, String address, int daysAhead, Outcome outcome, String location,
                                                                     String detail) throws Exception {
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofDays(daysAhead));
        WkdClient wkd = new WkdClient(new PeerHttp(pki.trustingOnlyThis(), NAMES, new PeerLimits(Duration.ofSeconds(5), Duration.ofSeconds(20), MAX_BYTES)), clock);
        Instant before = clock.instant();

        Lookup lookup = wkd.lookup(address);

        assertThat(lookup.outcome()).as(lookup.detail()).isEqualTo(outcome);
        assertThat(lookup.source()).isEqualTo(Source.WKD);
        assertThat(lookup.location()).isEqualTo(location);
        assertThat(lookup.detail()).contains(detail);
        assertThat(lookup.fetchedAt()).isAfterOrEqualTo(before);
        assertThat(lookup.certificates()).isEmpty();
        if (outcome == Outcome.FOUND) {
            String local = address.substring(0, address.indexOf('@'));
            assertThat(lookup.openPgpKeys()).singleElement().satisfies(key -> {
                assertThat(OpenPgpKeys.fingerprint(key.getPublicKey())).isEqualTo(FINGERPRINTS.get(local));
                assertThat(userIds(key)).as("only the user ID for the address travels on").singleElement().asString().endsWith("<" + address + ">");
            });
        } else {
            assertThat(lookup.openPgpKeys()).isEmpty();
        }
    }

    @Test
    void asksTheUrlGnuPgAsksFor() throws Exception {
        Tools.Run gnupg = new Tools(work).run("/usr/lib/gnupg/gpg-wks-client", "--print-wkd-url", "Alice@Example.org");
        assertThat(gnupg.exit()).as(gnupg.output()).isZero();
        WkdClient wkd = new WkdClient(new PeerHttp(pki.trustingOnlyThis(), NAMES, PeerLimits.DEFAULT), Clock.systemUTC());

        assertThat(wkd.lookup("alice@example.org").location()).isEqualTo(gnupg.output().strip());
    }

    private static List<String> userIds(PGPPublicKeyRing key) {
        List<String> userIds = new ArrayList<>();
        key.getPublicKey().getUserIDs().forEachRemaining(userIds::add);
        return userIds;
    }
}
