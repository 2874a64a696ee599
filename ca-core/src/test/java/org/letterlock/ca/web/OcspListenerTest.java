package org.letterlock.ca.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.OcspFixture;
import org.letterlock.ca.OcspResponder;

/** The OCSP listener's HTTP over real sockets: answers, keep-alive, pipelining, and every refusal with its status. */
class OcspListenerTest {
    private static OcspFixture fixture;
    private static OcspResponder responder;
    private static OcspListener listener;
    private static byte[] plain;
    private static String getPath;

    /** One answer as read off the socket. */
    record Answer(int status, Map<String, String> fields, byte[] body) {
        String field(String name) {
            return fields.get(name.toLowerCase(Locale.ROOT));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        fixture = new OcspFixture();
        responder = fixture.responder();
        responder.presign(fixture.issuer(), fixture.known());
        listener = OcspListener.start(new InetSocketAddress("127.0.0.1", 0), () -> responder, true, 1500, 3000);
        plain = fixture.plainRequest(OcspFixture.KNOWN);
        getPath = "/ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(plain), StandardCharsets.US_ASCII);
    }

    @AfterAll
    static void stop() {
        listener.close();
        fixture.close();
    }

    @ParameterizedTest(name = "signOnNetworkThreads={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void nonceAnswersAreSignedOnTheNetworkThreadsOnlyWhenAskedTo(boolean signOnNetworkThreads) throws Exception {
        java.util.Set<String> signingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.function.Function<org.letterlock.vault.KeyUri, org.bouncycastle.operator.ContentSigner> recording = key -> OcspFixture.failingWhile(
                fixture.vaultSigners().apply(key), () -> {
                    signingThreads.add(Thread.currentThread().getName());
                    return null;
                });
        OcspResponder own = fixture.responder(recording, key -> recording.apply(key));
        own.presign(fixture.issuer(), fixture.known());
        signingThreads.clear();
        try (OcspListener ownListener = OcspListener.start(new InetSocketAddress("127.0.0.1", 0), () -> own, signOnNetworkThreads, 1500, 3000)) {
            HttpResponse<byte[]> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ownListener.address().getPort() + "/ocsp"))
                    .header("Content-Type", "application/ocsp-request")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(fixture.nonceRequest(OcspFixture.KNOWN, new byte[] {7}))).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(post.statusCode()).isEqualTo(200);
            assertThat(new OCSPResp(post.body()).getStatus()).isZero();
        }
        assertThat(signingThreads).hasSize(1);
        String thread = signingThreads.iterator().next();
        if (signOnNetworkThreads) {
            assertThat(thread).startsWith("letterlock-ocsp-").doesNotStartWith("letterlock-ocsp-sign-");
        } else {
            assertThat(thread).startsWith("letterlock-ocsp-sign-");
        }
    }

    @Test
    void cachedGetAndNoncePostAnswerWithTheirHeaders() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + listener.address().getPort());
        HttpResponse<byte[]> get = client.send(HttpRequest.newBuilder(base.resolve(getPath)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
        assertThat(get.headers().firstValue("Cache-Control").orElseThrow()).matches("max-age=\\d+, public, no-transform, must-revalidate");
        assertThat(get.headers().firstValue("Date")).isPresent();
        assertThat(get.body()).isEqualTo(responder.respondFromMemory(plain).orElseThrow().der());
        assertThat(status(get.body())).isEqualTo(CertificateStatus.GOOD);

        byte[] nonce = "listener nonce 1".getBytes(StandardCharsets.US_ASCII);
        HttpResponse<byte[]> post = client.send(HttpRequest.newBuilder(base.resolve("/ocsp")).header("Content-Type", "application/ocsp-request")
                .POST(HttpRequest.BodyPublishers.ofByteArray(fixture.nonceRequest(OcspFixture.KNOWN, nonce))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.headers().firstValue("Cache-Control")).hasValue("no-store");
        BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(post.body()).getResponseObject();
        assertThat(basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce).getExtnValue().getOctets()).endsWith(nonce);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhenOneWaitsForASignature() throws Exception {
        byte[] nonce = "pipelined nonce!".getBytes(StandardCharsets.US_ASCII);
        byte[] body = fixture.nonceRequest(OcspFixture.KNOWN, nonce);
        // Signed on the signing threads, slowly: the requests behind it wait in the connection's buffer meanwhile.
        java.util.function.Function<org.letterlock.vault.KeyUri, org.bouncycastle.operator.ContentSigner> slow = key -> OcspFixture.failingWhile(
                fixture.vaultSigners().apply(key), () -> {
                    if (Thread.currentThread().getName().startsWith("letterlock-ocsp-sign-")) {
                        sleep(300);
                    }
                    return null;
                });
        OcspResponder own = fixture.responder(slow, slow);
        own.presign(fixture.issuer(), fixture.known());
        try (OcspListener waiting = OcspListener.start(new InetSocketAddress("127.0.0.1", 0), () -> own, false, 1500, 3000);
             Socket socket = connect(waiting)) {
            ByteArrayOutputStream requests = new ByteArrayOutputStream();
            requests.write(ascii("GET " + getPath + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            requests.write(ascii("POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: " + body.length + "\r\n\r\n"));
            requests.write(body);
            requests.write(ascii("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
            requests.write(ascii("GET " + getPath + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            socket.getOutputStream().write(requests.toByteArray());
            InputStream in = socket.getInputStream();
            Answer first = read(in);
            Answer second = read(in);
            Answer third = read(in);
            Answer fourth = read(in);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).isEqualTo(fourth.body());
            assertThat(((BasicOCSPResp) new OCSPResp(second.body()).getResponseObject()).getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)
                    .getExtnValue().getOctets()).endsWith(nonce);
            assertThat(third.status()).isEqualTo(404);
            assertThat(fourth.field("Connection")).isEqualTo("close");
            assertThat(in.read()).as("closed after the answer to Connection: close").isEqualTo(-1);
        }
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                // request, status, a piece of the answer's body, connection left open
                Arguments.of("GARBAGE\r\n\r\n", 400, "request line", false),
                Arguments.of("GET /ocsp HTTP/3\r\n\r\n", 505, "HTTP/1.1", false),
                Arguments.of("GET /index.html HTTP/1.1\r\n\r\n", 404, "GET /ocsp/<request>", true),
                Arguments.of("DELETE /ocsp HTTP/1.1\r\n\r\n", 405, "GET /ocsp/<request>", true),
                Arguments.of("HEAD /ocsp HTTP/1.1\r\n\r\n", 405, "GET /ocsp/<request>", false),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc", 415, "application/ocsp-request", true),
                Arguments.of("POST /ocsp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 411, "Content-Length", false),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", 413, "10240", false),
                // The body the server will not read must not turn its answer into a reset.
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 99999\r\n\r\n" + "x".repeat(99999), 413, "10240", false),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "Content-Length", false),
                Arguments.of("GET /ocsp HTTP/1.1\r\nX: " + "a".repeat(9000) + "\r\n\r\n", 431, "8192", false),
                Arguments.of("\r\n".repeat(10000), 431, "8192", false));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void badRequestsGetTheirStatusAndReason(String request, int status, String reason, boolean staysOpen) throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii(request));
            InputStream in = socket.getInputStream();
            Answer answer = read(in);
            assertThat(answer.status()).isEqualTo(status);
            assertThat(new String(answer.body(), StandardCharsets.UTF_8)).contains(reason);
            if (status == 405) {
                assertThat(answer.field("Allow")).isEqualTo("GET, POST");
            }
            if (staysOpen) {
                socket.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\n\r\n"));
                assertThat(read(in).status()).isEqualTo(200);
            } else {
                assertThat(answer.field("Connection")).isEqualTo("close");
                assertThat(in.read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void notAnOcspRequestIsAMalformedRequestAnswer() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("GET /ocsp/%25%25notbase64 HTTP/1.1\r\n\r\nPOST /ocsp HTTP/1.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: 3\r\n\r\nabc"));
            InputStream in = socket.getInputStream();
            assertThat(new OCSPResp(read(in).body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
            assertThat(new OCSPResp(read(in).body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
        }
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
            InputStream in = socket.getInputStream();
            assertThat(read(in).field("Connection")).isEqualTo("keep-alive");
            socket.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.0\r\n\r\n"));
            assertThat(read(in).status()).isEqualTo(200);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBody() throws Exception {
        byte[] body = fixture.nonceRequest(OcspFixture.KNOWN, "continue nonce 1".getBytes(StandardCharsets.US_ASCII));
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("POST /ocsp HTTP/1.1\r\nContent-Type: application/ocsp-request\r\nExpect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n"));
            InputStream in = socket.getInputStream();
            assertThat(read(in).status()).isEqualTo(100);
            socket.getOutputStream().write(body);
            Answer answer = read(in);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(new OCSPResp(answer.body()).getStatus()).isZero();
        }
    }

    @Test
    void aRequestThatDoesNotArriveInTimeGets408AndAnIdleConnectionIsClosed() throws Exception {
        try (Socket slow = connect(); Socket idle = connect(); Socket silent = connect()) {
            slow.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\nHost: x\r\n"));
            idle.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\n\r\n"));
            assertThat(read(idle.getInputStream()).status()).isEqualTo(200);
            long started = System.nanoTime();
            Answer timedOut = read(slow.getInputStream());
            assertThat(timedOut.status()).isEqualTo(408);
            assertThat(slow.getInputStream().read()).isEqualTo(-1);
            assertThat(read(silent.getInputStream()).status()).as("a connection that never sends a byte").isEqualTo(408);
            assertThat(idle.getInputStream().read()).as("idle connection closed").isEqualTo(-1);
            assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(9000);
        }
    }

    /** One client address holds at most its share of connections: the next is closed as it comes, and a slot freed is taken again. */
    @Test
    void oneClientHoldsAtMostItsShareOfConnections() throws Exception {
        try (OcspListener limited = OcspListener.start(new InetSocketAddress("127.0.0.1", 0), () -> responder, true, 30_000, 30_000, 2);
             Socket first = connect(limited); Socket second = connect(limited)) {
            first.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\n\r\n"));
            assertThat(read(first.getInputStream()).status()).isEqualTo(200);
            try (Socket third = connect(limited)) {
                assertThat(third.getInputStream().read()).as("the third connection is closed").isEqualTo(-1);
            }
            second.close();
            // The slot is freed when the server sees the close; until then a new connection may still be turned away.
            int status = 0;
            for (int attempt = 0; attempt < 50 && status != 200; attempt++) {
                try (Socket again = connect(limited)) {
                    again.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\n\r\n"));
                    status = read(again.getInputStream()).status();
                } catch (IOException | AssertionError closed) {
                    sleep(100);
                }
            }
            assertThat(status).as("a freed slot is taken again").isEqualTo(200);
            first.getOutputStream().write(ascii("GET " + getPath + " HTTP/1.1\r\n\r\n"));
            assertThat(read(first.getInputStream()).status()).as("the first is served on").isEqualTo(200);
        }
    }

    @Test
    void aClientThatDoesNotReadItsAnswersIsNotReadFromEither() throws Exception {
        // Requests padded to 4 KB, so the socket buffers on both sides hold a few thousand of them at most.
        int requests = 20_000;
        byte[] one = ascii("GET " + getPath + " HTTP/1.1\r\nX-Padding: " + "p".repeat(4000) + "\r\n\r\n");
        // A listener of its own: the shared one drops a client that reads nothing for 1.5 s, before this test looks.
        try (OcspListener patient = OcspListener.start(new InetSocketAddress("127.0.0.1", 0), () -> responder, true, 30_000, 30_000);
             Socket socket = new Socket("127.0.0.1", patient.address().getPort())) {
            socket.setSoTimeout(10_000);
            AtomicInteger sent = new AtomicInteger();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        socket.getOutputStream().write(one);
                        sent.incrementAndGet();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            writer.start();
            Thread.sleep(2000);
            // Answers queue up to the socket buffers only; then the server stops reading, so the client's writes block.
            assertThat(sent.get()).as("requests written while nobody read the answers").isLessThan(requests / 2);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < requests; i++) {
                assertThat(read(in).status()).isEqualTo(200);
            }
            writer.join(10_000);
            assertThat(sent.get()).isEqualTo(requests);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Socket connect() throws IOException {
        return connect(listener);
    }

    private static Socket connect(OcspListener to) throws IOException {
        Socket socket = new Socket("127.0.0.1", to.address().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static Answer read(InputStream in) throws IOException {
        String statusLine = line(in);
        assertThat(statusLine).startsWith("HTTP/1.1 ");
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line; !(line = line(in)).isEmpty(); ) {
            int colon = line.indexOf(':');
            fields.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        byte[] body = status == 100 ? new byte[0] : in.readNBytes(Integer.parseInt(fields.get("content-length")));
        return new Answer(status, fields, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of an answer");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static CertificateStatus status(byte[] der) throws Exception {
        return ((BasicOCSPResp) new OCSPResp(der).getResponseObject()).getResponses()[0].getCertStatus();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
