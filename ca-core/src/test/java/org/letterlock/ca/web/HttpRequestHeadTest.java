package org.letterlock.ca.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HttpRequestHeadTest {

    static Stream<Arguments> accepted() {
        return Stream.of(
                // raw head, method, path, content length, keep-alive
                Arguments.of("GET /ocsp/MEow HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/ocsp/MEow", 0, true),
                Arguments.of("GET /ocsp/MEow?x=1 HTTP/1.1\r\n\r\n", "GET", "/ocsp/MEow", 0, true),
                Arguments.of("GET http://ocsp.example.org/ocsp/MEow HTTP/1.1\r\n\r\n", "GET", "/ocsp/MEow", 0, true),
                Arguments.of("\r\nGET /ocsp/a HTTP/1.1\r\n\r\n", "GET", "/ocsp/a", 0, true),
                Arguments.of("GET /ocsp/a HTTP/1.1\nHost: x\n\n", "GET", "/ocsp/a", 0, true),
                Arguments.of("GET /ocsp/a HTTP/1.1\r\nConnection: close\r\n\r\n", "GET", "/ocsp/a", 0, false),
                Arguments.of("GET /ocsp/a HTTP/1.0\r\n\r\n", "GET", "/ocsp/a", 0, false),
                Arguments.of("GET /ocsp/a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET", "/ocsp/a", 0, true),
                Arguments.of("POST /ocsp HTTP/1.1\r\ncontent-length: 83\r\nContent-Length: 83\r\n\r\n", "POST", "/ocsp", 83, true));
    }

    @ParameterizedTest
    @MethodSource
    void accepted(String raw, String method, String path, int contentLength, boolean keepAlive) throws Exception {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        HttpRequestHead head = HttpRequestHead.read(bytes, bytes.length, 8192, 10240);
        assertThat(head).isNotNull();
        assertThat(head.method()).isEqualTo(method);
        assertThat(head.path()).isEqualTo(path);
        assertThat(head.contentLength()).isEqualTo(contentLength);
        assertThat(head.keepAlive()).isEqualTo(keepAlive);
        assertThat(head.length()).isEqualTo(bytes.length);
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("GARBAGE\r\n\r\n", 400, "request line"),
                Arguments.of("GET  /ocsp HTTP/1.1\r\n\r\n", 400, "request line"),
                Arguments.of("GET /ocsp HTTP/2.0\r\n\r\n", 505, "HTTP/1.1"),
                Arguments.of("GET /ocsp HTTX/1.1\r\n\r\n", 400, "version"),
                Arguments.of("GET ocsp HTTP/1.1\r\n\r\n", 400, "target"),
                Arguments.of("GET /ocsp HTTP/1.1\r\nHost x\r\n\r\n", 400, "header field"),
                Arguments.of("GET /ocsp HTTP/1.1\r\nHost : x\r\n\r\n", 400, "header field"),
                Arguments.of("GET /ocsp HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "folded"),
                Arguments.of("GET /ocsp HTTP/1.1\r\nHost: x\rContent-Length: 5\r\n\r\n", 400, "bare CR"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "Content-Length"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 400, "Content-Length"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 12345678901\r\n\r\n", 400, "Content-Length"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nContent-Length: 10241\r\n\r\n", 413, "10240"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "Content-Length"),
                Arguments.of("POST /ocsp HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417, "100-continue"),
                Arguments.of("GET /ocsp HTTP/1.1\r\nX: " + "a".repeat(9000), 431, "8192"));
    }

    @ParameterizedTest
    @MethodSource
    void refused(String raw, int status, String reason) {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> HttpRequestHead.read(bytes, bytes.length, 8192, 10240))
                .isInstanceOfSatisfying(HttpRequestHead.Refused.class, refused -> assertThat(refused.status()).isEqualTo(status))
                .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @MethodSource
    void incompleteHeadsWait(String raw) throws Exception {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(HttpRequestHead.read(bytes, bytes.length, 8192, 10240)).isNull();
    }

    static Stream<String> incompleteHeadsWait() {
        return Stream.of("", "\r\n", "GET /ocsp/a HTTP/1.1", "GET /ocsp/a HTTP/1.1\r\n", "GET /ocsp/a HTTP/1.1\r\nHost: x\r\n\r");
    }
}
