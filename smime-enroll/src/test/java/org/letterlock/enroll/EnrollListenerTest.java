package org.letterlock.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
    void aVerifiedMailboxGetsASecretByMailAndOthersTheSameAnswer() throws Exception {
        String mailbox = EnrollFixture.newMailbox("asks");
        fixture.verifiedMailbox(mailbox, "ava");

        HttpResponse<String> known = post("/secrets", "application/x-www-form-urlencoded", "mailbox=" + mailbox.replace("@", "%40"));
        HttpResponse<String> unknown = post("/secrets", "application/x-www-form-urlencoded", "mailbox=nobody%40example.org");

        assertThat(known.statusCode()).isEqualTo(202);
        assertThat(unknown.statusCode()).isEqualTo(202);
        assertThat(EnrollFixture.mailedSecret(mailbox)).matches("[A-Z2-9]{4}(-[A-Z2-9]{4}){4}");
        assertThat(unknown.body()).isEqualTo(known.body().replace(mailbox, "nobody@example.org"));
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

    private static HttpResponse<String> post(String path, String type, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(fixture.url() + path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
