package org.letterlock.enroll.cmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.ca.Tools;
import org.letterlock.enroll.EnrollFixture;

/**
 * CMP as OpenSSL 3.0's {@code openssl cmp} client speaks it to the running server over HTTPS: a MAC-protected ir
 * under the enrollment secret, a signature-protected kur and rr with the certificates it got, genm for CA
 * certificates and key types, p10cr. The client checks the server's MAC or signature on every answer.
 */
class CmpOpensslTest {
    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static Tools tools;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        tools = new Tools(work);
        root = fixture.rootPem();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void irUnderTheEnrollmentSecretThenKurThenRr() throws Exception {
        String mailbox = EnrollFixture.newMailbox("openssl");
        String secret = fixture.officerSecret(mailbox);
        Path key = newKey("ir.key");
        Path csr = csr(key, mailbox);

        Tools.Run ir = cmp("-cmd", "ir", "-secret", "pass:" + secret, "-ref", mailbox, "-csr", csr.toString(), "-newkey", key.toString(),
                "-certout", "ir.pem", "-cacertsout", "capubs.pem", "-recipient", "/CN=Letterlock");

        assertThat(ir.exit()).as(ir.output()).isZero();
        Tools.Run verify = tools.openssl("verify", "-CAfile", root.toString(), "-untrusted", chain().toString(), "-purpose", "smimesign", "ir.pem");
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(tools.openssl("x509", "-in", "ir.pem", "-noout", "-ext", "subjectAltName").output()).contains("email:" + mailbox);
        assertThat(Files.readString(work.resolve("capubs.pem"))).isEqualTo(Files.readString(root));
        IssuedCertificate first = issued("ir.pem");
        assertThat(first.mailbox()).contains(mailbox);
        assertThat(first.requestedBy()).startsWith("enroll/cmp/secret-");
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).as("openssl confirmed the certificate with a MAC-protected certConf")
                .anyMatch(r -> r.event().action().equals("enroll.cmp.confirm") && r.event().target().equals("mailbox:" + mailbox)
                        && r.event().detail().contains(first.serialHex()));

        Tools.Run reused = cmp("-cmd", "ir", "-secret", "pass:" + secret, "-ref", mailbox, "-csr", csr.toString(), "-newkey", key.toString(),
                "-certout", "again.pem", "-recipient", "/CN=Letterlock", "-unprotected_errors");
        assertThat(reused.exit()).isNotZero();
        assertThat(reused.output()).contains("badMessageCheck");

        Path newKey = newKey("kur.key");
        Tools.Run kur = cmp("-cmd", "kur", "-cert", "ir.pem", "-key", key.toString(), "-newkey", newKey.toString(), "-trusted", root.toString(),
                "-certout", "kur.pem");

        assertThat(kur.exit()).as(kur.output()).isZero();
        IssuedCertificate renewed = issued("kur.pem");
        assertThat(renewed.mailbox()).contains(mailbox);
        assertThat(renewed.pairId()).isPresent().isNotEqualTo(first.pairId());
        assertThat(renewed.holder().getSubjectPublicKeyInfo()).isNotEqualTo(first.holder().getSubjectPublicKeyInfo());

        Tools.Run rr = cmp("-cmd", "rr", "-cert", "kur.pem", "-key", newKey.toString(), "-oldcert", "ir.pem", "-revreason", "1", "-trusted", root.toString());

