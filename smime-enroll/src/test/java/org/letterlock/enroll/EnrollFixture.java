package org.letterlock.enroll;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.enroll.web.EnrollListener;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.store.JdbcEscrowStore;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;
import org.letterlock.platform.store.TestDatabases;

/**
 * Enrollment as the server wires it, on a real platform (H2, SoftHSM2 token), CA, escrow and TLS identity, with the
 * HTTPS enrollment listener on a free loopback port. Tests reach it as a client would: over TLS, trusting the CA's
 * root ({@link #clientTls}, {@link #rootPem}).
 */
public final class EnrollFixture implements AutoCloseable {
    /** One token store per test JVM: SoftHSM2 reads SOFTHSM2_CONF once, when SunPKCS11 loads it (see the surefire configuration). */
    public static final Path TOKEN_DATA = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();

    public final MovableClock clock = new MovableClock();
    public final Path work;
    public final Letterlock platform;
    public final CertificateAuthority ca;
    public final Escrow escrow;
    public final TlsIdentity tls;
    public final EnrollmentServices services;
    public final EnrollListener listener;

    public EnrollFixture(Path work) throws Exception {
        this(work, Map.of());
    }

    /** With extra configuration ({@code letterlock.*} keys) over the fixture's own. */
    public EnrollFixture(Path work, Map<String, String> extra) throws Exception {
        this.work = work;
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(Files.createDirectories(work.resolve("db"))));
        settings.put("letterlock.data-dir", TOKEN_DATA.toString());
        settings.put("letterlock.vault.type", "pkcs11");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        settings.put("letterlock.escrow.rsa-pool", "0");
        settings.put("letterlock.escrow.key-specs", "ec-p256,rsa-3072");
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        settings.put("letterlock.enroll.port", Integer.toString(port));
        settings.put("letterlock.enroll.url", "https://127.0.0.1:" + port);
        settings.putAll(extra);
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        escrow = Escrow.start(platform, ca, new JdbcEscrowStore(platform.database().dataSource()));
        tls = TlsIdentity.start(ca, platform.vault(), platform.config().vault().tokenLabel(), List.of("127.0.0.1", "localhost"), clock);
        services = EnrollmentServices.start(platform, ca, escrow.keys());
        listener = EnrollListener.start(new InetSocketAddress("127.0.0.1", port), services, tls);
    }

    /** https://127.0.0.1:port of the listener. */
    public URI url() {
        return URI.create("https://127.0.0.1:" + listener.address().getPort());
    }

    public Path rootPem() throws Exception {
        return Files.writeString(work.resolve("root.pem"), Certificates.pem(ca.issuer("root").orElseThrow().requireCertificate()));
    }

    /** A client TLS context that trusts the CA's root and nothing else. */
    public SSLContext clientTls() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Certificates.der(ca.issuer("root").orElseThrow().requireCertificate())));
        trust.setCertificateEntry("root", root);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** A fresh address at example.org, so tests sharing the token's outbox never read each other's mail. */
    public static String newMailbox(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    }

    /** Registers {@code address} for {@code owner} and confirms it with the mailed link, as its holder would. */
    public void verifiedMailbox(String address, String owner) throws Exception {
        platform.identities().register(address, owner);
        platform.identities().verify(Outbox.verificationToken(TOKEN_DATA, address));
    }

    /** A secret an ra-officer made for {@code mailbox}, as it is handed over. */
    public String officerSecret(String mailbox) {
        return new String(services.secrets().issue(mailbox, "rita").secret());
    }

    /** The secret in the newest enrollment mail to {@code mailbox}. */
    public static String mailedSecret(String mailbox) throws Exception {
        List<String> mails = Outbox.mailsTo(TOKEN_DATA, mailbox);
        for (int i = mails.size() - 1; i >= 0; i--) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Enrollment secret: ([A-Z0-9-]+)").matcher(mails.get(i));
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no enrollment secret mailed to " + mailbox);
    }

    @Override
    public void close() {
        listener.close();
        tls.close();
        escrow.close();
        ca.close();
        platform.close();
    }
}
