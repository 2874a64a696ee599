package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;

/**
 * gpg talking HKP to the keyserver's own port: --send-keys stores the key and mails its owner, nothing is found by
 * address until the link is followed, then --recv-keys and --search-keys in a fresh home find it, without Bob's
 * certification.
 */
class HkpWithGpgTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    private final MovableClock clock = new MovableClock();
    private TestKeyservers.WithHkp server;
    private Letterlock platform;
    private Keyserver keyserver;
    private String hkp;

    @BeforeEach
    void start() throws Exception {
        server = new TestKeyservers.WithHkp(dataDir, clock);
        platform = server.platform;
        keyserver = server.keyserver;
        hkp = server.hkp;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** An upload over the size limit is a 413 saying so, not a key cut short and refused as unreadable. */
    @Test
    void anOversizedUploadIsA413() throws Exception {
        byte[] body = new byte[new org.letterlock.keyserver.web.HkpProtocol(keyserver).maxBodyBytes() + 1];
        java.util.Arrays.fill(body, (byte) 'a');
        java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.listener.address().getPort() + "/pks/add"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(answer.statusCode()).isEqualTo(413);
        org.assertj.core.api.Assertions.assertThat(answer.body()).contains("letterlock.keyserver.max-key-bytes");
    }

    @Test
    void gpgSendsReceivesAndSearchesOverHkp() throws Exception {
        Gpg alice = new Gpg(work.resolve("alice"));
        String fingerprint = alice.generate("Alice <alice@example.org>");
        Gpg.Run sent = alice.ok("--keyserver", hkp, "--send-keys", fingerprint);
        assertThat(sent.output()).contains("sending key");
        assertThat(Outbox.mailsTo(dataDir, "alice@example.org")).singleElement().satisfies(m -> assertThat(m).contains(fingerprint));
        assertThat(platform.auditLog().read(0, 1_000_000)).as("the upload's record names the client that sent it")
                .anyMatch(r -> r.event().action().equals("keyserver.upload") && r.event().actor().equals("keyserver-client 127.0.0.1"));

        // Before the owner confirms: served by fingerprint without its user ID (gpg skips a new key without one), not by address.
        Gpg early = new Gpg(work.resolve("early"));
        assertThat(early.run("--keyserver", hkp, "--recv-keys", fingerprint).output()).contains("no user ID");
        assertThat(early.run("--keyserver", hkp, "--search-keys", "alice@example.org").output()).containsIgnoringCase("not found");
        early.stop();

        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));

        Gpg bob = new Gpg(work.resolve("bob"));
        assertThat(bob.ok("--keyserver", hkp, "--recv-keys", fingerprint).output()).contains("imported: 1").contains("Alice <alice@example.org>");
        Gpg.Run search = bob.run("--keyserver", hkp, "--search-keys", "alice@example.org");
        assertThat(search.output()).contains("Alice <alice@example.org>").contains(fingerprint.substring(24));
        bob.stop();
        alice.stop();
    }

    @Test
    void theMachineReadableIndexIsWhatGpgParses() throws Exception {
        Gpg alice = new Gpg(work.resolve("alice"));
        String fingerprint = alice.generate("Alice Example: \"the first\" <alice@example.org>");
        keyserver.upload(alice.export(fingerprint), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "alice@example.org"));
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.listener.address().getPort();
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create(base + "/pks/lookup?op=index&options=mr&fingerprint=on&search=alice%40example.org"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body().lines().toList()).first().isEqualTo("info:1:1");
        assertThat(index.body()).contains("pub:" + fingerprint + ":22:").contains("uid:Alice Example%3A \"the first\" <alice@example.org>:");
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/pks/lookup?op=get&options=mr&search=0x" + fingerprint)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/pgp-keys");
        assertThat(get.body()).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        for (String[] bad : new String[][] {{"/pks/lookup?op=get&options=mr&search=0x1234ABCD", "400"}, {"/pks/lookup?op=get&search=", "400"},
                {"/pks/lookup?op=stats&search=x@example.org", "501"}, {"/pks/lookup?op=index&options=mr&search=alice", "400"}, {"/pks/lookup?op=get&options=mr&search=0x" + "0".repeat(40), "404"},
                {"/pks/other", "404"}}) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + bad[0])).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(bad[0] + ": " + answer.body()).isEqualTo(Integer.parseInt(bad[1]));
        }
        alice.stop();
    }
}
