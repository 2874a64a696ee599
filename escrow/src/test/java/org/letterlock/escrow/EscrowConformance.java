package org.letterlock.escrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.escrow.store.JdbcEscrowStore;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.vault.KeySpec;

/**
 * Escrow on a real SoftHSM2 token, the same on every database: keys made and archived, client keys accepted only when
 * they match, signing keys refused, recovery only after two agents, PKCS#12 checked by openssl, gpgsm and Java, and
 * a tampered archive refused.
 */
public abstract class EscrowConformance {
    /** One token store per test JVM: SoftHSM2 reads SOFTHSM2_CONF once, when SunPKCS11 loads it (see the surefire configuration). */
    static final Path TOKEN_DATA = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();
    static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));
    static final Requester ANN = new Requester("ann", Set.of(Role.RECOVERY_AGENT));
    static final Requester BEN = new Requester("ben", Set.of(Role.RECOVERY_AGENT));
    static final Requester CID = new Requester("cid", Set.of(Role.RECOVERY_AGENT));
    static final Requester AUDITOR = new Requester("aude", Set.of(Role.AUDITOR));

    @TempDir
    Path dbDir;
    @TempDir
    Path work;

    protected final MovableClock clock = new MovableClock();
    protected Letterlock platform;
    protected CertificateAuthority ca;
    protected Escrow escrow;
    protected Tools tools;
    /** Each test has mailboxes of its own: the token store and outbox are shared by the JVM. */
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    protected final String aliceMailbox = "alice-" + tag + "@example.org";
    protected final Requester alice = new Requester("alice-" + tag, Set.of(Role.MAILBOX_OWNER));
    protected final Requester bob = new Requester("bob-" + tag, Set.of(Role.MAILBOX_OWNER));

    protected abstract Map<String, String> database(Path dbDir);

    @BeforeEach
    void start() throws Exception {
        Map<String, String> settings = new HashMap<>(database(dbDir));
        settings.put("letterlock.data-dir", TOKEN_DATA.toString());
        settings.put("letterlock.vault.type", "pkcs11");
        settings.put("letterlock.db.pool-size", "6");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        settings.put("letterlock.escrow.rsa-pool", "0");
        settings.putAll(extraSettings());
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        escrow = Escrow.start(platform, ca, new JdbcEscrowStore(platform.database().dataSource()));
        tools = new Tools(work);
        for (Requester agent : List.of(ANN, BEN, CID)) {
            platform.admins().create(agent.name(), agent.roles(), Optional.empty());
        }
        platform.identities().register(aliceMailbox, alice.name());
        platform.identities().verify(Outbox.verificationToken(TOKEN_DATA, aliceMailbox));
    }

    protected Map<String, String> extraSettings() {
        return Map.of();
    }

    @AfterEach
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {escrow, ca, platform}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---- helpers

    private KeyEscrow.GeneratedKey generate(KeySpec spec, Pkcs12Format format) {
        return escrow.keys().generate(aliceMailbox, Optional.of(spec), Optional.empty(), format, Optional.empty(), alice);
    }

    private RecoveryRequest released(String mailbox, Requester requester) {
        RecoveryRequest request = escrow.recovery().request(mailbox, "laptop lost", requester);
        escrow.recovery().approve(request.id(), Optional.empty(), ANN);
        return escrow.recovery().approve(request.id(), Optional.of("checked with the helpdesk ticket"), BEN);
    }

    private Path transportCertificate() throws Exception {
        return tools.pem("transport", escrow.recoveryKeys().active().certificate());
    }

    private Path chain() throws Exception {
        return tools.pem("chain", ca.chain("issuing-1").toArray(org.bouncycastle.cert.X509CertificateHolder[]::new));
    }

    private Path root() throws Exception {
        return tools.pem("root", ca.issuer("root").orElseThrow().requireCertificate());
    }

    private Tools.Run openssl(String... arguments) throws Exception {
        Tools.Run run = tools.openssl(arguments);
        assertThat(run.exit()).as(String.join(" ", arguments) + "\n" + run.output()).isZero();
        return run;
    }

    private List<AuditRecord> audit(String action) {
        return platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().action().equals(action)).toList();
    }

    private AuditRecord lastAudit(String action) {
        List<AuditRecord> records = audit(action);
        assertThat(records).as("audit records " + action).isNotEmpty();
        return records.get(records.size() - 1);
    }

    /** An edit made directly in the database, as an attacker with database access would; the rows changed. */
    private int behindTheServersBack(String update, Object... values) throws Exception {
        try (Connection connection = platform.database().dataSource().getConnection(); PreparedStatement s = connection.prepareStatement(update)) {
            for (int i = 0; i < values.length; i++) {
                s.setObject(i + 1, values[i]);
            }
            return s.executeUpdate();
        }
    }

    private static void assertRefused(Runnable call, ErrorType type, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).as(e.getMessage()).isEqualTo(type);
            assertThat(e.getMessage()).contains(message);
        });
    }

    /** A key and certificate the client made: its own key pair, a CSR, a mailbox-encryption certificate. */
    private record ClientKey(KeyPair keys, IssuedCertificate certificate) {
    }

    private ClientKey clientKey(String profile) throws Exception {
        KeyPair keys = TestRequests.rsa(2048);
        byte[] csr = TestRequests.csr(keys, "CN=ignored", List.of(aliceMailbox)).getEncoded();
        return new ClientKey(keys, ca.issue(IssueRequest.mailbox(profile, csr, aliceMailbox), alice));
    }

    /** {@code openssl cms -encrypt} of the PKCS#8 key to the transport certificate, as a client would send it. */
    private byte[] encryptToTransport(PrivateKey key, String... cipher) throws Exception {
        Path der = tools.write("client-key-" + UUID.randomUUID() + ".der", key.getEncoded());
        Path out = work.resolve("client-key-" + UUID.randomUUID() + ".cms");
        String[] base = {"cms", "-encrypt", "-binary", "-in", der.toString(), "-outform", "DER", "-out", out.toString()};
        String[] all = Stream.concat(Stream.concat(Stream.of(base), Stream.of(cipher)), Stream.of(transportCertificate().toString())).toArray(String[]::new);
        openssl(all);
        return Files.readAllBytes(out);
    }

    // ---- the tests

    @Test
    void firstStartMakesARecoveryKeyWhoseTransportCertificateChainsToTheRoot() throws Exception {
        RecoveryKey key = escrow.recoveryKeys().active();
        assertThat(key.id()).isEqualTo("recovery-1");
        assertThat(platform.vault().contains(key.key())).isTrue();
        assertThat(platform.vault().contains(key.integrityKey())).isTrue();
        openssl("verify", "-CAfile", root().toString(), "-untrusted", chain().toString(), transportCertificate().toString());
        assertThat(openssl("x509", "-noout", "-text", "-in", transportCertificate().toString()).output())
                .contains("Key Encipherment", "Letterlock key recovery 1", "3072 bit");
        assertThat(lastAudit("escrow.recovery-key.create").event().target()).isEqualTo("recovery-key:recovery-1");
    }

    /** The issue's end-to-end check: mail encrypted with openssl to an escrowed key is readable with the recovered key. */
    @Test
    void aKeyMadeByEscrowDecryptsMailAfterTwoAgentsApproveItsRecovery() throws Exception {
        KeyEscrow.GeneratedKey generated = generate(KeySpec.RSA_3072, Pkcs12Format.MODERN);
        char[] ownerPassphrase = generated.generatedPassphrase().orElseThrow();
        Path p12 = tools.write("owner.p12", generated.pkcs12());
        Tools.Run listing = openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(ownerPassphrase), "-nokeys", "-info");
        assertThat(listing.output()).contains("PBES2, PBKDF2, AES-256-CBC").contains("MAC: sha256").contains("PKCS7 Data").contains("friendlyName: " + aliceMailbox + " encryption key");
        assertThat(listing.output().split("BEGIN CERTIFICATE", -1)).hasSize(4);
        Path certificate = tools.pem("alice-enc", generated.certificate().holder());
        openssl("verify", "-CAfile", root().toString(), "-untrusted", chain().toString(), "-purpose", "smimeencrypt", certificate.toString());

        Path mail = tools.write("mail.txt", "Subject: quarterly numbers\r\n\r\nThe numbers are in.\r\n".getBytes(StandardCharsets.US_ASCII));
        Path encrypted = work.resolve("mail.p7m");
        openssl("cms", "-encrypt", "-aes256", "-in", mail.toString(), "-out", encrypted.toString(), certificate.toString());

        RecoveryRequest request = escrow.recovery().request(aliceMailbox, "laptop stolen at the airport", alice);
        escrow.recovery().approve(request.id(), Optional.empty(), ANN);
        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), alice), ErrorType.CONFLICT, "waiting for approvals (1 of 2)");
        RecoveryRequest released = escrow.recovery().approve(request.id(), Optional.empty(), BEN);
        assertThat(released.state()).isEqualTo(RecoveryRequest.State.RELEASED);

        KeyRecovery.RecoveredKeys recovered = escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), alice);
        assertThat(recovered.keys()).isEqualTo(1);
        Path recoveredP12 = tools.write("recovered.p12", recovered.pkcs12());
        Path key = work.resolve("recovered-key.pem");
        openssl("pkcs12", "-in", recoveredP12.toString(), "-passin", "pass:" + new String(recovered.passphrase()), "-nocerts", "-nodes", "-out", key.toString());
        Tools.Run decrypted = openssl("cms", "-decrypt", "-in", encrypted.toString(), "-recip", certificate.toString(), "-inkey", key.toString());
        assertThat(decrypted.output()).contains("The numbers are in.");

        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), alice), ErrorType.GONE, "delivered already");
        assertThat(Stream.of("escrow.generate", "escrow.recovery.request", "escrow.recovery.approve", "escrow.recovery.release", "escrow.recovery.deliver"))
                .allSatisfy(action -> assertThat(audit(action)).anyMatch(r -> r.event().outcome() == Outcome.ALLOWED));
        assertThat(audit("escrow.recovery.deliver")).extracting(r -> r.event().outcome()).containsExactly(Outcome.FAILED, Outcome.ALLOWED, Outcome.FAILED);
        assertThat(audit("escrow.recovery.deliver").get(1).event().detail()).contains("1 keys to " + alice.name());
        assertThat(Outbox.mailsTo(TOKEN_DATA, aliceMailbox)).anySatisfy(m -> assertThat(m).contains("Recovery of your encryption keys was requested"))
                .anySatisfy(m -> assertThat(m).contains("released for recovery")).anySatisfy(m -> assertThat(m).contains("were recovered"));
    }

    @Test
    void recoveryDeliversTheWholeHistoryAndJavaKeyStoreReadsIt() throws Exception {
        KeyEscrow.GeneratedKey first = generate(KeySpec.RSA_3072, Pkcs12Format.MODERN);
        KeyEscrow.GeneratedKey second = generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        ClientKey client = clientKey("mailbox-encryption");
        escrow.keys().archiveSubmitted(client.certificate().serial(), encryptToTransport(client.keys().getPrivate(), "-aes256"), alice);
        assertThat(escrow.keys().archives(aliceMailbox, alice)).extracting(ArchivedKey::origin)
                .containsExactlyInAnyOrder(ArchivedKey.Origin.SERVER, ArchivedKey.Origin.SERVER, ArchivedKey.Origin.CLIENT);

        RecoveryRequest request = released(aliceMailbox, OFFICER);
        KeyRecovery.RecoveredKeys recovered = escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.of("a passphrase of my own".toCharArray()), OFFICER);
        assertThat(recovered.keys()).isEqualTo(3);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new ByteArrayInputStream(recovered.pkcs12()), "a passphrase of my own".toCharArray());
        List<String> aliases = Collections.list(store.aliases());
        assertThat(aliases).hasSize(3);
        Set<BigInteger> serials = new java.util.HashSet<>();
        for (String alias : aliases) {
            assertThat(store.isKeyEntry(alias)).isTrue();
            Key key = store.getKey(alias, "a passphrase of my own".toCharArray());
            Certificate[] chain = store.getCertificateChain(alias);
            assertThat(chain).hasSize(3);
            X509Certificate leaf = (X509Certificate) chain[0];
            serials.add(leaf.getSerialNumber());
            assertThat(KeyEscrow.matches(PrivateKeyInfo.getInstance(key.getEncoded()), Certificates.holder(leaf.getEncoded()).getSubjectPublicKeyInfo())).isTrue();
        }
        assertThat(serials).containsExactlyInAnyOrder(first.certificate().serial(), second.certificate().serial(), client.certificate().serial());
    }

    @Test
    void legacyPkcs12ImportsIntoGpgsmWhichThenDecryptsOpensslMail() throws Exception {
        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");
        Map<String, String> env = Map.of("GNUPGHOME", home.toString());
        Path passphrase = tools.write("passphrase", "correct horse battery\n".getBytes(StandardCharsets.UTF_8));
        KeyEscrow.GeneratedKey generated = null;
        Tools.Run imported = null;
        // gpgsm 2.2.40 now and then fails to decrypt a key bag OpenSSL reads from the same file ("decryption failed; trying
        // charset ...", depending on the file's random salt; seen in CI, never in 104 files made by hand): a fresh file
        // gets up to two more tries.
        for (int attempt = 0; attempt < 3 && (imported == null || imported.exit() != 0); attempt++) {
            generated = escrow.keys().generate(aliceMailbox, Optional.of(KeySpec.RSA_3072), Optional.of("correct horse battery".toCharArray()),
                    Pkcs12Format.LEGACY, Optional.empty(), alice);
            Path p12 = tools.write("legacy.p12", generated.pkcs12());
            assertThat(openssl("pkcs12", "-legacy", "-in", p12.toString(), "-passin", "pass:correct horse battery", "-nokeys", "-info").output())
                    .contains("pbeWithSHA1And40BitRC2-CBC").contains("MAC: sha1");
            imported = tools.run(env, "sh", "-c", "gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --import " + p12 + " < " + passphrase);
        }
        assertThat(imported.exit()).as(imported.output()).isZero();
        assertThat(imported.output()).contains("secret keys imported: 1");

        Path certificate = tools.pem("alice-enc", generated.certificate().holder());
        Path mail = tools.write("mail.txt", "Subject: hi\r\n\r\nread by gpgsm\r\n".getBytes(StandardCharsets.US_ASCII));
        Path encrypted = work.resolve("mail.p7m");
        openssl("cms", "-encrypt", "-aes256", "-outform", "DER", "-in", mail.toString(), "-out", encrypted.toString(), certificate.toString());
        Tools.Run decrypted = tools.run(env, "sh", "-c", "gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 --decrypt " + encrypted + " < " + passphrase);
        assertThat(decrypted.output()).contains("read by gpgsm");
        tools.run(env, "gpgconf", "--kill", "all");
    }

    @Test
    void aClientKeyIsArchivedOnlyWhenItMatchesItsCertificate() throws Exception {
        ClientKey client = clientKey("mailbox-encryption");
        KeyPair other = TestRequests.rsa(2048);
        BigInteger serial = client.certificate().serial();
        assertRefused(() -> escrow.keys().archiveSubmitted(serial, uncheck(() -> encryptToTransport(other.getPrivate(), "-aes256")), alice),
                ErrorType.BAD_REQUEST, "does not belong to certificate");
        assertRefused(() -> escrow.keys().archiveSubmitted(serial, "not cms at all".getBytes(StandardCharsets.US_ASCII), alice),
                ErrorType.BAD_REQUEST, "not DER CMS");
        assertRefused(() -> escrow.keys().archiveSubmitted(serial, new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, alice), ErrorType.BAD_REQUEST, "");
        assertRefused(() -> escrow.keys().archiveSubmitted(serial, uncheck(() -> encryptToTransport(client.keys().getPrivate(), "-aes256")), bob),
                ErrorType.FORBIDDEN, "is not a mailbox of " + bob.name());
        assertThat(escrow.keys().archives(aliceMailbox, alice)).isEmpty();
        assertThat(lastAudit("escrow.archive").event().outcome()).isEqualTo(Outcome.DENIED);

        // AES-GCM (AuthEnvelopedData) is accepted as well as the CBC EnvelopedData above.
        ArchivedKey archived = escrow.keys().archiveSubmitted(serial, encryptToTransport(client.keys().getPrivate(), "-aes-256-gcm"), alice);
        assertThat(archived.origin()).isEqualTo(ArchivedKey.Origin.CLIENT);
        assertThat(archived.keySpec()).isEqualTo("rsa-2048");
        assertRefused(() -> escrow.keys().archiveSubmitted(serial, uncheck(() -> encryptToTransport(client.keys().getPrivate(), "-aes256")), alice),
                ErrorType.CONFLICT, "archived already");
    }

    static Stream<Arguments> signingCertificates() {
        return Stream.of(Arguments.of("refuses/mailbox-signing", "mailbox-signing"), Arguments.of("refuses/mailbox-multipurpose", "mailbox-multipurpose"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("signingCertificates")
    void signingKeysAreNeverEscrowed(String name, String profile) throws Exception {
        ClientKey client = clientKey(profile);
        assertRefused(() -> escrow.keys().archiveSubmitted(client.certificate().serial(), uncheck(() -> encryptToTransport(client.keys().getPrivate(), "-aes256")),
                alice), ErrorType.FORBIDDEN, "signing keys are never escrowed");
        AuditRecord refusal = lastAudit("escrow.archive");
        assertThat(refusal.event().outcome()).isEqualTo(Outcome.DENIED);
        assertThat(refusal.event().detail()).contains(profile);
        assertThat(escrow.keys().archives(aliceMailbox, alice)).isEmpty();
    }

    @Test
    void dualControlRefusesEveryShortcut() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest byAgent = escrow.recovery().request(aliceMailbox, "alice left the company", ANN);
        String id = byAgent.id();
        assertRefused(() -> escrow.recovery().approve(id, Optional.empty(), ANN), ErrorType.FORBIDDEN, "requester of a recovery can never approve");
        assertRefused(() -> escrow.recovery().approve(id, Optional.empty(), OFFICER), ErrorType.FORBIDDEN, "only recovery agents");
        assertRefused(() -> escrow.recovery().approve(id, Optional.empty(), alice), ErrorType.FORBIDDEN, "only recovery agents");
        escrow.recovery().approve(id, Optional.empty(), BEN);
        assertRefused(() -> escrow.recovery().approve(id, Optional.empty(), BEN), ErrorType.CONFLICT, "decided on recovery " + id + " already");
        assertRefused(() -> escrow.recovery().download(id, Pkcs12Format.MODERN, Optional.empty(), ANN), ErrorType.CONFLICT, "waiting for approvals (1 of 2)");
        assertThat(escrow.recovery().recovery(id, AUDITOR).state()).isEqualTo(RecoveryRequest.State.PENDING);
        assertThat(audit("escrow.recovery.approve")).filteredOn(r -> r.event().outcome() == Outcome.DENIED).hasSizeGreaterThanOrEqualTo(3);

        RecoveryRequest released = escrow.recovery().approve(id, Optional.empty(), CID);
        assertThat(released.state()).isEqualTo(RecoveryRequest.State.RELEASED);
        assertRefused(() -> escrow.recovery().download(id, Pkcs12Format.MODERN, Optional.empty(), BEN), ErrorType.FORBIDDEN, "only the requester (ann)");
        assertThat(escrow.recovery().download(id, Pkcs12Format.LEGACY, Optional.empty(), ANN).keys()).isEqualTo(1);
    }

    @Test
    void aRequesterWhoLostTheRightToTheMailboxDownloadsNothing() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest released = released(aliceMailbox, OFFICER);
        Requester demoted = new Requester(OFFICER.name(), Set.of(Role.MAILBOX_OWNER));
        assertRefused(() -> escrow.recovery().download(released.id(), Pkcs12Format.MODERN, Optional.empty(), demoted), ErrorType.FORBIDDEN, aliceMailbox);
        assertThat(escrow.recovery().download(released.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER).keys()).isEqualTo(1);
    }

    /**
     * The release and its seal are one write: a seal that cannot be made (the token gone, a row found forged) leaves the
     * request pending and the deciding approval unrecorded, and the seal is made over the approvals as stored.
     */
    @Test
    void aReleaseIsStoredWithItsSealOrNotAtAll() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest request = escrow.recovery().request(aliceMailbox, "laptop lost", OFFICER);
        escrow.recovery().approve(request.id(), Optional.empty(), ANN);
        JdbcEscrowStore store = new JdbcEscrowStore(platform.database().dataSource());
        java.time.Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        java.time.Instant expiry = now.plus(Duration.ofHours(1));
        RecoveryRequest.Decision ben = new RecoveryRequest.Decision(BEN.name(), true, Optional.empty(), now, Optional.empty());

        assertThatThrownBy(() -> store.decide(request.id(), ben, now, expiry, released -> {
            throw new IllegalStateException("the token went away");
        })).hasMessageContaining("the token went away");
        RecoveryRequest after = store.recovery(request.id()).orElseThrow();
        assertThat(after.state()).isEqualTo(RecoveryRequest.State.PENDING);
        assertThat(after.approvers()).containsExactly(ANN.name());

        RecoveryRequest.Seal seal = new RecoveryRequest.Seal("recovery-key", new byte[] {1, 2, 3});
        List<RecoveryRequest> sealedOver = new java.util.ArrayList<>();
        assertThat(store.decide(request.id(), ben, now, expiry, released -> {
            sealedOver.add(released);
            return seal;
        })).contains(RecoveryRequest.State.RELEASED);
        assertThat(sealedOver).singleElement().satisfies(released -> {
            assertThat(released.state()).isEqualTo(RecoveryRequest.State.RELEASED);
            assertThat(released.approvers()).containsExactly(ANN.name(), BEN.name());
            assertThat(released.expiresAt()).isEqualTo(expiry);
        });
        RecoveryRequest stored = store.recovery(request.id()).orElseThrow();
        assertThat(stored.state()).isEqualTo(RecoveryRequest.State.RELEASED);
        assertThat(stored.releaseSeal()).hasValueSatisfying(s -> {
            assertThat(s.recoveryKeyId()).isEqualTo("recovery-key");
            assertThat(s.signature()).containsExactly(1, 2, 3);
        });
    }

    @Test
    void aDenialEndsTheRequest() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest request = escrow.recovery().request(aliceMailbox, "subpoena", OFFICER);
        escrow.recovery().approve(request.id(), Optional.empty(), ANN);
        RecoveryRequest denied = escrow.recovery().deny(request.id(), Optional.of("no ticket for this"), BEN);
        assertThat(denied.state()).isEqualTo(RecoveryRequest.State.DENIED);
        assertRefused(() -> escrow.recovery().approve(request.id(), Optional.empty(), CID), ErrorType.CONFLICT, "is denied");
        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER), ErrorType.CONFLICT, "is denied");
        assertThat(lastAudit("escrow.recovery.deny").event().detail()).contains("no ticket for this");
        assertThat(Outbox.mailsTo(TOKEN_DATA, aliceMailbox)).anySatisfy(m -> assertThat(m).contains("was denied by ben"));
    }

    @Test
    void requestsExpireUnapprovedAndReleasedOnesExpireUndownloaded() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest waiting = escrow.recovery().request(aliceMailbox, "laptop lost", alice);
        RecoveryRequest released = released(aliceMailbox, OFFICER);
        clock.advance(Duration.ofHours(25));
        escrow.recovery().expireOverdue();
        assertThat(escrow.recovery().recovery(released.id(), AUDITOR).state()).isEqualTo(RecoveryRequest.State.EXPIRED);
        assertRefused(() -> escrow.recovery().download(released.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER), ErrorType.GONE, "expired");
        assertThat(escrow.recovery().recovery(waiting.id(), AUDITOR).state()).isEqualTo(RecoveryRequest.State.PENDING);
        clock.advance(Duration.ofHours(48));
        assertRefused(() -> escrow.recovery().approve(waiting.id(), Optional.empty(), ANN), ErrorType.GONE, "expired");
        assertThat(audit("escrow.recovery.expire")).extracting(r -> r.event().target()).contains("recovery:" + waiting.id(), "recovery:" + released.id());
        assertThat(Outbox.mailsTo(TOKEN_DATA, aliceMailbox)).anySatisfy(m -> assertThat(m).contains("expired"));
    }

    static Stream<Arguments> tampering() {
        return Stream.of(
                Arguments.of("refuses/changed-sealed-bytes", "UPDATE escrow_archive SET sealed = ? WHERE mailbox = ?", true),
                Arguments.of("refuses/owner-swapped", "UPDATE escrow_archive SET created_by = ? WHERE mailbox = ?", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tampering")
    void aTamperedArchiveIsRefusedAtRecovery(String name, String update, boolean bytes) throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        ArchivedKey original = escrow.keys().archives(aliceMailbox, alice).get(0);
        RecoveryRequest request = released(aliceMailbox, OFFICER);
        byte[] sealed = original.sealed().clone();
        sealed[sealed.length - 20] ^= 1;
        assertThat(behindTheServersBack(update, bytes ? sealed : "mallory", aliceMailbox)).isEqualTo(1);
        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER), ErrorType.CONFLICT, "failed its integrity check");
        assertThat(lastAudit("escrow.integrity").event().target()).isEqualTo("archive:" + original.id());
        assertThat(escrow.recovery().recovery(request.id(), OFFICER).state()).isEqualTo(RecoveryRequest.State.RELEASED);
    }

    static Stream<Arguments> releaseTampering() {
        return Stream.of(
                Arguments.of("refuses/requester-changed-after-release", "UPDATE escrow_recovery SET requested_by = 'mallory' WHERE id = ?", true),
                Arguments.of("refuses/pending-set-to-released", "UPDATE escrow_recovery SET state = 'RELEASED', requested_by = 'mallory' WHERE id = ?", false));
    }

    /** The request row is not trusted either: a download needs the release the agents' approvals signed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releaseTampering")
    void aRecoveryRowEditedBehindTheServersBackDeliversNothing(String name, String update, boolean approved) throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest request = approved ? released(aliceMailbox, OFFICER) : escrow.recovery().request(aliceMailbox, "lost", OFFICER);
        assertThat(behindTheServersBack(update, request.id())).isEqualTo(1);
        Requester mallory = new Requester("mallory", Set.of(Role.RA_OFFICER));
        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), mallory), ErrorType.CONFLICT, "has no valid release");
        assertThat(lastAudit("escrow.integrity").event().target()).isEqualTo("recovery:" + request.id());
    }

    static Stream<Arguments> pendingTampering() {
        return Stream.of(
                Arguments.of("refuses/approval-nobody-gave", "INSERT INTO escrow_decision (recovery_id, agent, approved, decided_at) VALUES (?, 'ben', TRUE, "
                        + "CURRENT_TIMESTAMP)", "the decision of ben was not recorded by the server"),
                Arguments.of("refuses/fewer-approvals-needed", "UPDATE escrow_recovery SET approvals_needed = 1 WHERE id = ?", "fewer than the 2 configured"),
                Arguments.of("refuses/another-requester", "UPDATE escrow_recovery SET requested_by = 'mallory' WHERE id = ?", "not as it was made"));
    }

    /**
     * Rows forged before a release do not count: the request and each decision are sealed when the server writes them,
     * so one agent cannot release a recovery alone with the help of someone who can write to the database.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pendingTampering")
    void aPendingRecoveryEditedBehindTheServersBackIsNeitherDecidedNorReleased(String name, String update, String problem) throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryRequest request = escrow.recovery().request(aliceMailbox, "lost", OFFICER);
        assertThat(behindTheServersBack(update, request.id())).isEqualTo(1);
        assertRefused(() -> escrow.recovery().approve(request.id(), Optional.empty(), ANN), ErrorType.CONFLICT, problem);
        assertThat(lastAudit("escrow.integrity").event().detail()).contains(problem);
        RecoveryRequest after = escrow.recovery().recovery(request.id(), AUDITOR);
        assertThat(after.state()).isEqualTo(RecoveryRequest.State.PENDING);
        assertThat(after.decisions()).extracting(RecoveryRequest.Decision::agent).doesNotContain(ANN.name());
    }

    @Test
    void aRecoveryKeyRowPointingAtAnotherCertificateIsNeverSealedTo() throws Exception {
        ClientKey other = clientKey("mailbox-encryption");
        assertThat(behindTheServersBack("UPDATE escrow_recovery_key SET certificate = ?", other.certificate().der())).isEqualTo(1);
        RecoveryKeys reloaded = new RecoveryKeys(new JdbcEscrowStore(platform.database().dataSource()), platform.vault(), platform.auditLog(), ca, clock,
                platform.config().vault().tokenLabel());
        assertThat(reloaded.all()).isEmpty();
        assertRefused(reloaded::active, ErrorType.UNAVAILABLE, "does not match the vault or the CA");
        assertThat(lastAudit("escrow.integrity").event().detail()).contains("its certificate is not for its vault key");
    }

    /** Nothing is made on the token while the CA cannot certify a recovery key: anyone's GET of the transport certificate would pile keys up. */
    @Test
    void noRecoveryKeyIsMadeWhileTheCaCannotCertifyIt() throws Exception {
        assertThat(behindTheServersBack("DELETE FROM escrow_recovery_key")).isEqualTo(1);
        clock.advance(java.time.Duration.ofDays(9 * 365));
        int keysOnTheToken = platform.vault().keys().size();
        RecoveryKeys reloaded = new RecoveryKeys(new JdbcEscrowStore(platform.database().dataSource()), platform.vault(), platform.auditLog(), ca, clock,
                platform.config().vault().tokenLabel());
        for (int call = 0; call < 3; call++) {
            assertRefused(reloaded::active, ErrorType.UNAVAILABLE, "expired");
        }
        assertThat(platform.vault().keys()).hasSize(keysOnTheToken);
    }

    @Test
    void anArchiveMovedToAnotherMailboxIsRefused() throws Exception {
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        String bobMailbox = "bob-" + tag + "@example.org";
        platform.identities().register(bobMailbox, bob.name());
        platform.identities().verify(Outbox.verificationToken(TOKEN_DATA, bobMailbox));
        escrow.keys().generate(bobMailbox, Optional.of(KeySpec.EC_P256), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), bob);
        assertThat(behindTheServersBack("UPDATE escrow_archive SET mailbox = ? WHERE mailbox = ?", bobMailbox, aliceMailbox)).isEqualTo(1);
        RecoveryRequest request = released(bobMailbox, OFFICER);
        assertRefused(() -> escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER), ErrorType.CONFLICT, "failed its integrity check");
    }

    @Test
    void generationChecksTheMailboxTheSpecAndThePassphrase() {
        assertRefused(() -> escrow.keys().generate(aliceMailbox, Optional.empty(), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), bob),
                ErrorType.FORBIDDEN, "is not a mailbox of " + bob.name());
        assertRefused(() -> escrow.keys().generate(aliceMailbox, Optional.of(KeySpec.ED25519), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), alice),
                ErrorType.BAD_REQUEST, "key spec ed25519 is not allowed");
        assertRefused(() -> escrow.keys().generate(aliceMailbox, Optional.empty(), Optional.of("short".toCharArray()), Pkcs12Format.MODERN, Optional.empty(), alice),
                ErrorType.BAD_REQUEST, "12 to 1024 characters");
        assertRefused(() -> escrow.keys().generate("not an address", Optional.empty(), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), alice),
                ErrorType.BAD_REQUEST, "");
        assertThat(escrow.keys().archives(aliceMailbox, alice)).isEmpty();
        assertThat(ca.search(aliceMailbox, null, null, 10, OFFICER)).isEmpty();
    }

    @Test
    void aRecoveryNeedsEnoughAgentsAndAnArchive() throws Exception {
        assertRefused(() -> escrow.recovery().request(aliceMailbox, "lost", alice), ErrorType.NOT_FOUND, "no decryption key of " + aliceMailbox);
        generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        platform.admins().disable(CID.name());
        assertRefused(() -> escrow.recovery().request(aliceMailbox, "lost", alice), ErrorType.CONFLICT, "recovery needs 2 of 3 recovery agents");
        assertRefused(() -> escrow.recovery().request(aliceMailbox, "", OFFICER), ErrorType.BAD_REQUEST, "give the reason");
    }

    @Test
    void aRotatedRecoveryKeyStillOpensWhatWasSealedToIt() throws Exception {
        KeyEscrow.GeneratedKey before = generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        RecoveryKey next = escrow.recoveryKeys().rotate();
        assertThat(next.id()).isEqualTo("recovery-2");
        KeyEscrow.GeneratedKey after = generate(KeySpec.EC_P256, Pkcs12Format.MODERN);
        assertThat(before.archive().recoveryKeyId()).isEqualTo("recovery-1");
        assertThat(after.archive().recoveryKeyId()).isEqualTo("recovery-2");
        RecoveryRequest request = released(aliceMailbox, OFFICER);
        assertThat(escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), OFFICER).keys()).isEqualTo(2);
    }

    @Test
    void encryptionKeysJoinTheOwnersPair() throws Exception {
        KeyPair signingKeys = TestRequests.ec("secp256r1");
        IssuedCertificate signing = ca.issue(IssueRequest.mailbox("mailbox-signing", TestRequests.csr(signingKeys, "CN=x", List.of(aliceMailbox)).getEncoded(),
                aliceMailbox), alice);
        KeyEscrow.GeneratedKey encryption = escrow.keys().generate(aliceMailbox, Optional.empty(), Optional.empty(), Pkcs12Format.MODERN, signing.pairId(), alice);
        assertThat(encryption.certificate().pairId()).isEqualTo(signing.pairId());
        assertThat(ca.pair(signing.pairId().orElseThrow(), alice)).extracting(IssuedCertificate::profile).containsExactly("mailbox-signing", "mailbox-encryption");
        assertThat(encryption.certificate().holder().getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId()).isEqualTo("1.2.840.113549.1.1.1");
    }

    /** The archive write fails after the CA issued: the certificate must not outlive the key nobody could recover. */
    @Test
    void aCertificateWhoseKeyCouldNotBeArchivedIsRevoked() {
        EscrowStore real = new JdbcEscrowStore(platform.database().dataSource());
        EscrowStore failing = (EscrowStore) java.lang.reflect.Proxy.newProxyInstance(EscrowStore.class.getClassLoader(), new Class<?>[] {EscrowStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("insertArchive")) {
                        throw new LetterlockException(ErrorType.UNAVAILABLE, "the database is not available");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        RecoveryKeys recoveryKeys = new RecoveryKeys(failing, platform.vault(), platform.auditLog(), ca, clock, platform.config().vault().tokenLabel());
        KeyEscrow broken = new KeyEscrow(platform.config().escrow(), failing, recoveryKeys, ca, platform.auditLog(), clock);
        try {
            assertRefused(() -> broken.generate(aliceMailbox, Optional.of(KeySpec.EC_P256), Optional.empty(), Pkcs12Format.MODERN, Optional.empty(), alice),
                    ErrorType.UNAVAILABLE, "not available");
        } finally {
            broken.close();
        }
        List<IssuedCertificate> issued = ca.search(aliceMailbox, "mailbox-encryption", null, 10, OFFICER);
        assertThat(issued).hasSize(1);
        assertThat(issued.get(0).revocation()).hasValueSatisfying(r -> assertThat(r.reason().rfcName()).isEqualTo("cessationOfOperation"));
        assertThat(real.archives(aliceMailbox)).isEmpty();
    }

    @FunctionalInterface
    interface Call<T> {
        T call() throws Exception;
    }

    static <T> T uncheck(Call<T> call) {
        try {
            return call.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
