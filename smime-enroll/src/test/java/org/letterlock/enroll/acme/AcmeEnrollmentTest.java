package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.letterlock.enroll.EnrollFixture;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * The whole ACME flow as acme4j-client runs it, with the test answering the RFC 8823 challenge mail as a mail client
 * would (acme4j has no email-reply-00 support), swaks handing the reply to the receiver, openssl making the CSR and
 * verifying the certificate for S/MIME signing.
 */
class AcmeEnrollmentTest {
    @TempDir
    static Path work;
    static AcmeTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new AcmeTestServer(work);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** acme4j's generic provider with a client that trusts the fixture's root. */
    static Session session() throws Exception {
        SSLContext tls = server.fixture.clientTls();
        return new Session(URI.create(server.directory()), new GenericAcmeProvider() {
            @Override
            protected HttpConnector createHttpConnector(NetworkSettings settings) {
                return new HttpConnector(settings) {
                    @Override
                    public HttpClient.Builder createClientBuilder() {
                        return super.createClientBuilder().sslContext(tls);
                    }
                };
            }
        });
    }

    static KeyPair accountKey(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.equals("ES256") ? "EC" : "RSA");
        if (algorithm.equals("ES256")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    @ParameterizedTest(name = "issues/{0}-account")
    @ValueSource(strings = {"ES256", "RS256"})
    void aMailClientEnrollsASigningCertificate(String algorithm) throws Exception {
        String mailbox = EnrollFixture.newMailbox("acme-" + algorithm.toLowerCase());
        server.fixture.verifiedMailbox(mailbox, "ada");
        KeyPair key = accountKey(algorithm);
        Account account = new AccountBuilder().agreeToTermsOfService().addEmail(mailbox).useKeyPair(key).create(session());

        Order order = account.newOrder().identifier(new Identifier("email", mailbox)).create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        assertThat(challenge.getType()).isEqualTo("email-reply-00");
        assertThat(challenge.getJSON().get("from").asString()).isEqualTo(AcmeTestServer.CHALLENGE_FROM);
        challenge.trigger();

        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        assertThat(mail.header("Auto-Submitted")).isEqualTo("auto-generated; type=acme");
        assertThat(mail.mail().getFrom()[0].toString()).isEqualTo(AcmeTestServer.CHALLENGE_FROM);
        assertThat(mail.tokenPart1()).matches("[A-Za-z0-9_-]{22,}").isNotEqualTo(challenge.getJSON().get("token").asString());
        byte[] reply = mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox)));
        Path replyFile = Files.write(work.resolve("reply-" + algorithm + ".eml"), reply);
        String swaks = run("swaks", "--server", "127.0.0.1:" + server.replies.port(), "-tls", "--from", mailbox, "--to", AcmeTestServer.CHALLENGE_FROM,
                "--data", "@" + replyFile);
        assertThat(swaks).contains("<~  250 2.6.0 reply for order ");

        assertThat(challenge.waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);
        assertThat(order.waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
        Path keyFile = work.resolve("signing-" + algorithm + ".key");
        Path csr = work.resolve("signing-" + algorithm + ".csr");
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile.toString(), "-subj", "/CN=Ada",
                "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER", "-out", csr.toString());
        order.execute(Files.readAllBytes(csr));
        assertThat(order.waitForCompletion(Duration.ofSeconds(10))).isEqualTo(Status.VALID);

        org.shredzone.acme4j.Certificate certificate = order.getCertificate();
        certificate.download();
        StringWriter chain = new StringWriter();
        certificate.writeCertificate(chain);
        Path chainFile = Files.writeString(work.resolve("chain-" + algorithm + ".pem"), chain.toString());
        Path leaf = Files.writeString(work.resolve("leaf-" + algorithm + ".pem"), chain.toString().substring(0, chain.toString().indexOf("-----END CERTIFICATE-----") + 25) + "\n");
        assertThat(run("openssl", "verify", "-purpose", "smimesign", "-CAfile", server.fixture.rootPem().toString(), "-untrusted", chainFile.toString(),
                leaf.toString())).contains(": OK");
        assertThat(run("openssl", "x509", "-in", leaf.toString(), "-noout", "-ext", "subjectAltName")).contains("email:" + mailbox);
        assertThat(certificate.getCertificate().getPublicKey().getEncoded()).isEqualTo(publicKeyDer(keyFile));
    }

    @Test
    void theReplyMayArriveBeforeTheClientRespondsToTheChallenge() throws Exception {
        String mailbox = EnrollFixture.newMailbox("early");
        server.fixture.verifiedMailbox(mailbox, "eve");
        KeyPair key = accountKey("ES256");
        Order order = new AccountBuilder().agreeToTermsOfService().useKeyPair(key).create(session()).newOrder().identifier(new Identifier("email", mailbox))
                .create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        server.sendReply(mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));
        challenge.update();
        assertThat(challenge.getStatus()).as("valid only once the client responds").isEqualTo(Status.PENDING);

        challenge.trigger();

        assertThat(challenge.getStatus()).isEqualTo(Status.VALID);
    }

    @Test
    void rejectsCsrForAnotherMailboxAndIssuesNothing() throws Exception {
        String mailbox = EnrollFixture.newMailbox("own");
        String other = EnrollFixture.newMailbox("other");
        server.fixture.verifiedMailbox(mailbox, "olga");
        server.fixture.verifiedMailbox(other, "otto");
        KeyPair key = accountKey("ES256");
        Order order = readyOrder(key, mailbox);
        Path csr = work.resolve("other.csr");
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", work.resolve("other.key").toString(),
                "-subj", "/CN=Otto", "-addext", "subjectAltName=email:" + other, "-outform", "DER", "-out", csr.toString());
        long issuedBefore = issued(other) + issued(mailbox);

        assertThatThrownBy(() -> order.execute(Files.readAllBytes(csr))).isInstanceOf(AcmeServerException.class)
                .hasMessageContaining("must name exactly " + mailbox)
                .satisfies(e -> assertThat(((AcmeServerException) e).getProblem().getType().toString()).isEqualTo("urn:ietf:params:acme:error:badCSR"));
        assertThat(issued(other) + issued(mailbox)).isEqualTo(issuedBefore);
        order.update();
        assertThat(order.getStatus()).as("ready for a better CSR").isEqualTo(Status.READY);
        assertThat(server.fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.acme.finalize")
                && r.event().detail().contains("badCSR"));
    }

    @Test
    void rejectsAnRsaCsrKeyTooShortForTheProfile() throws Exception {
        String mailbox = EnrollFixture.newMailbox("weak");
        server.fixture.verifiedMailbox(mailbox, "wim");
        Order order = readyOrder(accountKey("ES256"), mailbox);
        Path csr = work.resolve("weak.csr");
        run("openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", work.resolve("weak.key").toString(), "-subj", "/CN=Wim",
                "-addext", "subjectAltName=email:" + mailbox, "-outform", "DER", "-out", csr.toString());

        assertThatThrownBy(() -> order.execute(Files.readAllBytes(csr))).isInstanceOf(AcmeServerException.class)
                .satisfies(e -> assertThat(((AcmeServerException) e).getProblem().getType().toString()).isEqualTo("urn:ietf:params:acme:error:badCSR"));
        assertThat(issued(mailbox)).isZero();
    }

    private Order readyOrder(KeyPair key, String mailbox) throws Exception {
        Order order = new AccountBuilder().agreeToTermsOfService().useKeyPair(key).create(session()).newOrder().identifier(new Identifier("email", mailbox))
                .create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        challenge.trigger();
        AcmeTestServer.ChallengeMail mail = AcmeTestServer.challengeMail(mailbox);
        server.sendReply(mail.reply(mailbox, mail.response(challenge.getJSON().get("token").asString(), key.getPublic()),
                AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));
        assertThat(order.waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
        return order;
    }

    static long issued(String mailbox) {
        return server.fixture.platform.auditLog().read(0, 1_000_000).stream()
                .filter(r -> r.event().action().equals("ca.issue") && r.event().target().contains(mailbox)).count();
    }

    private static byte[] publicKeyDer(Path keyFile) throws Exception {
        Path der = keyFile.resolveSibling(keyFile.getFileName() + ".pub.der");
        run("openssl", "pkey", "-in", keyFile.toString(), "-pubout", "-outform", "DER", "-out", der.toString());
        return Files.readAllBytes(der);
    }

    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }
}
