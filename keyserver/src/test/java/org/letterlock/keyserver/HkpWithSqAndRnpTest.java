package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPApi;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Tools;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;

/**
 * Sequoia's sq (0.27) and rnp (0.16) taking keys from the HKP port: sq with its own keyserver client, rnp (which has
 * none) with the bytes of the lookup gpg and sq make. Each tool then encrypts to the key it imported and the owner's
 * gpg decrypts, unless the tool refuses the key: what each does with each kind of key is in docs/keyserver.md.
 */
class HkpWithSqAndRnpTest {
    private static final String OWNER = "Owner <owner@example.org>";
    private static final String MESSAGE = "a message only the key's owner can read\n";

    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    private final MovableClock clock = new MovableClock();
    private TestKeyservers.WithHkp server;
    private Letterlock platform;
    private Keyserver keyserver;
    private String hkp;
    private Tools tools;
    /** rnp's home (a fresh keyring; rnp does not make it itself). */
    private String rnpHome;

    @BeforeEach
    void start() throws Exception {
        server = new TestKeyservers.WithHkp(dataDir, clock);
        platform = server.platform;
        keyserver = server.keyserver;
        hkp = server.hkp;
        tools = new Tools(work);
        Files.writeString(work.resolve("message.txt"), MESSAGE);
        rnpHome = Files.createDirectories(work.resolve("rnp")).toString();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * A kind of key as the keyserver serves it, and what sq and rnp show of it (text of {@code sq inspect} and
     * {@code rnpkeys --list-keys}) or the error with which they refuse to encrypt to it.
     */
    record ServedKey(String name, String primary, String encryption, boolean published, boolean revoked, String sqShows, Optional<String> sqRefusal,
            String rnpShows, Optional<String> rnpRefusal) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<ServedKey> servedKeys() {
        return Stream.of(
                new ServedKey("ed25519-cv25519/published", "ed25519", "cv25519", true, false, "UserID: " + OWNER, Optional.empty(), "uid           " + OWNER,
                        Optional.empty()),
                new ServedKey("rsa3072/published", "rsa3072", "rsa3072", true, false, "UserID: " + OWNER, Optional.empty(), "uid           " + OWNER,
                        Optional.empty()),
                // Without a user ID there is no self-signature on the primary key: sq 0.27 holds the certificate invalid, rnp takes it.
                new ServedKey("ed25519-cv25519/no-published-user-id", "ed25519", "cv25519", false, false, "Invalid: No binding signature",
                        Optional.of("has no suitable encryption key"), "255/ECDH", Optional.empty()),
                // sq 0.27 shows the revocation but still encrypts to the unrevoked subkey of a revoked certificate; rnp refuses.
                new ServedKey("ed25519-cv25519/revoked", "ed25519", "cv25519", true, true, "Revoked:", Optional.empty(), "[REVOKED]",
                        Optional.of("No suitable key")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("servedKeys")
    void sqAndRnpImportTheServedKeyAndEncryptToIt(ServedKey served) throws Exception {
        Gpg owner = new Gpg(work.resolve("owner"));
        String fingerprint = owner.generate(OWNER, served.primary(), served.encryption());
        keyserver.upload(owner.export(fingerprint), "127.0.0.1");
        if (served.published()) {
            keyserver.verify(Outbox.verificationToken(dataDir, "owner@example.org"));
        }
        if (served.revoked()) {
            owner.revoke(fingerprint);
            keyserver.upload(owner.export(fingerprint), "127.0.0.1");
        }

        Tools.Run fetched = sq("keyserver", "--policy", "insecure", "--server", hkp, "get", fingerprint, "--output", "sq.asc");
        assertThat(fetched.exit()).as(fetched.output()).isZero();
        Tools.Run inspected = sq("inspect", "sq.asc");
        assertThat(inspected.output()).contains("Fingerprint: " + fingerprint).contains(served.sqShows());
        Tools.Run byAddress = sq("keyserver", "--policy", "insecure", "--server", hkp, "get", "owner@example.org");
        if (served.published()) {
            assertThat(byAddress.output()).as("sq keyserver get owner@example.org").contains("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        } else {
            assertThat(inspected.output()).doesNotContain("owner@example.org");
            assertThat(byAddress.exit()).as(byAddress.output()).isNotZero();
        }
        assertEncryptsOrRefuses(owner, sq("encrypt", "--recipient-cert", "sq.asc", "--output", "sq-message.pgp", "message.txt"), "sq-message.pgp",
                served.sqRefusal());

        Files.write(work.resolve("rnp.asc"), hkpGet(fingerprint));
        Tools.Run imported = tools.run("rnpkeys", "--homedir", rnpHome, "--import", "rnp.asc");
        assertThat(imported.exit()).as(imported.output()).isZero();
        String listed = tools.run("rnpkeys", "--homedir", rnpHome, "--list-keys").output();
        assertThat(listed).contains(fingerprint.toLowerCase(Locale.ROOT)).contains(served.rnpShows());
        if (!served.published()) {
            assertThat(listed).doesNotContain("owner@example.org");
        }
        assertEncryptsOrRefuses(owner, tools.run("rnp", "--homedir", rnpHome, "--encrypt", "--recipient", fingerprint, "--output", "rnp-message.pgp",
                "message.txt"), "rnp-message.pgp", served.rnpRefusal());
        owner.stop();
    }

    /** A v6 key (RFC 9580), made by Bouncy Castle as no tool here makes one: stored and served, but neither sq 0.27 nor rnp 0.16 reads it. */
    @Test
    void aV6KeyIsServedButSqAndRnpCannotReadIt() throws Exception {
        OpenPGPKey key = new BcOpenPGPApi().generateKey(6).ed25519x25519Key(OWNER).build();
        String fingerprint = Hex.toHexString(key.getPrimaryKey().getPGPPublicKey().getFingerprint()).toUpperCase(Locale.ROOT);
        keyserver.upload(key.toCertificate().getEncoded(), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "owner@example.org"));
        Files.write(work.resolve("v6.asc"), hkpGet(fingerprint));

        Tools.Run inspected = sq("inspect", "v6.asc");
        assertThat(inspected.exit()).isNotZero();
        assertThat(inspected.output()).contains("Unsupported Cert: Unsupported primary key");
        Tools.Run imported = tools.run("rnpkeys", "--homedir", rnpHome, "--import", "v6.asc");
        assertThat(imported.exit()).isNotZero();
        assertThat(imported.output()).contains("wrong key packet version");
    }

    private Tools.Run sq(String... arguments) throws Exception {
        return tools.run(Stream.concat(Stream.of("sq"), Stream.of(arguments)).toArray(String[]::new));
    }

    /** What gpg and sq ask the HKP port for: {@code op=get&options=mr&search=0x<FPR>}. */
    private byte[] hkpGet(String fingerprint) throws Exception {
        HttpResponse<byte[]> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.listener.address().getPort()
                + "/pks/lookup?op=get&options=mr&search=0x" + fingerprint)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        return answer.body();
    }

    private void assertEncryptsOrRefuses(Gpg owner, Tools.Run encrypted, String ciphertext, Optional<String> refusal) throws Exception {
        if (refusal.isPresent()) {
            assertThat(encrypted.exit()).as(encrypted.output()).isNotZero();
            assertThat(encrypted.output()).contains(refusal.get());
        } else {
            assertThat(encrypted.exit()).as(encrypted.output()).isZero();
            assertThat(new String(owner.ok("--decrypt", work.resolve(ciphertext).toString()).stdout(), StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        }
    }
}
