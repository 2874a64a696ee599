package org.letterlock.bench;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.letterlock.ca.CaUrls;
import org.letterlock.ca.CertificateStore;
import org.letterlock.ca.CrlPublisher;
import org.letterlock.ca.IssuerHierarchy;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.RevocationReason;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.store.Database;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Signing a full CRL of 100,000 revoked certificates: Letterlock's CrlPublisher reading them from PostgreSQL and signing
 * with an EC P-256 key on SoftHSM2, next to {@code openssl ca -gencrl} over an index of the same 100,000 entries with
 * its key in a file, in the same run. Target: under 2 s.
 */
final class CrlSign implements Benchmark {
    static final int REVOKED = 100_000;
    static final int RUNS = 5;
    static final double TARGET_MS = 2000;
    /** The reasons both sides write (openssl ca's index knows no privilegeWithdrawn). */
    static final RevocationReason[] REASONS = {RevocationReason.UNSPECIFIED, RevocationReason.KEY_COMPROMISE, RevocationReason.AFFILIATION_CHANGED,
            RevocationReason.SUPERSEDED, RevocationReason.CESSATION_OF_OPERATION};
    private static final DateTimeFormatter OPENSSL_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String name() {
        return "crl-sign";
    }

    @Override
    public String summary() {
        return "Full CRL of " + String.format("%,d", REVOKED) + " revoked certificates signed from PostgreSQL with a SoftHSM2 EC P-256 key, "
                + "next to openssl ca -gencrl over the same entries.";
    }

    @Override
    public String timing(Options options) {
        return RUNS + " signings each, after one unmeasured";
    }

