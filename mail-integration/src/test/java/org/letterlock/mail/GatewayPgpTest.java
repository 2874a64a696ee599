package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.letterlock.platform.store.Outbox;

/**
 * Mail to a recipient whose OpenPGP key the keyserver publishes (made by gpg, uploaded, its address confirmed) leaves
 * as PGP/MIME with its header fields protected, and gpg opens it; a key whose address was never confirmed is not used.
 */
class GatewayPgpTest extends GatewayBeforePostfixTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private GnupgHome gnupg;

    @BeforeEach
    void makeGnupgHome() throws Exception {
        gnupg = new GnupgHome(work.resolve("gnupg"));
    }

    @AfterEach
    void stopGpgAgent() throws Exception {
        gnupg.close();
    }

    /** A gpg key for {@code address}, uploaded to the keyserver; its address confirmed when {@code confirm}. */
    private void keyFor(String address, boolean confirm) throws Exception {
        gnupg.gpg("--passphrase", "", "--quick-gen-key", "Erin <" + address + ">", "future-default", "default", "0");
        // The gateway's clock stands still from the fixture's start: move it past the key's creation.
        gateway.clock.advance(Duration.ofMinutes(1));
        Path exported = work.resolve(address + ".asc");
        gnupg.gpg("--armor", "--output", exported.toString(), "--export", address);
        gateway.keyserver.upload(Files.readAllBytes(exported), "test");
        gateway.keyserver.requestVerification(gateway.keyserver.byId(fingerprint(address)).get(0).fingerprint(), address);
        if (confirm) {
            gateway.keyserver.verify(Outbox.verificationToken(GatewayFixture.TOKEN_DATA, address));
        }
    }

    private String fingerprint(String address) throws Exception {
        return gnupg.gpg("--with-colons", "--list-keys", address).lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
    }

    private void swaks(String to, String subject, String body) throws Exception {
        GnupgHome.run("swaks", "--from", "alice@example.org", "--to", to, "--server", "127.0.0.1:" + gateway.receiver.port(), "--tls", "--header", "Subject: " + subject,
                "--body", body);
    }

    @Test
    void aRecipientWithAPublishedKeyGetsPgpMimeThatGpgOpens() throws Exception {
        String erin = "erin-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        keyFor(erin, true);

        swaks(erin, "travel plans", "meet at the station");

        Path copy = hop.awaitDelivered(1, WAIT).get(0);
        String text = Files.readString(copy);
        assertThat(text).contains("Subject: [...]", "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"", "Version: 1",
                "-----BEGIN PGP MESSAGE-----", "X-Letterlock-Policy: pgp; route=next-hop; policy=organisation; key=letterlock-keyserver")
                .doesNotContain("travel plans", "meet at the station");
        String armored = text.substring(text.indexOf("-----BEGIN PGP MESSAGE-----"), text.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length());
        Path part = Files.writeString(work.resolve("part2.asc"), armored);
        String opened = gnupg.gpg("--status-fd", "1", "--decrypt", part.toString());
        assertThat(opened).contains("DECRYPTION_OKAY", "hp=\"cipher\"", "Subject: travel plans", "HP-Outer: Subject: [...]", "meet at the station");
    }

    @Test
    void aKeyWhoseAddressWasNeverConfirmedIsNotUsed() throws Exception {
        String frank = "frank-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        keyFor(frank, false);

        swaks(frank, "hello", "plain");

        assertThat(Files.readString(hop.awaitDelivered(1, WAIT).get(0))).contains("Subject: hello", "X-Letterlock-Policy: clear; route=next-hop;");
    }
}
