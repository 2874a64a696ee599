package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.TestDatabases;

/**
 * An installation whose root is offline or someone else's: first start makes only the issuing CA's CSR, OpenSSL plays
 * the external root and signs it, and the CA issues once the signed certificate is imported, never before, and
 * never with a certificate that does not fit.
 */
class ExternalRootTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    private Letterlock platform;
    private CertificateAuthority ca;
    private Tools tools;

    @BeforeEach
    void start() {
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.root", "external");
        settings.put("letterlock.ca.issuing-subject", "CN=Example Mail CA,O=Example");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))));
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        tools = new Tools(work);
    }

    @AfterEach
    void stop() {
        ca.close();
        platform.close();
    }

    private Path externalRoot() throws Exception {
        Tools.Run root = tools.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", "root.key", "-out", "root.pem",
                "-subj", "/CN=Offline Root/O=Example", "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE,pathlen:1",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        assertThat(root.exit()).as(root.output()).isZero();
        return work.resolve("root.pem");
    }

    private String sign(String csrPem, String extensions) throws Exception {
        Files.writeString(work.resolve("issuing.csr"), csrPem);
        Files.writeString(work.resolve("ext.cnf"), "[ca]\n" + extensions + "\n");
        Tools.Run signed = tools.openssl("x509", "-req", "-in", "issuing.csr", "-CA", "root.pem", "-CAkey", "root.key", "-days", "1800", "-out", "issuing.pem",
                "-extfile", "ext.cnf", "-extensions", "ca");
        assertThat(signed.exit()).as(signed.output()).isZero();
        return Files.readString(work.resolve("issuing.pem"));
    }

    private static List<X509CertificateHolder> certificates(String... pems) throws Exception {
        List<X509CertificateHolder> all = new java.util.ArrayList<>();
        for (String pem : pems) {
            try (PEMParser parser = new PEMParser(new java.io.StringReader(pem))) {
                all.add((X509CertificateHolder) parser.readObject());
            }
        }
        return all;
    }

    private static final String CA_EXTENSIONS = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nextendedKeyUsage=emailProtection";
    private static final String TLS_CA_EXTENSIONS = CA_EXTENSIONS.replace("extendedKeyUsage=emailProtection", "extendedKeyUsage=serverAuth,clientAuth");
    /** TLS BR 7.1.2.6 makes clientAuth optional in a TLS CA. */
    private static final String SERVER_ONLY_CA_EXTENSIONS = CA_EXTENSIONS.replace("extendedKeyUsage=emailProtection", "extendedKeyUsage=serverAuth");

    @Test
    void issuesOnlyAfterTheSignedCertificateIsImported() throws Exception {
        assertThat(ca.issuers()).extracting(IssuerRecord::id).containsExactly("issuing-1", "tls-issuing-1");
        assertThat(ca.issuers()).allSatisfy(i -> assertThat(i.state()).isEqualTo(IssuerRecord.State.PENDING));
        assertThatThrownBy(() -> ca.issue(IssueRequest.mailbox("mailbox-signing", TestRequests.csr(TestRequests.ec("secp256r1"), "CN=x", List.of()).getEncoded(),
                "zoe@example.org"), CaConformance.OFFICER)).isInstanceOf(LetterlockException.class).hasMessageContaining("external root")
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAVAILABLE));

        String csr = Certificates.pem("CERTIFICATE REQUEST", ca.issuer("issuing-1").orElseThrow().csr().orElseThrow());
        Tools.Run request = tools.openssl("req", "-verify", "-noout", "-text", "-in", Files.writeString(work.resolve("check.csr"), csr).toString());
        assertThat(request.output()).contains("verify OK", "CN = Example Mail CA", "CA:TRUE", "E-mail Protection");
        Path root = externalRoot();
        String issuing = sign(csr, CA_EXTENSIONS);

        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(issuing), CaConformance.OFFICER)).hasMessageContaining("ca-admin");
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(issuing), CaConformance.ADMIN)).hasMessageContaining("root that signed it is missing");
        IssuerRecord active = ca.importIssuingCertificate("issuing-1", certificates(issuing, Files.readString(root)), CaConformance.ADMIN);
        assertThat(active.state()).isEqualTo(IssuerRecord.State.ACTIVE);
        assertThat(ca.issuers()).extracting(IssuerRecord::id).containsExactly("root", "issuing-1", "tls-issuing-1");

        IssuedCertificate leaf = ca.issue(IssueRequest.mailbox("mailbox-signing", TestRequests.csr(TestRequests.ec("secp256r1"), "CN=x", List.of()).getEncoded(),
                "zoe@example.org"), CaConformance.OFFICER);
        Tools.Run verified = tools.openssl("verify", "-CAfile", root.toString(), "-untrusted", work.resolve("issuing.pem").toString(), "-purpose", "smimesign",
                tools.pem("leaf", leaf.holder()).toString());
        assertThat(verified.exit()).as(verified.output()).isZero();
        assertThat(ca.issuer("issuing-1").orElseThrow().ocspCertificate()).isPresent();
        assertThat(ca.crl("issuing-1", false)).isPresent();

        // The TLS CA waits for its own certificate: until then TLS certificates get a 503, mailbox ones go on.
        SubjectPublicKeyInfo hostKey = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        assertThatThrownBy(() -> ca.issueListenerCertificate(hostKey, List.of("mx.example.org"), java.time.Duration.ofDays(30)))
                .hasMessageContaining("no tls-issuing CA is active").satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAVAILABLE));
        String tlsCsr = Certificates.pem("CERTIFICATE REQUEST", ca.issuer("tls-issuing-1").orElseThrow().csr().orElseThrow());
        Tools.Run tlsRequest = tools.openssl("req", "-verify", "-noout", "-text", "-in", Files.writeString(work.resolve("check-tls.csr"), tlsCsr).toString());
        assertThat(tlsRequest.output()).contains("verify OK", "CN = Letterlock TLS Issuing CA", "TLS Web Server Authentication").doesNotContain("Name Constraints");
        Path tlsIssuing = Files.writeString(work.resolve("tls-issuing.pem"), sign(tlsCsr, SERVER_ONLY_CA_EXTENSIONS));
        ca.importIssuingCertificate("tls-issuing-1", certificates(Files.readString(tlsIssuing), Files.readString(root)), CaConformance.ADMIN);
        IssuedCertificate host = ca.issueListenerCertificate(hostKey, List.of("mx.example.org"), java.time.Duration.ofDays(30));
        assertThat(host.issuerId()).isEqualTo("tls-issuing-1");
        Tools.Run hostVerified = tools.openssl("verify", "-CAfile", root.toString(), "-untrusted", tlsIssuing.toString(), "-purpose", "sslserver",
                tools.pem("host", host.holder()).toString());
        assertThat(hostVerified.exit()).as(hostVerified.output()).isZero();
    }

    @Test
    void certificatesThatDoNotFitThePendingKeyAreRefused() throws Exception {
        externalRoot();
        String pendingCsr = Certificates.pem("CERTIFICATE REQUEST", ca.issuer("issuing-1").orElseThrow().csr().orElseThrow());
        String root = Files.readString(work.resolve("root.pem"));
        String notCa = sign(pendingCsr, "keyUsage=critical,digitalSignature");
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(notCa, root), CaConformance.ADMIN))
                .hasMessageContaining("not a CA certificate").hasMessageContaining("lacks keyCertSign");
        String otherKey = sign(Certificates.pem("CERTIFICATE REQUEST", TestRequests.csr(TestRequests.ec("secp256r1"), "CN=Other", List.of()).getEncoded()), CA_EXTENSIONS);
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(otherKey, root), CaConformance.ADMIN))
                .hasMessageContaining("different key");
        String noPurpose = sign(pendingCsr, CA_EXTENSIONS.replace("\nextendedKeyUsage=emailProtection", ""));
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(noPurpose, root), CaConformance.ADMIN))
                .hasMessageContaining("extendedKeyUsage must include emailProtection").hasMessageContaining("this one: no extendedKeyUsage")
                .hasMessageContaining("sign it with extendedKeyUsage=emailProtection");
        String twoPurposes = sign(pendingCsr, CA_EXTENSIONS.replace("extendedKeyUsage=emailProtection", "extendedKeyUsage=emailProtection,serverAuth"));
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", certificates(twoPurposes, root), CaConformance.ADMIN))
                .hasMessageContaining("serves one purpose").hasMessageContaining("this one: [emailProtection, serverAuth]");
        String good = sign(pendingCsr, CA_EXTENSIONS);
        X509CertificateHolder stranger = TestRequests.foreignRoot();
        assertThatThrownBy(() -> ca.importIssuingCertificate("issuing-1", List.of(certificates(good).get(0), stranger), CaConformance.ADMIN))
                .hasMessageContaining("does not verify");
        assertThat(ca.issuer("issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.PENDING);

        // Once one CA is in under a root, the other must chain to that same root.
        ca.importIssuingCertificate("issuing-1", certificates(good, root), CaConformance.ADMIN);
        String tlsCsr = Certificates.pem("CERTIFICATE REQUEST", ca.issuer("tls-issuing-1").orElseThrow().csr().orElseThrow());
        Files.move(work.resolve("root.pem"), work.resolve("first-root.pem"));
        Files.move(work.resolve("root.key"), work.resolve("first-root.key"));
        String secondRoot = Files.readString(externalRoot());
        String underSecondRoot = sign(tlsCsr, TLS_CA_EXTENSIONS);
        assertThatThrownBy(() -> ca.importIssuingCertificate("tls-issuing-1", certificates(underSecondRoot, secondRoot), CaConformance.ADMIN))
                .hasMessageContaining("not in the root imported before");
        // Nor can the first root be appended below a link that does not verify.
        String firstRoot = Files.readString(work.resolve("first-root.pem"));
        assertThatThrownBy(() -> ca.importIssuingCertificate("tls-issuing-1", certificates(underSecondRoot, secondRoot, firstRoot), CaConformance.ADMIN))
                .hasMessageContaining("the signature of CN=Offline Root").hasMessageContaining("does not verify");
        assertThatThrownBy(() -> ca.importIssuingCertificate("tls-issuing-1", certificates(underSecondRoot, good), CaConformance.ADMIN))
                .hasMessageContaining("does not verify");
        assertThat(ca.issuer("tls-issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.PENDING);
    }
}
