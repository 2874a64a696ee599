package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.LDAPListener;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.keyserver.web.LdapDirectory;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/** The LDAP directory as ldapsearch and gpg's dirmngr read it. */
class LdapWithGpgTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    private final MovableClock clock = new MovableClock();
    private Letterlock platform;
    private Keyserver keyserver;
    private LDAPListener listener;
    private CertificateAuthority ca;
    private TlsIdentity tls;
    private String url;

    @BeforeEach
    void start() throws Exception {
        platform = TestKeyservers.platform(TestDatabases.h2(dataDir), dataDir, clock);
        keyserver = TestKeyservers.keyserver(platform, clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        tls = TlsIdentity.start(ca, platform.vault(), platform.config().vault().tokenLabel(), List.of("127.0.0.1"), clock);
        listener = LdapDirectory.start(LdapDirectory.Transport.LDAP, InetAddress.getLoopbackAddress(), 0, "dc=example,dc=org", tls.serverContext(), () -> keyserver, () -> ca);
        url = "ldap://127.0.0.1:" + listener.getListenPort();
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.shutDown(true);
        }
        if (tls != null) {
            tls.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private record Run(int exit, String output) {
    }

    private Run ldapsearch(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("ldapsearch", "-x", "-LLL", "-H", url));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), output);
    }

    private String published(Gpg gpg, String userId, String address) throws Exception {
        String fingerprint = gpg.generate(userId);
        keyserver.upload(gpg.export(fingerprint), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(dataDir, address));
        return fingerprint;
    }

    @Test
    void ldapsearchFindsKeysByTheFiltersGpgUsesAndRefusesTheRest() throws Exception {
        Gpg alice = new Gpg(work.resolve("alice"));
        String fingerprint = published(alice, "Alice <alice@example.org>", "alice@example.org");
        String keyId = fingerprint.substring(24);

        Run root = ldapsearch("-b", "", "-s", "base", "(objectClass=*)", "namingContexts");
        assertThat(root.output()).contains("namingContexts: dc=example,dc=org");
        Run info = ldapsearch("-b", "cn=PGPServerInfo,dc=example,dc=org", "-s", "base", "(objectClass=*)");
        assertThat(info.output()).contains("pgpBaseKeySpaceDN: ou=PGP Keys,dc=example,dc=org");

        Run byCertId = ldapsearch("-b", "ou=PGP Keys,dc=example,dc=org", "(pgpCertID=" + keyId + ")", "pgpKey", "pgpUserID");
        assertThat(byCertId.exit()).as(byCertId.output()).isZero();
        assertThat(byCertId.output()).contains("dn: pgpCertID=" + keyId + ",ou=PGP Keys,dc=example,dc=org").contains("pgpUserID: Alice <alice@example.org>")
                .contains("pgpKey:");
        Run byMailbox = ldapsearch("-b", "dc=example,dc=org", "(&(gpgMailbox=alice@example.org)(!(|(pgpRevoked=1)(pgpDisabled=1))))", "gpgFingerprint");
        assertThat(byMailbox.output()).contains("gpgFingerprint: " + fingerprint);
        Run bySubstring = ldapsearch("-b", "ou=PGP Keys,dc=example,dc=org", "(pgpUserID=*alice@example.org*)", "pgpCertID");
        assertThat(bySubstring.output()).contains("pgpCertID: " + keyId);

        Run everything = ldapsearch("-b", "ou=PGP Keys,dc=example,dc=org", "(objectClass=pgpKeyInfo)");
        assertThat(everything.exit()).isEqualTo(53);
        Run elsewhere = ldapsearch("-b", "dc=other,dc=net", "(mail=alice@example.org)");
        assertThat(elsewhere.exit()).isEqualTo(32);
        Run broken = ldapsearch("-b", "dc=example,dc=org", "(mail=alice@example.org");
        assertThat(broken.exit()).isNotZero();
        assertThat(ldapsearch("-b", "", "-s", "base", "(objectClass=*)").exit()).isZero();
        // A request over the size limit is not read (UnboundID would allocate what its length claims): the connection is closed.
        Run oversized = ldapsearch("-b", "cn=" + "x".repeat(LdapDirectory.MAX_REQUEST_BYTES) + ",dc=example,dc=org", "(mail=alice@example.org)");
        assertThat(oversized.exit()).as(oversized.output()).isNotIn(0, 32);
        assertThat(ldapsearch("-b", "", "-s", "base", "(objectClass=*)").exit()).as("others are served on").isZero();
        Run criticalPaging = ldapsearch("-E", "!pr=10/noprompt", "-b", "dc=example,dc=org", "(mail=alice@example.org)");
        assertThat(criticalPaging.exit()).as("unavailableCriticalExtension: " + criticalPaging.output()).isEqualTo(12);
        assertThat(ldapsearch("-E", "pr=10/noprompt", "-b", "dc=example,dc=org", "(gpgMailbox=alice@example.org)", "gpgFingerprint").output())
                .as("a paging control that is not critical is ignored").contains("gpgFingerprint: " + fingerprint);

        // A size limit is exceeded only when more entries match than the client allows, not when exactly that many do.
        Gpg bob = new Gpg(work.resolve("bob"));
        String second = published(bob, "Bob <bob@example.org>", "bob@example.org");
        String aliceOrBob = "(|(gpgMailbox=alice@example.org)(gpgMailbox=bob@example.org))";
        Run both = ldapsearch("-z", "2", "-b", "dc=example,dc=org", aliceOrBob, "gpgFingerprint");
        assertThat(both.exit()).as(both.output()).isZero();
        assertThat(both.output()).contains(fingerprint).contains(second);
        assertThat(ldapsearch("-z", "1", "-b", "dc=example,dc=org", aliceOrBob, "gpgFingerprint").exit()).isEqualTo(4);
        assertThat(ldapsearch("-z", "1", "-b", "dc=example,dc=org", "(gpgMailbox=alice@example.org)", "gpgFingerprint").exit()).isZero();
        bob.stop();
        alice.stop();
    }

    /** S/MIME certificates of a verified mailbox, as gpgsm and Outlook ask for them. */
    @Test
    void certificatesAreFoundByMailAsUserCertificate() throws Exception {
        platform.identities().register("carol@example.org", "carol");
        platform.identities().verify(Outbox.verificationToken(dataDir, "carol@example.org"));
        java.security.KeyPair keys = TestRequests.rsa(2048);
        IssuedCertificate issued = ca.issue(IssueRequest.mailbox("mailbox-encryption", TestRequests.csr(keys, "CN=x", List.of("carol@example.org")).getEncoded(),
                "carol@example.org"), new Requester("carol", java.util.Set.of(org.letterlock.platform.identity.Role.MAILBOX_OWNER)));
        Run found = ldapsearch("-b", "dc=example,dc=org", "(mail=carol@example.org)", "userCertificate;binary", "userSMIMECertificate;binary");
        assertThat(found.exit()).as(found.output()).isZero();
        assertThat(found.output()).contains("dn: mail=carol@example.org,ou=People,dc=example,dc=org").contains("userCertificate;binary:: ")
                .contains("userSMIMECertificate;binary:: ");
        String base64 = found.output().replace("\n ", "").lines().filter(l -> l.startsWith("userCertificate;binary:: ")).findFirst().orElseThrow()
                .substring("userCertificate;binary:: ".length());
        assertThat(java.util.Base64.getDecoder().decode(base64)).isEqualTo(issued.der());
        assertThat(ldapsearch("-b", "dc=example,dc=org", "(mail=nobody@example.org)").output()).doesNotContain("dn:");

        Path gpgsmHome = java.nio.file.Files.createDirectories(work.resolve("gpgsm"));
        java.nio.file.Files.setPosixFilePermissions(gpgsmHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        java.nio.file.Files.writeString(gpgsmHome.resolve("dirmngr.conf"), "ldapserver 127.0.0.1:" + listener.getListenPort() + ":::dc=example,dc=org\n");
        Process gpgsm = new ProcessBuilder("gpgsm", "--homedir", gpgsmHome.toString(), "--batch", "--with-colons", "--list-external-keys", "carol@example.org")
                .redirectErrorStream(true).start();
        String listed = new String(gpgsm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gpgsm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        new ProcessBuilder("gpgconf", "--homedir", gpgsmHome.toString(), "--kill", "all").start().waitFor(30, TimeUnit.SECONDS);
        assertThat(listed).as("gpgsm --list-external-keys").contains("carol@example.org").contains(issued.serialHex().toUpperCase(java.util.Locale.ROOT));
        ca.revoke(issued.serial(), org.letterlock.ca.RevocationReason.KEY_COMPROMISE, false, new Requester("carl", java.util.Set.of(org.letterlock.platform.identity.Role.CA_ADMIN)));
        assertThat(ldapsearch("-b", "dc=example,dc=org", "(mail=carol@example.org)").output()).doesNotContain("userCertificate");
    }

    /**
     * A filter nested deep (a NOT of a NOT of ...): UnboundID decodes it recursively before any handler sees it, and a
     * StackOverflowError there killed the connection's reader and left the connection open for good. Up to the request
     * size limit it is decoded and refused; past it the connection is closed unread. The listener serves on either way.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {50, Integer.MAX_VALUE, 14_000})
    void aDeeplyNestedFilterIsRefusedAndTheListenerServesOn(int depth) throws Exception {
        byte[] message = nestedSearch(depth);
        // UnboundID's limit counts the message's content, not its tag and length octets.
        boolean fits = message.length <= LdapDirectory.MAX_REQUEST_BYTES;
        try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), listener.getListenPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(message);
            if (fits) {
                com.unboundid.ldap.protocol.LDAPResponse response = com.unboundid.ldap.protocol.LDAPMessage.readLDAPResponseFrom(
                        new com.unboundid.asn1.ASN1StreamReader(socket.getInputStream()), true);
                assertThat(response).as("a search result").isInstanceOf(com.unboundid.ldap.sdk.SearchResult.class);
                com.unboundid.ldap.sdk.SearchResult result = (com.unboundid.ldap.sdk.SearchResult) response;
                assertThat(result.getResultCode()).isEqualTo(com.unboundid.ldap.sdk.ResultCode.UNWILLING_TO_PERFORM);
                assertThat(result.getDiagnosticMessage()).contains("nested more than " + LdapDirectory.MAX_FILTER_DEPTH);
            } else {
                // At most a notice of disconnection, then the end of the stream or a reset (the request was left unread);
                // a connection left open times the read out.
                try {
                    assertThat(socket.getInputStream().readAllBytes().length).as("closed unread").isLessThan(200);
                } catch (java.net.SocketException reset) {
                    assertThat(reset).isNotInstanceOf(java.net.SocketTimeoutException.class);
                }
            }
        }
        assertThat(ldapsearch("-b", "", "-s", "base", "(objectClass=*)").exit()).as("others are served on").isZero();
    }

    /** A search request whose filter nests {@code depth} NOTs, or as many as fit in the request size limit. */
    private static byte[] nestedSearch(int depth) {
        byte[] filter = ber(0x87, "objectClass".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < depth; i++) {
            byte[] deeper = ber(0xa2, filter);
            if (depth == Integer.MAX_VALUE && searchWith(deeper).length > LdapDirectory.MAX_REQUEST_BYTES) {
                break;
            }
            filter = deeper;
        }
        return searchWith(filter);
    }

    private static byte[] searchWith(byte[] filter) {
        byte[] search = ber(0x63, concat(ber(0x04, "dc=example,dc=org".getBytes(StandardCharsets.US_ASCII)), new byte[] {0x0a, 1, 2, 0x0a, 1, 0, 0x02, 1, 0,
                0x02, 1, 0, 0x01, 1, 0}, filter, ber(0x30, new byte[0])));
        return ber(0x30, concat(new byte[] {0x02, 1, 7}, search));
    }

    private static byte[] ber(int tag, byte[] content) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
            out.write(0x80 | bytes);
            for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
                out.write(length >>> shift);
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void gpgReceivesAKeyOverLdap() throws Exception {
        Gpg alice = new Gpg(work.resolve("alice"));
        String fingerprint = published(alice, "Alice <alice@example.org>", "alice@example.org");
        alice.stop();
        Gpg bob = new Gpg(work.resolve("bob"));
        java.nio.file.Files.writeString(work.resolve("bob").resolve("dirmngr.conf"), "log-file " + work.resolve("dirmngr.log") + "\n");
        Gpg.Run received = bob.run("--keyserver", url + "/dc=example,dc=org", "--recv-keys", fingerprint);
        assertThat(received.exit()).as(received.output() + java.nio.file.Files.readString(work.resolve("dirmngr.log"))).isZero();
        assertThat(received.output()).contains("imported: 1");
        Gpg.Run byKeyId = bob.run("--keyserver", url + "/dc=example,dc=org", "--recv-keys", fingerprint.substring(24));
        assertThat(byKeyId.exit()).as(byKeyId.output()).isZero();
        bob.stop();
    }
}
