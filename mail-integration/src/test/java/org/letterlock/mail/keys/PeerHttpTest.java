package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The HTTP client on a raw socket that answers as each case scripts it: the request it sends, the body framings it
 * reads, and the answers it refuses (too large, cut short, never finished) with the error type that tells the caller
 * whether to ask again.
 */
class PeerHttpTest {
    private static final int MAX_BYTES = 100;

    /** Ends a scripted answer that closes the connection when sent (else it is held open until the test ends). */
    private static final String CLOSE = "<close>";

    private ServerSocket server;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void listen() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void close() throws Exception {
        release.countDown();
        server.close();
    }

    /** Answers one connection with {@code script}; returns the request it read. */
    private CompletableFuture<String> answer(String script) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket client = server.accept()) {
                String request = head(client.getInputStream());
                OutputStream out = client.getOutputStream();
                out.write(script.replace(CLOSE, "").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (!script.endsWith(CLOSE)) {
                    release.await();
                }
                return request;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static String head(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            head.write(in.read());
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private PeerHttp http() throws Exception {
        return new PeerHttp(SSLContext.getDefault(), new LoopbackNames().map("peer.example", server.getLocalPort()),
                new PeerLimits(Duration.ofSeconds(5), Duration.ofSeconds(2), MAX_BYTES));
    }

    static Stream<Arguments> readable() {
        return Stream.of(
                Arguments.of("content-length", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello", 200, "hello"),
                Arguments.of("chunked-with-extension-and-trailer",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nExpires: never\r\n\r\n", 200, "hello"),
                Arguments.of("until-closed", "HTTP/1.0 200 OK\r\n\r\nthe whole body" + CLOSE, 200, "the whole body"),
                Arguments.of("not-found-body-left-unread", "HTTP/1.1 404 Not Found\r\nContent-Length: 100000\r\n\r\n<html>", 404, ""),
                Arguments.of("server-error", "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 503, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readable")
    void readsEachBodyFraming(String name, String answer, int status, String body) throws Exception {
        CompletableFuture<String> request = answer(answer);

        PeerHttp.Answer read = http().get(URI.create("http://peer.example:8080/.well-known/x?l=a%40b"), "application/octet-stream");

        assertThat(read.status()).isEqualTo(status);
        assertThat(new String(read.body(), StandardCharsets.ISO_8859_1)).isEqualTo(body);
        assertThat(read.temporary()).isEqualTo(status >= 500);
        release.countDown();
        assertThat(request.get()).startsWith("GET /.well-known/x?l=a%40b HTTP/1.1\r\n").contains("Host: peer.example:8080\r\n", "Accept: application/octet-stream\r\n",
                "Connection: close\r\n");
    }

    static Stream<Arguments> refused() {
        String over = "x".repeat(MAX_BYTES + 1);
        return Stream.of(
                Arguments.of("declared-too-large", "HTTP/1.1 200 OK\r\nContent-Length: " + (MAX_BYTES + 1) + "\r\n\r\n", ErrorType.BAD_REQUEST, "over 100 bytes"),
                Arguments.of("chunks-too-large", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" + over + "\r\n0\r\n\r\n", ErrorType.BAD_REQUEST,
                        "over 100 bytes"),
                Arguments.of("until-closed-too-large", "HTTP/1.1 200 OK\r\n\r\n" + over + CLOSE, ErrorType.BAD_REQUEST, "over 100 bytes"),
                Arguments.of("cut-short", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this" + CLOSE, ErrorType.UNAVAILABLE, "ended after"),
                Arguments.of("never-finished", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nand then nothing", ErrorType.UNAVAILABLE, "no complete answer within 2 s"),
                Arguments.of("not-http", "SSH-2.0-OpenSSH_9.2\r\n" + CLOSE, ErrorType.UNAVAILABLE, "not an HTTP/1.x answer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusesAnswersItCannotUseWithTheRightType(String name, String answer, ErrorType type, String detail) throws Exception {
        PeerHttp http = http();
        answer(answer);

        assertThatThrownBy(() -> http.get(URI.create("http://peer.example/key"), "*/*")).isInstanceOf(LetterlockException.class).hasMessageContaining(detail)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(type));
    }

    @Test
    void postsItsBodyWithTypeAndLength() throws Exception {
        CompletableFuture<String> request = answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        PeerHttp.Answer read = http().post(URI.create("http://peer.example/ocsp"), "application/ocsp-response", "application/ocsp-request", new byte[0]);

        assertThat(read.status()).isEqualTo(200);
        release.countDown();
        assertThat(request.get()).startsWith("POST /ocsp HTTP/1.1\r\n").contains("Host: peer.example\r\n", "Content-Type: application/ocsp-request\r\n",
                "Content-Length: 0\r\n");
    }

    @Test
    void aNameWithoutAddressIsNotFoundAndAPortWithoutServerUnavailable() throws Exception {
        PeerHttp http = http();
        assertThatThrownBy(() -> http.get(URI.create("http://nowhere.example/"), "*/*")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.NOT_FOUND));
        server.close();
        assertThatThrownBy(() -> http.get(URI.create("http://peer.example/"), "*/*")).isInstanceOf(LetterlockException.class)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(ErrorType.UNAVAILABLE));
    }
}
