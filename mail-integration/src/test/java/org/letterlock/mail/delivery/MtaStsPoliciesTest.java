package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.mail.PostfixHop;
import org.letterlock.mail.PrivateDnsmasq;
import org.letterlock.mail.keys.TestPki;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.store.MovableClock;

/**
 * Fetching and caching MTA-STS policies (RFC 8461 3.3, 5.1): dnsmasq answers the TXT and address lookups, the JDK's
 * HttpsServer stands in for the web server at mta-sts.partner.test, with certificates from a test CA the fetch trusts.
 */
class MtaStsPoliciesTest {
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.partner.test\nmax_age: 60\n";

    @TempDir
    static java.nio.file.Path work;

    private static PrivateDnsmasq dns;
    private static MxLookup lookup;
    private static TestPki ca;
    private static SSLContext trusting;

    private final MovableClock clock = new MovableClock();
    private final AtomicInteger fetches = new AtomicInteger();
    private HttpsServer server;

    /** What the stand-in web server answers. */
    private record Answer(int status, Map<String, String> headers, String body) {
    }

    @BeforeAll
    static void start() throws Exception {
        dns = PrivateDnsmasq.start(work, PostfixHop.freePort(), List.of("--host-record=mta-sts.partner.test,127.0.0.1",
                "--txt-record=_mta-sts.partner.test,v=STSv1; id=one"));
        lookup = new MxLookup(List.of(new GatewaySettings.HostPort("127.0.0.1", dns.port())), Duration.ofSeconds(4), new Random());
        ca = new TestPki("Test Public CA");
        trusting = HopTrust.verifying(List.of(ca.root));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** A server-side TLS context with {@code certificate} and its issuer's root. */
    static SSLContext serving(TestPki.Issued certificate, TestPki issuer) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", certificate.key(), new char[0], new Certificate[] {certificate.certificate(), issuer.root});
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        return context;
    }

    private MtaStsPolicies policies(TestPki.Issued certificate, TestPki issuer, Answer answer) throws Exception {
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serving(certificate, issuer)));
        server.createContext("/.well-known/mta-sts.txt", exchange -> {
            fetches.incrementAndGet();
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return new MtaStsPolicies(lookup, trusting, server.getAddress().getPort(), Duration.ofSeconds(4), clock);
    }

    private static final Map<String, String> TEXT = Map.of("Content-Type", "text/plain");

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("redirect-not-followed", new Answer(301, Map.of("Location", "https://elsewhere.test/policy"), ""), "answered 301 (redirects are not followed)"),
                Arguments.of("not-found", new Answer(404, TEXT, "no policy"), "answered 404"),
                Arguments.of("html-media-type", new Answer(200, Map.of("Content-Type", "text/html"), POLICY), "sent the policy as text/html, not text/plain"),
                Arguments.of("no-media-type", new Answer(200, Map.of(), POLICY), "sent the policy as no media type"),
                Arguments.of("too-large", new Answer(200, TEXT, POLICY + "x_pad: " + "p".repeat(70_000) + "\n"), "more than 65536"),
                Arguments.of("malformed", new Answer(200, TEXT, "version: STSv1\nmode: enforce\nmax_age: 60\n"), "no mx in a policy with mode enforce"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aPolicyServedWronglyCountsAsNone(String name, Answer answer, String why) throws Exception {
        MtaStsPolicies.Found found = policies(ca.server("mta-sts.partner.test"), ca, answer).of("partner.test");
        assertThat(found.policy()).isEmpty();
        assertThat(found.note()).startsWith("no mta-sts policy: policy of partner.test not fetched: ").contains(why);
    }

    @Test
    void aCertificateForAnotherNameOrFromAnUntrustedCaCountsAsNone() throws Exception {
        MtaStsPolicies.Found otherName = policies(ca.server("www.partner.test"), ca, new Answer(200, TEXT, POLICY)).of("partner.test");
        assertThat(otherName.policy()).isEmpty();
        assertThat(otherName.note()).contains("No subject alternative DNS name matching mta-sts.partner.test");
        server.stop(0);

        TestPki stranger = new TestPki("Unknown CA");
        MtaStsPolicies.Found untrusted = policies(stranger.server("mta-sts.partner.test"), stranger, new Answer(200, TEXT, POLICY)).of("partner.test");
        assertThat(untrusted.policy()).isEmpty();
        assertThat(untrusted.note()).contains("PKIX path");
        assertThat(fetches).hasValue(0);
    }

    @Test
    void aPolicyIsCachedForItsMaxAgeAndOnceExpiredAFailedFetchLeavesNone() throws Exception {
        MtaStsPolicies policies = policies(ca.server("mta-sts.partner.test"), ca, new Answer(200, TEXT, POLICY));
        assertThat(policies.of("partner.test").note()).isEqualTo("mta-sts enforce id one fetched");
        assertThat(policies.of("partner.test").note()).isEqualTo("mta-sts enforce id one cached");
        assertThat(fetches).hasValue(1);

        clock.advance(Duration.ofSeconds(61));
        assertThat(policies.of("partner.test").note()).isEqualTo("mta-sts enforce id one fetched");
        assertThat(fetches).hasValue(2);

        // The server goes away; while the TXT id is unchanged the cached policy applies without a fetch.
        server.stop(0);
        clock.advance(Duration.ofSeconds(30));
        MtaStsPolicies.Found kept = policies.of("partner.test");
        assertThat(kept.policy()).map(MtaStsPolicy::mode).contains(MtaStsPolicy.Mode.ENFORCE);
        assertThat(kept.note()).isEqualTo("mta-sts enforce id one cached");

        clock.advance(Duration.ofSeconds(31));
        MtaStsPolicies.Found expired = policies.of("partner.test");
        assertThat(expired.policy()).isEmpty();
        assertThat(expired.note()).startsWith("no mta-sts policy: policy of partner.test not fetched");
    }
    /** A server that ignores {@code Connection: close}: the body ends at its Content-Length, not when the server hangs up. */
    @Test
    void aPolicyIsReadToItsContentLengthFromAServerThatKeepsTheConnectionOpen() throws Exception {
        byte[] policy = POLICY.getBytes(StandardCharsets.US_ASCII);
        CountDownLatch done = new CountDownLatch(1);
        try (SSLServerSocket listener = (SSLServerSocket) serving(ca.server("mta-sts.partner.test"), ca).getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread keepsOpen = new Thread(() -> {
                try (Socket connection = listener.accept()) {
                    connection.getInputStream().read(new byte[4096]);
                    OutputStream out = connection.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + policy.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(policy);
                    out.flush();
                    done.await();
                } catch (Exception e) {
                    // the test's assertions report what went wrong
                }
            });
            keepsOpen.start();
            MtaStsPolicies policies = new MtaStsPolicies(lookup, trusting, listener.getLocalPort(), Duration.ofSeconds(4), clock);

            long started = System.nanoTime();
            MtaStsPolicies.Found found = policies.of("partner.test");

            assertThat(found.note()).isEqualTo("mta-sts enforce id one fetched");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("well within the 4 s read timeout").isLessThan(Duration.ofSeconds(3));
            done.countDown();
            keepsOpen.join();
        }
    }
}
