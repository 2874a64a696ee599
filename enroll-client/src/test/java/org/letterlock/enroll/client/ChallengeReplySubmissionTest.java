package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The reply's way into a mail server, against SubEthaSMTP (a server nobody here wrote): STARTTLS or implicit TLS
 * (smtps) with the server's name checked, AUTH with the person's password, and TLS insisted on once the server is not
 * this machine.
 */
class ChallengeReplySubmissionTest {
    private static final String ADDRESS = "ann@example.org";
    private static final String PASSWORD = "correct horse";
    private static final AcmeClient.Challenge CHALLENGE = new AcmeClient.Challenge(URI.create("https://ca.example.org/acme/chall/1"), "acme-challenge@ca.example.org", "part2");

    @TempDir
    Path work;

    /** What the server took: the authenticated user, the envelope and the message. */
    record Arrival(Optional<Object> user, String from, String to, String data) {
    }

    private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

    /** A key and a self-signed certificate for {@code names} (DNS names or IP addresses), and the PEM a client trusts it by. */
    private record ServerIdentity(SSLContext tls, Path pem) {
    }

    private ServerIdentity identity(String... names) throws Exception {
        KeyPair key = KeyType.EC_P256.generate();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + names[0]), BigInteger.valueOf(System.nanoTime()),
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=" + names[0]), key.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(java.util.Arrays.stream(names)
                .map(n -> new GeneralName(n.matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", key.getPrivate(), new char[0], new java.security.cert.Certificate[] {certificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        Path pem = Files.writeString(work.resolve(names[0] + ".pem"), "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        return new ServerIdentity(tls, pem);
    }

    /** A server on {@code address}: with STARTTLS required and AUTH required if {@code tls} is given, plain otherwise. */
    private SMTPServer server(InetAddress address, Optional<SSLContext> tls) {
        SMTPServer.Builder builder = builder(address);
        tls.ifPresent(context -> requireAuth(builder.enableTLS().requireTLS().startTlsSocketFactory(context)));
        return started(builder);
    }

    /** A submission server speaking TLS from the first byte (port 465 style), AUTH required. */
    private SMTPServer implicitTlsServer(SSLContext tls) {
        return started(requireAuth(builder(InetAddress.getLoopbackAddress()).serverSocketFactory(tls)));
    }

    private SMTPServer.Builder builder(InetAddress address) {
        return SMTPServer.port(0).bindAddress(address).hostName("mail.test")
                .messageHandler((context, from, to, data) -> arrivals.add(new Arrival(context.getAuthenticationHandler().map(h -> h.getIdentity()), from, to,
                        new String(data, StandardCharsets.UTF_8))));
    }

    /** Every AUTH the servers were given, right or wrong. */
    private final java.util.concurrent.atomic.AtomicInteger authAttempts = new java.util.concurrent.atomic.AtomicInteger();

    private SMTPServer.Builder requireAuth(SMTPServer.Builder builder) {
        return builder.requireAuth().authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((user, password, session) -> {
            authAttempts.incrementAndGet();
            if (!user.equals(ADDRESS) || !password.equals(PASSWORD)) {
                throw new LoginFailedException();
            }
        }));
    }

    private static SMTPServer started(SMTPServer.Builder builder) {
        SMTPServer server = builder.build();
        server.start();
        return server;
    }

    private static ChallengeReply reply() throws IOException {
        return ChallengeReply.fromSubject("ACME: JsFfyZkpqG7Hrv7lP8ZOuA");
    }

    /** A server of the scheme's kind on loopback with {@code tls}, AUTH required, and the reply's way into it. */
    private record Submission(SMTPServer server, ChallengeReply.MailServer mailServer) implements AutoCloseable {
        @Override
        public void close() {
            server.stop();
        }
    }

