package org.letterlock.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The enrollment listener as curl and Java's client see it: TLS with the CA's certificate, discovery, asking for a mailed secret. */
class EnrollListenerTest {
    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        client = HttpClient.newBuilder().sslContext(fixture.clientTls()).build();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void curlTrustingTheRootReadsTheDiscoveryDocument() throws Exception {
        Process curl = new ProcessBuilder("curl", "-sS", "--fail", "--cacert", fixture.rootPem().toString(),
                fixture.url() + "/.well-known/letterlock-enrollment").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(curl.exitValue()).as(out).isZero();
        assertThat(out).contains("\"est\": \"" + fixture.url() + "/.well-known/est\"", "\"acme\": \"" + fixture.url() + "/acme/directory\"",
                "\"cmp\": \"" + fixture.url() + "/cmp\"");
    }

    @Test
    void headOfTheDiscoveryDocumentGivesItsLengthAndKeepsTheConnection() throws Exception {
        URI discovery = URI.create(fixture.url() + "/.well-known/letterlock-enrollment");
        HttpResponse<String> head = client.send(HttpRequest.newBuilder(discovery).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(discovery).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).contains(Integer.toString(get.body().getBytes(StandardCharsets.UTF_8).length));
        assertThat(head.headers().firstValue("Content-Type")).contains("application/json");
    }

    @Test
    void aVerifiedMailboxGetsASecretByMailAndOthersTheSameAnswer() throws Exception {
        String mailbox = EnrollFixture.newMailbox("asks");
        fixture.verifiedMailbox(mailbox, "ava");

        HttpResponse<String> known = post("/secrets", "application/x-www-form-urlencoded", "mailbox=" + mailbox.replace("@", "%40"));
        HttpResponse<String> unknown = post("/secrets", "application/x-www-form-urlencoded", "mailbox=nobody%40example.org");

        assertThat(known.statusCode()).isEqualTo(202);
        assertThat(unknown.statusCode()).isEqualTo(202);
        assertThat(EnrollFixture.mailedSecret(mailbox)).matches("[A-Z2-9]{4}(-[A-Z2-9]{4}){4}");
        assertThat(unknown.body()).isEqualTo(known.body().replace(mailbox, "nobody@example.org"));

        // Past the hourly limit a verified mailbox is answered as any other address (a 429 would tell it exists); nothing more is mailed.
        for (int i = 0; i < 5; i++) {
            assertThat(post("/secrets", "application/x-www-form-urlencoded", "mailbox=" + mailbox.replace("@", "%40")).statusCode()).isEqualTo(202);
        }
        assertThat(org.letterlock.platform.store.Outbox.mailsTo(EnrollFixture.TOKEN_DATA, mailbox).stream().filter(m -> m.contains("Enrollment secret:")))
                .hasSize(3);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rejects/get-on-secrets            | GET  | /secrets                           |                                   |                 | 405",
            "rejects/json-on-secrets           | POST | /secrets                           | application/json                  | {}              | 415",
            "rejects/no-mailbox                | POST | /secrets                           | application/x-www-form-urlencoded | other=1         | 400",
            "rejects/not-an-address            | POST | /secrets                           | application/x-www-form-urlencoded | mailbox=nope    | 400",
            "rejects/bad-encoding              | POST | /secrets                           | application/x-www-form-urlencoded | mailbox=%zz     | 400",
            "rejects/post-on-discovery         | POST | /.well-known/letterlock-enrollment | application/json                  | {}              | 405",
            "rejects/unknown-path              | GET  | /nothing/here                      |                                   |                 | 404",
    })
    void badRequestsGetAPreciseStatus(String name, String method, String path, String type, String body, int status) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.url() + path));
        if (method.equals("GET")) {
            request.GET();
        } else {
            request.header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).doesNotContain("Exception");
    }

    @Test
    void anOversizedFormIsRefusedBeforeItIsRead() throws Exception {
        HttpResponse<String> response = post("/secrets", "application/x-www-form-urlencoded", "mailbox=" + "a".repeat(100_000));

        assertThat(response.statusCode()).isEqualTo(413);
    }

    /**
     * A refusal sent before the body has arrived must still leave the connection ready for the next request. The JDK
     * server reads an unread body only after the answer has gone out. A client that sends its next request as soon as
     * it has the answer and has sent the body may then deliver the body's TLS record and the next request's in one
     * segment; that late read decrypts the first and leaves the second where nothing looks again, so the client got no
     * answer until the idle close (30 s). The answer now waits for the body.
     */
    @Test
    void aRequestRefusedBeforeItsBodyArrivedKeepsTheConnectionUsable() throws Exception {
        HeldWrites held = new HeldWrites();
        Socket tcp = new Socket("127.0.0.1", fixture.url().getPort()) {
            @Override
            public OutputStream getOutputStream() throws IOException {
                return held.over(super.getOutputStream());
            }
        };
        try (SSLSocket socket = (SSLSocket) fixture.clientTls().getSocketFactory().createSocket(tcp, "127.0.0.1", fixture.url().getPort(), true)) {
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            BlockingQueue<String> answers = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (InputStream in = new BufferedInputStream(socket.getInputStream())) {
                    while (true) {
                        answers.add(readAnswer(in));
                    }
                } catch (Exception | AssertionError e) {
                    answers.add("closed: " + e);
                }
            });
            reader.setDaemon(true);
            reader.start();
            byte[] next = ("POST /secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nother=1")
                    .getBytes(StandardCharsets.US_ASCII);

            out.write(("POST /secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            held.hold();
            out.write("{}".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String refused = answers.poll(3, TimeUnit.SECONDS);
            if (refused != null) {
                // Answered before the body was sent: the next request leaves in one segment with the body.
                out.write(next);
                out.flush();
                held.release();
            } else {
                held.release();
                refused = answers.poll(10, TimeUnit.SECONDS);
                out.write(next);
                out.flush();
            }

            assertThat(refused).as("the refused request").startsWith("HTTP/1.1 415");
            assertThat(answers.poll(10, TimeUnit.SECONDS)).as("the next request on the connection").startsWith("HTTP/1.1 400");
        }
    }

    /** A socket's output that can hold what is written and send it later in one write. */
    private static final class HeldWrites {
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        private OutputStream target;
        private boolean holding;

        synchronized OutputStream over(OutputStream socket) {
            if (target == null) {
                target = socket;
            }
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    synchronized (HeldWrites.this) {
                        if (holding) {
                            held.write(bytes, offset, length);
                        } else {
                            target.write(bytes, offset, length);
                        }
                    }
                }
            };
        }

        synchronized void hold() {
            holding = true;
        }

        synchronized void release() throws IOException {
            holding = false;
            target.write(held.toByteArray());
            target.flush();
        }
    }

    /** One answer's head and body off a keep-alive connection; a read timeout fails the test. */
    private static String readAnswer(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("answer so far: %s", head).isNotNegative();
            head.append((char) b);
        }
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        assertThat(length.find()).as(head.toString()).isTrue();
        in.readNBytes(Integer.parseInt(length.group(1)));
        return head.toString();
    }

    private static HttpResponse<String> post(String path, String type, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(fixture.url() + path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