    @Override
    public Results run(Options options) throws Exception {
        Shell.require(name(), List.of("openssl"), "apt-get install -y openssl");
        Map<String, String> postgres = AuditAppend.postgresEnvironment(name(), System.getenv());
        String url = postgres.get(AuditAppend.PG_URL);
        String schema = "bench_crl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        try (Connection admin = DriverManager.getConnection(url, postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD));
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        }
        SecureRandom random = new SecureRandom();
        List<BigInteger> serials = new ArrayList<>(REVOKED);
        for (int i = 0; i < REVOKED; i++) {
            serials.add(new BigInteger(127, random).setBit(126));
        }
        Instant now = Instant.now();
        try (KeyVault vault = VaultSign.openPkcs11(options);
             Database database = Database.open(AuditAppend.withSchema(url, schema), postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD), 4)) {
            database.migrate();
            KeyUri key = KeyUri.of(VaultSign.TOKEN, "bench-crl-" + now.getEpochSecond());
            X509CertificateHolder certificate = new IssuerHierarchy(vault, Clock.systemUTC()).createRoot(key, KeySpec.EC_P256,
                    new X500Name("CN=Letterlock bench CRL issuer"), Duration.ofDays(30));
            CertificateStore store = new JdbcCertificateStore(database.dataSource());
            IssuerRecord issuer = new IssuerRecord("bench", IssuerRecord.Kind.ISSUING, IssuerRecord.State.ACTIVE, Optional.of(key),
                    certificate.getSubject().toString(), Optional.of(certificate), Optional.empty(), now, Optional.empty(), Optional.empty());
            store.insertIssuer(issuer);
            options.progress().println("  storing " + String.format("%,d", REVOKED) + " revoked certificates in PostgreSQL schema " + schema + " ...");
            insertRevoked(database, serials, now);
            CrlPublisher publisher = new CrlPublisher(store, vault, new CaUrls(java.net.URI.create("http://ca.example.org")), Duration.ofDays(1), Clock.systemUTC());

            Path dir = Files.createDirectories(options.dataDir().resolve("crl-sign"));
            Path opensslConfig = opensslCa(dir, serials, now);

            publisher.publishFull(issuer);
            Shell.run(List.of("openssl", "ca", "-gencrl", "-config", opensslConfig.toString(), "-out", dir.resolve("openssl.crl").toString()));
            List<Double> letterlock = new ArrayList<>();
            List<Double> openssl = new ArrayList<>();
            int entries = 0;
            for (int run = 0; run < RUNS; run++) {
                long start = System.nanoTime();
                CertificateStore.StoredCrl crl = publisher.publishFull(issuer);
                letterlock.add((System.nanoTime() - start) / 1e6);
                entries = new X509CRLHolder(crl.der()).getRevokedCertificates().size();
                start = System.nanoTime();
                Shell.run(List.of("openssl", "ca", "-gencrl", "-config", opensslConfig.toString(), "-out", dir.resolve("openssl.crl").toString()));
                openssl.add((System.nanoTime() - start) / 1e6);
                options.progress().printf("    run %d: Letterlock %.0f ms, openssl ca -gencrl %.0f ms%n", run + 1, letterlock.get(run), openssl.get(run));
            }
            if (entries != REVOKED) {
                throw new IllegalStateException("the CRL lists " + entries + " entries, expected " + REVOKED);
            }
            String opensslEntries = Shell.run(List.of("openssl", "crl", "-in", dir.resolve("openssl.crl").toString(), "-noout", "-text"));
            long opensslCount = opensslEntries.lines().filter(l -> l.trim().startsWith("Serial Number:")).count();
            return results(letterlock, openssl, entries, opensslCount);
        } finally {
            try (Connection admin = DriverManager.getConnection(url, postgres.get(AuditAppend.PG_USER), postgres.get(AuditAppend.PG_PASSWORD));
                 Statement statement = admin.createStatement()) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private static void insertRevoked(Database database, List<BigInteger> serials, Instant now) throws Exception {
        RevocationReason[] reasons = REASONS;
        try (Connection connection = database.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO ca_certificate (serial, issuer_id, profile, mailbox, subject, not_before, "
                     + "not_after, der, pair_id, requested_by, issued_at, revoked_at, revocation_reason, revoked_by, notices_sent) "
                     + "VALUES (?, 'bench', 'mailbox-signing', NULL, 'CN=x', ?, ?, ?, NULL, 'bench', ?, ?, ?, 'bench', 0)")) {
            connection.setAutoCommit(false);
            for (int i = 0; i < serials.size(); i++) {
                insert.setString(1, serials.get(i).toString(16));
                insert.setObject(2, now.minus(Duration.ofDays(30)).atOffset(ZoneOffset.UTC));
                insert.setObject(3, now.plus(Duration.ofDays(300)).atOffset(ZoneOffset.UTC));
                insert.setBytes(4, new byte[] {0});
                insert.setObject(5, now.minus(Duration.ofDays(30)).atOffset(ZoneOffset.UTC));
                insert.setObject(6, now.minus(Duration.ofSeconds(i)).atOffset(ZoneOffset.UTC));
                insert.setInt(7, reasons[i % reasons.length].code());
                insert.addBatch();
                if (i % 2000 == 1999) {
                    insert.executeBatch();
                }
            }
            insert.executeBatch();
            connection.commit();
        }
    }

    /** A file-based openssl CA whose index holds the same serials, revoked at the same times with the same reasons. */
    private static Path opensslCa(Path dir, List<BigInteger> serials, Instant now) throws Exception {
        Shell.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.resolve("ca.key").toString(),
                "-out", dir.resolve("ca.pem").toString(), "-subj", "/CN=openssl bench CRL issuer", "-days", "30"));
        RevocationReason[] reasons = REASONS;
        StringBuilder index = new StringBuilder();
        for (int i = 0; i < serials.size(); i++) {
            RevocationReason reason = reasons[i % reasons.length];
            index.append("R\t").append(OPENSSL_TIME.format(now.plus(Duration.ofDays(300)))).append('\t')
                    .append(OPENSSL_TIME.format(now.minus(Duration.ofSeconds(i)))).append(reason == RevocationReason.UNSPECIFIED ? "" : "," + reason.rfcName())
                    .append('\t').append(serials.get(i).toString(16).toUpperCase()).append("\tunknown\t/CN=x\n");
        }
        Files.writeString(dir.resolve("index.txt"), index.toString(), StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("crlnumber"), "01\n");
        Path config = dir.resolve("ca.cnf");
        Files.writeString(config, "[ca]\ndefault_ca = bench\n[bench]\ndatabase = " + dir.resolve("index.txt") + "\ncrlnumber = " + dir.resolve("crlnumber")
                + "\ncertificate = " + dir.resolve("ca.pem") + "\nprivate_key = " + dir.resolve("ca.key")
                + "\ndefault_md = sha256\ndefault_crl_days = 1\nunique_subject = no\n");
        return config;
    }

    static Results results(List<Double> letterlock, List<Double> openssl, int entries, long opensslEntries) {
        List<Double> ours = letterlock.stream().sorted().toList();
        List<Double> peer = openssl.stream().sorted().toList();
        double median = ours.get(ours.size() / 2);
        double peerMedian = peer.get(peer.size() / 2);
        List<List<String>> rows = List.of(
                List.of("Letterlock CrlPublisher (PostgreSQL, SoftHSM2 EC P-256)", String.format("%,d", entries), ms(median), ms(ours.get(ours.size() - 1)),
                        String.format("%.2fx", median / peerMedian)),
                List.of("openssl ca -gencrl (index file, key file)", String.format("%,d", opensslEntries), ms(peerMedian), ms(peer.get(peer.size() - 1)), "-"));
        List<String> notes = List.of(
                "Letterlock full CRL median " + ms(median) + " ms, slowest " + ms(ours.get(ours.size() - 1)) + " ms: target under 2,000 ms: "
                        + (ours.get(ours.size() - 1) < TARGET_MS ? "MET" : "NOT MET") + ".",
                "Letterlock: CrlPublisher.publishFull reads the revoked, unexpired rows of the issuer from ca_certificate (streamed), builds the CRL with "
                        + "Bouncy Castle (reason codes, AKI, CRL number, issuingDistributionPoint, freshestCRL), signs it with the vault key, and stores it: "
                        + "the whole job the schedule and a revocation run.",
                "openssl: `openssl ca -gencrl -config ca.cnf` over an index.txt of the same serials, revocation times and reasons; it reads the index and "
                        + "the key file and writes PEM.",
                "Last column: Letterlock's median time over openssl's (lower is faster).");
        return new Results(List.of("signer", "entries", "median ms", "slowest ms", "vs openssl"), rows, notes);
    }

    private static String ms(double value) {
        return String.format("%,.0f", value);
    }
}
