package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.web.HkpListener;
import org.letterlock.keyserver.web.HkpProtocol;
import org.letterlock.keyserver.web.KeyserverRuntime;
import org.letterlock.mail.keys.ExternalKeys;
import org.letterlock.mail.keys.HkpClient;
import org.letterlock.mail.keys.LookupCache;
import org.letterlock.mail.keys.PeerAddresses;
import org.letterlock.mail.keys.PeerHttp;
import org.letterlock.mail.keys.PeerLimits;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * A recipient of another organisation whose OpenPGP key only an outside keyserver holds (another Letterlock keyserver
 * on its HKP port, with a gpg key uploaded and confirmed): a rule that allows HKP finds it there and sends PGP/MIME
 * that gpg opens, naming the keyserver in the decision; with the keyserver down the message waits, never in clear.
 */
class GatewayExternalKeysTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    private GatewayFixture gateway;
    private PostfixHop hop;
    private Letterlock partnerPlatform;
    private HkpListener partnerHkp;
    private GnupgHome gnupg;

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayFixture(work);
        hop = PostfixHop.start(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), Optional.of(gateway.hopCertificate("hop")));
        gnupg = new GnupgHome(work.resolve("gnupg"));
    }

    @AfterEach
    void stop() throws Exception {
        gnupg.close();
        if (partnerHkp != null) {
            partnerHkp.close();
        }
        if (partnerPlatform != null) {
            partnerPlatform.close();
        }
        if (hop != null) {
            hop.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    /** The partner's keyserver, on a platform of its own, holding {@code address}'s gpg key with the address confirmed; its HKP URL. */
    private URI partnerKeyserverWith(String address) throws Exception {
        MovableClock partnerClock = new MovableClock();
        Path dataDir = Files.createDirectories(work.resolve("partner"));
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.url", "http://ca.partner.test");
        partnerPlatform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), partnerClock);
        Keyserver keyserver = KeyserverRuntime.create(partnerPlatform);
        HkpProtocol protocol = new HkpProtocol(keyserver);
        partnerHkp = HkpListener.start(new InetSocketAddress("127.0.0.1", 0), () -> protocol);
        gnupg.gpg("--passphrase", "", "--quick-gen-key", "Paula <" + address + ">", "future-default", "default", "0");
        Path exported = work.resolve("paula.pgp");
        gnupg.gpg("--output", exported.toString(), "--export", address);
        partnerClock.advance(Duration.ofMinutes(1));
        gateway.clock.advance(Duration.ofMinutes(1));
        keyserver.upload(Files.readAllBytes(exported), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(dataDir, address));
        return URI.create("hkp://127.0.0.1:" + partnerHkp.address().getPort());
    }

    private void useKeyserver(URI keyserver) throws Exception {
        PeerHttp http = new PeerHttp(SSLContext.getDefault(), PeerAddresses.system(), PeerLimits.DEFAULT);
        gateway.externalKeys = new ExternalKeys(List.of(new HkpClient(http, List.of(keyserver), gateway.clock)), new LookupCache(LookupCache.Lifetimes.DEFAULT),
                gateway.clock);
        gateway.startGateway(gateway.settings(hop.port(), GatewaySettings.NextHopTls.VERIFY, 10_000_000));
        gateway.policies.set("partner.test", "any", "hold", "cms", false, "hkp", "admin");
    }

    private void send(String to) throws Exception {
        GnupgHome.run("swaks", "--from", "alice@example.org", "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--header", "Subject: proposal",
                "--body", "terms inside");
    }

    @Test
    void aKeyOnlyAnOutsideKeyserverHoldsIsFoundThereAndUsed() throws Exception {
        String paula = "paula-" + UUID.randomUUID().toString().substring(0, 8) + "@partner.test";
        URI keyserver = partnerKeyserverWith(paula);
        useKeyserver(keyserver);

        send(paula);

        String copy = Files.readString(hop.awaitDelivered(1, WAIT).get(0));
        assertThat(copy).contains("X-Letterlock-Policy: pgp; route=next-hop; policy=domain; key=hkp http://127.0.0.1:" + keyserver.getPort() + "\n", "multipart/encrypted")
                .doesNotContain("terms inside");
        Path armored = Files.writeString(work.resolve("part.asc"), copy.substring(copy.indexOf("-----BEGIN PGP MESSAGE-----"),
                copy.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length()) + "\n");
        assertThat(gnupg.gpg("--decrypt", armored.toString())).contains("Subject: proposal", "terms inside");
    }

    /** A delivery notice (null sender, which may carry the original) to a recipient the policy holds is held too, without a notice about it. */
    @Test
    void aDeliveryNoticeToAHeldRecipientIsHeldNotSentInClear() throws Exception {
        useKeyserver(partnerKeyserverWith("paula-" + UUID.randomUUID().toString().substring(0, 8) + "@partner.test"));

        GnupgHome.run("swaks", "--from", "<>", "--to", "nokey@partner.test", "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls",
                "--header", "Subject: Undelivered Mail Returned to Sender", "--body", "the original, quoted");

        List<Envelope> queued = afterFirstAttempt();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).sender()).isEmpty();
        assertThat(queued.get(0).recipients().get(0).lastReply()).startsWith("450 4.7.0 held");
        assertThat(hop.delivered()).isEmpty();
    }

    @Test
    void withTheOutsideKeyserverDownTheMessageWaitsAndIsNeverSentInClear() throws Exception {
        useKeyserver(URI.create("hkp://127.0.0.1:" + PostfixHop.freePort()));

        send("pat@partner.test");

        List<Envelope> queued = afterFirstAttempt();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).recipients().get(0).lastReply()).startsWith("451 4.4.3 policy=domain; key lookup failed for now");
        assertThat(hop.delivered()).as("no notice either: a lookup failure is not the sender's to fix").isEmpty();
    }

    /** The spool once its message has had a delivery attempt (a deadline, not a measurement). */
    private List<Envelope> afterFirstAttempt() throws InterruptedException, java.io.IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Envelope> queued = List.of();
        while (System.nanoTime() < deadline) {
            queued = gateway.spool.list();
            if (!queued.isEmpty() && queued.get(0).recipients().get(0).attempts() > 0) {
                break;
            }
            Thread.sleep(100);
        }
        return queued;
    }
}