    private Submission submission(String scheme, String password, String... certificateNames) throws Exception {
        ServerIdentity identity = identity(certificateNames);
        SMTPServer server = scheme.equals("smtps") ? implicitTlsServer(identity.tls()) : server(InetAddress.getLoopbackAddress(), Optional.of(identity.tls()));
        return new Submission(server, ChallengeReply.MailServer.of(URI.create(scheme + "://127.0.0.1:" + server.getPortAllocated()), ADDRESS,
                Optional.of(password.toCharArray()), TrustAnchor.fromPem(identity.pem())));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"smtp", "smtps"})
    void signsInOverTlsAndHandsOverTheReply(String scheme) throws Exception {
        try (Submission submission = submission(scheme, PASSWORD, "localhost", "127.0.0.1")) {
            reply().send(submission.mailServer(), ADDRESS, CHALLENGE, "cmVzcG9uc2U");
            assertThat(authAttempts).hasValue(1);

            assertThat(arrivals).singleElement().satisfies(arrival -> {
                assertThat(arrival.user()).as("signed in before the message: the server requires AUTH").hasValue(ADDRESS);
                assertThat(arrival.from()).isEqualTo(ADDRESS);
                assertThat(arrival.to()).isEqualTo(CHALLENGE.from());
                assertThat(arrival.data()).contains("Subject: Re: ACME: JsFfyZkpqG7Hrv7lP8ZOuA", "-----BEGIN ACME RESPONSE-----\r\ncmVzcG9uc2U\r\n");
                assertThat(arrival.data()).containsPattern("Message-ID: <[^>]+@example\\.org>");
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"smtp", "smtps"})
    void aWrongPasswordIsTheServersRefusal(String scheme) throws Exception {
        try (Submission submission = submission(scheme, "wrong", "localhost", "127.0.0.1")) {
            assertThatThrownBy(() -> reply().send(submission.mailServer(), ADDRESS, CHALLENGE, "x")).isInstanceOf(IOException.class)
                    .hasMessageContaining("did not take the reply").hasMessageContaining("535");
            assertThat(arrivals).isEmpty();
        }
    }

    /** The name is checked in the TLS handshake, before AUTH could send the password. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"smtp", "smtps"})
    void aCertificateForAnotherNameIsRefusedBeforeThePasswordIsSent(String scheme) throws Exception {
        try (Submission submission = submission(scheme, PASSWORD, "mail.example.org")) {
            assertThatThrownBy(() -> reply().send(submission.mailServer(), ADDRESS, CHALLENGE, "x")).isInstanceOf(IOException.class)
                    .hasMessageContaining("did not take the reply").hasMessageContaining("127.0.0.1");
            assertThat(arrivals).isEmpty();
            assertThat(authAttempts).as("no AUTH reached the server: the name was checked first").hasValue(0);
        }
    }

    /** A plain server is used as it is on this machine, and refused anywhere else: there the reply would cross a network in clear. */
    @Test
    void tlsIsInsistedOnOnceTheServerIsNotThisMachine() throws Exception {
        InetAddress elsewhere = Collections.list(NetworkInterface.getNetworkInterfaces()).stream().filter(i -> !uncheckedLoopback(i))
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream()).filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst()
                .orElseThrow(() -> new AssertionError("this machine has no address but loopback to bind a server to"));
        SMTPServer local = server(InetAddress.getLoopbackAddress(), Optional.empty());
        SMTPServer remote = server(elsewhere, Optional.empty());
        try {
            ChallengeReply.MailServer onThisMachine = ChallengeReply.MailServer.of(URI.create("smtp://127.0.0.1:" + local.getPortAllocated()), ADDRESS,
                    Optional.empty(), TrustAnchor.system());
            ChallengeReply.MailServer acrossANetwork = ChallengeReply.MailServer.of(URI.create("smtp://" + elsewhere.getHostAddress() + ":" + remote.getPortAllocated()),
                    ADDRESS, Optional.empty(), TrustAnchor.system());

            reply().send(onThisMachine, ADDRESS, CHALLENGE, "x");
            assertThatThrownBy(() -> reply().send(acrossANetwork, ADDRESS, CHALLENGE, "x")).isInstanceOf(IOException.class).hasMessageContaining("STARTTLS");

            assertThat(arrivals).as("only the one to this machine").hasSize(1);
        } finally {
            local.stop();
            remote.stop();
        }
    }

    private static boolean uncheckedLoopback(NetworkInterface networkInterface) {
        try {
            return networkInterface.isLoopback() || !networkInterface.isUp();
        } catch (java.net.SocketException e) {
            return true;
        }
    }
}