        assertThat(rr.exit()).as(rr.output()).isZero();
        assertThat(fixture.ca.find(first.serial()).orElseThrow().revocation()).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RevocationReason.KEY_COMPROMISE));
        assertThat(fixture.ca.find(renewed.serial()).orElseThrow().revoked()).isFalse();

        Tools.Run revokedSigner = cmp("-cmd", "kur", "-cert", "ir.pem", "-key", key.toString(), "-newkey", newKey("late.key").toString(),
                "-trusted", root.toString(), "-untrusted", chain().toString(), "-certout", "late.pem", "-unprotected_errors");
        assertThat(revokedSigner.exit()).isNotZero();
        assertThat(revokedSigner.output()).contains("signerNotTrusted");
    }

    @Test
    void genmAnswersCaCertificatesAndKeyTypesSigned() throws Exception {
        for (String infoType : List.of("caCerts", "signKeyPairTypes", "encKeyPairTypes")) {
            Tools.Run genm = cmp("-cmd", "genm", "-infotype", infoType, "-unprotected_requests", "-ref", "anonymous", "-trusted", root.toString(),
                    "-recipient", "/CN=Letterlock", "-verbosity", "7");

            assertThat(genm.exit()).as(genm.output()).isZero();
            assertThat(genm.output()).contains("genp", "id-it-" + infoType);
        }
    }

    @Test
    void p10crWithAPkcs10RequestUnderTheSecret() throws Exception {
        String mailbox = EnrollFixture.newMailbox("p10");
        String secret = fixture.officerSecret(mailbox);
        Path key = newKey("p10.key");

        Tools.Run p10cr = cmp("-cmd", "p10cr", "-secret", "pass:" + secret, "-ref", mailbox, "-csr", csr(key, mailbox).toString(), "-certout", "p10.pem",
                "-recipient", "/CN=Letterlock");

        assertThat(p10cr.exit()).as(p10cr.output()).isZero();
        assertThat(issued("p10.pem").mailbox()).contains(mailbox);
    }

    @Test
    void aCsrForAnotherMailboxIsRefusedWithACmpError() throws Exception {
        String mailbox = EnrollFixture.newMailbox("honest");
        String secret = fixture.officerSecret(mailbox);
        Path key = newKey("other.key");

        Tools.Run ir = cmp("-cmd", "ir", "-secret", "pass:" + secret, "-ref", mailbox, "-csr", csr(key, "ceo@example.org").toString(), "-newkey", key.toString(),
                "-certout", "other.pem", "-recipient", "/CN=Letterlock");

        assertThat(ir.exit()).isNotZero();
        assertThat(ir.output()).contains("badCertTemplate", "ceo@example.org");
        assertThat(Files.exists(work.resolve("other.pem"))).isFalse();
        assertThat(fixture.ca.search(mailbox, null, null, 10, new org.letterlock.ca.Requester("test", java.util.Set.of(org.letterlock.platform.identity.Role.AUDITOR)))).isEmpty();
    }

    private static Tools.Run cmp(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("cmp", "-server", "127.0.0.1:" + fixture.url().getPort(), "-path", "cmp", "-tls_used",
                "-tls_trusted", root.toString(), "-tls_host", "127.0.0.1"));
        command.addAll(List.of(arguments));
        return tools.openssl(command.toArray(String[]::new));
    }

    private static Path newKey(String name) throws Exception {
        Tools.Run made = tools.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
        assertThat(made.exit()).as(made.output()).isZero();
        return work.resolve(name);
    }

    private static Path csr(Path key, String mailbox) throws Exception {
        String name = key.getFileName() + ".csr";
        Tools.Run made = tools.openssl("req", "-new", "-key", key.toString(), "-subj", "/CN=" + mailbox, "-addext", "subjectAltName=email:" + mailbox, "-out", name);
        assertThat(made.exit()).as(made.output()).isZero();
        return work.resolve(name);
    }

    /** The issuing CA chain without the root, for openssl's -untrusted. */
    private static Path chain() throws Exception {
        var chain = fixture.services.mailboxes().caCertificates();
        return tools.pem("chain.pem", chain.subList(0, chain.size() - 1).toArray(org.bouncycastle.cert.X509CertificateHolder[]::new));
    }

    private static IssuedCertificate issued(String pem) throws Exception {
        String serial = tools.openssl("x509", "-in", pem, "-noout", "-serial").output().trim().replace("serial=", "");
        return fixture.ca.find(new BigInteger(serial, 16)).orElseThrow();
    }
}
