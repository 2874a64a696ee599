package org.letterlock.keyserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * The DANE zone fragment as a DNS tool reads it: ldns-read-zone parses every record, the SMIMEA owner name is the one
 * openssl computes from the local part (RFC 8162 section 3), and each record holds the DER of a valid certificate of
 * a verified mailbox, nothing else.
 */
class DaneZoneWithLdnsTest {
    private static final Requester RA_OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));

    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    private final MovableClock clock = new MovableClock();
    private Letterlock platform;
    private Keyserver keyserver;
    private CertificateAuthority ca;
    private Tools tools;

    @BeforeEach
    void start() {
        platform = TestKeyservers.platform(TestDatabases.h2(dataDir), dataDir, clock);
        keyserver = TestKeyservers.keyserver(platform, clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        tools = new Tools(work);
    }

    @AfterEach
    void stop() {
        if (ca != null) {
            ca.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private void verified(String mailbox) throws Exception {
        platform.identities().register(mailbox, mailbox);
        platform.identities().verify(Outbox.verificationToken(dataDir, mailbox));
    }

    private IssuedCertificate issue(String profile, String mailbox, OptionalInt validityDays) throws Exception {
        KeyPair keys = TestRequests.ec("P-256");
        byte[] csr = TestRequests.csr(keys, "CN=x", List.of(mailbox)).getEncoded();
        return ca.issue(new IssueRequest(profile, Optional.of(csr), Optional.empty(), Optional.of(mailbox), List.of(), Optional.empty(), validityDays, false),
                RA_OFFICER);
    }

    @Test
    void smimeaRecordsHoldTheValidCertificatesOfVerifiedMailboxes() throws Exception {
        verified("carol@example.org");
        IssuedCertificate signing = issue("mailbox-signing", "carol@example.org", OptionalInt.empty());
        IssuedCertificate encryption = issue("mailbox-encryption", "carol@example.org", OptionalInt.empty());
        IssuedCertificate revoked = issue("mailbox-encryption", "carol@example.org", OptionalInt.empty());
        ca.revoke(revoked.serial(), RevocationReason.KEY_COMPROMISE, false, new Requester("carl", Set.of(Role.CA_ADMIN)));
        IssuedCertificate expired = issue("mailbox-signing", "carol@example.org", OptionalInt.of(1));
        platform.identities().register("dave@example.org", "dave");
        IssuedCertificate unverified = issue("mailbox-signing", "dave@example.org", OptionalInt.empty());
        verified("erin@other.example");
        IssuedCertificate otherDomain = issue("mailbox-signing", "erin@other.example", OptionalInt.empty());
        clock.advance(Duration.ofDays(2));
        Gpg carol = new Gpg(work.resolve("carol"));
        keyserver.upload(carol.export(carol.generate("Carol <carol@example.org>")), "127.0.0.1");
        keyserver.verify(Outbox.verificationToken(dataDir, "carol@example.org"));
        carol.stop();

        String zone = keyserver.daneZone("example.org", platform.identities()::verifiedIn, ca);
        tools.write("example.org.zone", zone.getBytes(StandardCharsets.UTF_8));
        Tools.Run read = tools.run("ldns-read-zone", "example.org.zone");
        assertThat(read.exit()).as(zone + "\n" + read.output()).isZero();
        tools.write("carol.local-part", "carol".getBytes(StandardCharsets.UTF_8));
        String carolsLabel = tools.openssl("dgst", "-sha256", "-r", "carol.local-part").output().substring(0, 56);

        assertThat(records(read.output(), "OPENPGPKEY")).singleElement().satisfies(r -> assertThat(r).startsWith(carolsLabel + "._openpgpkey.example.org.\t"));
        assertThat(records(read.output(), "SMIMEA")).containsExactlyInAnyOrder(smimea(carolsLabel, signing), smimea(carolsLabel, encryption));
        for (IssuedCertificate absent : List.of(revoked, expired, unverified, otherDomain)) {
            assertThat(zone).doesNotContain(absent.serialHex());
        }
    }

    /** The lines of ldns-read-zone's output (owner, TTL, class, type, data, tab-separated) of one record type. */
    private static List<String> records(String zone, String type) {
        return zone.lines().filter(l -> l.contains("\tIN\t" + type + "\t")).toList();
    }

    /** The record as ldns-read-zone prints it: the owner name openssl computed, usage 3 (DANE-EE), selector 0 (Cert), matching type 0 (Full), the DER. */
    private static String smimea(String label, IssuedCertificate certificate) {
        return label + "._smimecert.example.org.\t3600\tIN\tSMIMEA\t3 0 0 " + HexFormat.of().formatHex(certificate.der());
    }
}
