package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.LDAPListener;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.ca.Tools;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.keyserver.web.LdapDirectory;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * LDAPS and StartTLS as OpenLDAP's ldapsearch (on GnuTLS) and openssl s_client see them: the TLS key on a real
 * SoftHSM2 token, its certificate from Letterlock's CA, verified against the root and the host name (demand), and a
 * client that trusts another CA refused.
 */
class LdapTlsTest {
    /** One token store per test JVM: SoftHSM2 reads SOFTHSM2_CONF once, when SunPKCS11 loads it (see the surefire configuration). */
    static final Path TOKEN_DATA = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();
    private static final String BASE = "dc=example,dc=org";

    @TempDir
    Path dbDir;
    @TempDir
    Path work;

    private final MovableClock clock = new MovableClock();
    /** The token's outbox is shared by the JVM: a mailbox of this test's own. */
    private final String mailbox = "dana-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    private Letterlock platform;
    private Keyserver keyserver;
    private CertificateAuthority ca;
    private TlsIdentity identity;
    private LDAPListener ldap;
    private LDAPListener ldaps;
    private IssuedCertificate published;
    private Path rootCa;
    private Path otherCa;
    private Tools tools;

    @BeforeEach
    void start() throws Exception {
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dbDir));
        settings.put("letterlock.data-dir", TOKEN_DATA.toString());
        settings.put("letterlock.vault.type", "pkcs11");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        tools = new Tools(work);
        keyserver = TestKeyservers.keyserver(platform, clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        identity = TlsIdentity.start(ca, platform.vault(), platform.config().vault().tokenLabel(), List.of("127.0.0.1", "localhost"), clock);
        ldap = LdapDirectory.start(LdapDirectory.Transport.LDAP, InetAddress.getLoopbackAddress(), 0, BASE, identity.serverContext(), () -> keyserver, () -> ca);
        ldaps = LdapDirectory.start(LdapDirectory.Transport.LDAPS, InetAddress.getLoopbackAddress(), 0, BASE, identity.serverContext(), () -> keyserver, () -> ca);

        platform.identities().register(mailbox, "dana");
        platform.identities().verify(Outbox.verificationToken(TOKEN_DATA, mailbox));
        published = ca.issue(IssueRequest.mailbox("mailbox-signing", TestRequests.csr(TestRequests.rsa(2048), "CN=x", List.of(mailbox)).getEncoded(), mailbox),
                new Requester("dana", Set.of(Role.MAILBOX_OWNER)));
        rootCa = Files.writeString(work.resolve("root.pem"), Certificates.pem(ca.issuer("root").orElseThrow().requireCertificate()));
        otherCa = work.resolve("other.pem");
        Tools.Run made = tools.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                work.resolve("other.key").toString(), "-subj", "/CN=Some Other Root", "-days", "2", "-out", otherCa.toString());
        assertThat(made.exit()).as(made.output()).isZero();
    }

    @AfterEach
    void stop() {
        for (LDAPListener listener : new LDAPListener[] {ldap, ldaps}) {
            if (listener != null) {
                listener.shutDown(true);
            }
        }
        if (identity != null) {
            identity.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    /** ldapsearch for the mailbox's certificate, trusting only {@code trusted} and demanding a valid certificate for the name dialled. */
    private Tools.Run ldapsearch(String transport, Path trusted) throws Exception {
        return ldapsearch(transport, trusted, (transport.equals("ldaps") ? ldaps : ldap).getListenPort());
    }

    private Tools.Run ldapsearch(String transport, Path trusted, int port) throws Exception {
        List<String> command = new ArrayList<>(List.of("ldapsearch", "-x", "-LLL"));
        if (transport.equals("ldaps")) {
            command.addAll(List.of("-H", "ldaps://127.0.0.1:" + port));
        } else {
            command.addAll(List.of("-ZZ", "-H", "ldap://127.0.0.1:" + port));
        }
        command.addAll(List.of("-b", BASE, "(mail=" + mailbox + ")", "userCertificate;binary"));
        // HOME elsewhere, so no ~/.ldaprc of the machine's user changes what is checked.
        return tools.run(Map.of("LDAPTLS_CACERT", trusted.toString(), "LDAPTLS_REQCERT", "demand", "HOME", work.toString()), command.toArray(String[]::new));
    }

    /**
     * One client holds at most its share of connections (the next is closed as it comes), and a connection that says
     * nothing is closed after the idle time; a client within the limits is served over either transport's TLS.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ldaps", "starttls"})
    void oneClientHoldsAtMostItsShareOfConnectionsAndSilentOnesAreClosed(String transport) throws Exception {
        Duration idle = Duration.ofSeconds(3);
        LDAPListener limited = LdapDirectory.start(transport.equals("ldaps") ? LdapDirectory.Transport.LDAPS : LdapDirectory.Transport.LDAP,
                InetAddress.getLoopbackAddress(), 0, BASE, identity.serverContext(), () -> keyserver, () -> ca, new LdapDirectory.ConnectionLimits(2, idle));
        try (java.net.Socket first = new java.net.Socket(InetAddress.getLoopbackAddress(), limited.getListenPort());
             java.net.Socket second = new java.net.Socket(InetAddress.getLoopbackAddress(), limited.getListenPort())) {
            long start = System.nanoTime();
            try (java.net.Socket third = new java.net.Socket(InetAddress.getLoopbackAddress(), limited.getListenPort())) {
                third.setSoTimeout(10_000);
                assertThat(third.getInputStream().read()).as("the third is closed").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("as it comes, not when idle").isLessThan(idle);
            }
            first.setSoTimeout(10_000);
            // At most a TLS alert or a notice of disconnection, then the end of the stream; an open one would time the read out.
            assertThat(first.getInputStream().readAllBytes().length).as("a silent connection is closed").isLessThan(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(idle.minusMillis(500));
        }
        // More searches one after another than the limit: each closed connection gives its place back.
        for (int i = 0; i < 3; i++) {
            Tools.Run found = ldapsearch(transport, rootCa, limited.getListenPort());
            assertThat(found.exit()).as(found.output()).isZero();
            assertThat(found.output()).contains("userCertificate;binary");
        }
        limited.shutDown(true);
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"ldaps, letterlock-root, true", "starttls, letterlock-root, true", "ldaps, other-root, false", "starttls, other-root, false"})
    void ldapsearchFindsTheCertificateOnlyOverAVerifiedConnection(String transport, String trust, boolean succeeds) throws Exception {
        Tools.Run found = ldapsearch(transport, trust.equals("letterlock-root") ? rootCa : otherCa);
        if (!succeeds) {
            assertThat(found.exit()).as(found.output()).isNotZero();
            assertThat(found.output()).doesNotContain("userCertificate");
            return;
        }
        assertThat(found.exit()).as(found.output()).isZero();
        String base64 = found.output().replace("\n ", "").lines().filter(l -> l.startsWith("userCertificate;binary:: ")).findFirst().orElseThrow()
                .substring("userCertificate;binary:: ".length());
        assertThat(Base64.getDecoder().decode(base64)).isEqualTo(published.der());
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"ldaps, letterlock-root, 127.0.0.1, true", "starttls, letterlock-root, 127.0.0.1, true", "ldaps, other-root, 127.0.0.1, false",
            "ldaps, letterlock-root, 127.0.0.2, false"})
    void opensslVerifiesTheChainAndTheAddress(String transport, String trust, String address, boolean succeeds) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-verify_return_error", "-showcerts", "-verify_ip", address,
                "-CAfile", (trust.equals("letterlock-root") ? rootCa : otherCa).toString()));
        if (transport.equals("ldaps")) {
            command.addAll(List.of("-connect", "127.0.0.1:" + ldaps.getListenPort()));
        } else {
            command.addAll(List.of("-starttls", "ldap", "-connect", "127.0.0.1:" + ldap.getListenPort()));
        }
        Tools.Run session = tools.run(command.toArray(String[]::new));
        if (!succeeds) {
            assertThat(session.exit()).as(session.output()).isNotZero();
            return;
        }
        assertThat(session.exit()).as(session.output()).isZero();
        assertThat(session.output()).contains("Verify return code: 0 (ok)")
                .as("the chain is sent: leaf, the TLS issuing CA, root").contains(" 1 s:CN = Letterlock TLS Issuing CA").contains(" 2 s:CN = Letterlock Root CA");
    }

    /**
     * gpg's dirmngr takes OpenLDAP's TLS settings: with the root trusted it receives a published key, without it
     * nothing. In gpg's keyserver URLs {@code ldaps://} means StartTLS, so it names the plain port.
     */
    @ParameterizedTest(name = "gpg/{0}")
    @CsvSource({"letterlock-root, true", "other-root, false"})
    void gpgReceivesAKeyOverLdaps(String trust, boolean succeeds) throws Exception {
        Gpg alice = new Gpg(work.resolve("alice"));
        String fingerprint = alice.generate("Dana <" + mailbox + ">");
        keyserver.upload(alice.export(fingerprint), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(TOKEN_DATA, mailbox));
        alice.stop();
        Gpg bob = new Gpg(work.resolve("bob"), Map.of("LDAPTLS_CACERT", (trust.equals("letterlock-root") ? rootCa : otherCa).toString(),
                "LDAPTLS_REQCERT", "demand"));
        Gpg.Run received = bob.run("--keyserver", "ldaps://127.0.0.1:" + ldap.getListenPort() + "/" + BASE, "--recv-keys", fingerprint);
        bob.stop();
        if (succeeds) {
            assertThat(received.exit()).as(received.output()).isZero();
            assertThat(received.output()).contains("imported: 1");
        } else {
            assertThat(received.exit()).as(received.output()).isNotZero();
            assertThat(received.output()).doesNotContain("imported");
        }
    }

    /** gpgsm's dirmngr with an {@code ldapserver} line flagged {@code ldaptls}: TLS from the first byte, on the LDAPS port. */
    @Test
    void gpgsmFindsTheCertificateOverLdaps() throws Exception {
        Path home = Files.createDirectories(work.resolve("gpgsm"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("dirmngr.conf"), "ldapserver 127.0.0.1:" + ldaps.getListenPort() + ":::" + BASE + ":ldaptls\n");
        Tools.Run listed = tools.run(Map.of("LDAPTLS_CACERT", rootCa.toString(), "LDAPTLS_REQCERT", "demand", "HOME", work.toString()),
                "gpgsm", "--homedir", home.toString(), "--batch", "--with-colons", "--list-external-keys", mailbox);
        tools.run("gpgconf", "--homedir", home.toString(), "--kill", "all");
        assertThat(listed.output()).as("gpgsm --list-external-keys").contains(mailbox).contains(published.serialHex().toUpperCase(Locale.ROOT));
    }

    @Test
    void rootDseOffersStartTlsOnThePlainPortOnly() throws Exception {
        Tools.Run plain = tools.run(Map.of("HOME", work.toString()), "ldapsearch", "-x", "-LLL", "-H", "ldap://127.0.0.1:" + ldap.getListenPort(), "-b", "", "-s", "base",
                "(objectClass=*)", "supportedExtension");
        assertThat(plain.output()).contains("supportedExtension: 1.3.6.1.4.1.1466.20037");
        Tools.Run overTls = tools.run(Map.of("LDAPTLS_CACERT", rootCa.toString(), "LDAPTLS_REQCERT", "demand", "HOME", work.toString()), "ldapsearch", "-x", "-LLL",
                "-H", "ldaps://127.0.0.1:" + ldaps.getListenPort(), "-b", "", "-s", "base", "(objectClass=*)", "supportedExtension", "namingContexts");
        assertThat(overTls.exit()).as(overTls.output()).isZero();
        assertThat(overTls.output()).contains("dn:").doesNotContain("supportedExtension");
    }
}
