package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LMTP reply receiver's protocol (RFC 2033 over RFC 5321's commands), one session per case: the client's lines
 * are sent at once (LMTP clients pipeline), and the server's answers must come in order. Replies that pass are in
 * {@link AcmeSignedReplyTest}, sent by swaks over LMTP.
 */
class LmtpReplyProtocolTest {
    private static final String TO = "RCPT TO:<" + AcmeTestServer.CHALLENGE_FROM + ">";
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

    /** Sends {@code lines} (each ended with CRLF) and then QUIT, and returns everything the server said until it closed. */
    private static String session(List<String> lines) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.replies.lmtpPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder sent = new StringBuilder();
            lines.forEach(line -> sent.append(line).append("\r\n"));
            sent.append("QUIT\r\n");
            out.write(sent.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Client lines separated by " | "; the answers expected, in order, separated by " | ". */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "greets and says goodbye            ; NOOP                                       ; 220 | 250 2.0.0 | 221 2.0.0",
        "LHLO lists the extensions LMTP needs ; LHLO mx.example.org                  ; 250-PIPELINING | 250-ENHANCEDSTATUSCODES | 250 SIZE 262144",
        "EHLO is refused: this is LMTP      ; EHLO mx.example.org                        ; 500 5.5.1 this is LMTP",
        "HELO is refused too                ; HELO mx.example.org                        ; 500 5.5.1",
        "LHLO needs a name                  ; LHLO                                       ; 501 5.5.4",
        "MAIL before LHLO                   ; MAIL FROM:<a@example.org>                  ; 503 5.5.1 LHLO first",
        "RCPT before MAIL                   ; LHLO mx | " + TO + "                        ; 503 5.5.1 MAIL first",
        "malformed MAIL                     ; LHLO mx | MAIL FROM a@example.org          ; 501 5.5.4",
        "nested MAIL                        ; LHLO mx | MAIL FROM:<> | MAIL FROM:<>      ; 250 2.1.0 | 503 5.5.1",
        "declared size over the limit       ; LHLO mx | MAIL FROM:<a@example.org> SIZE=262145 ; 552 5.3.4",
        "declared size within the limit     ; LHLO mx | MAIL FROM:<a@example.org> SIZE=2000 BODY=8BITMIME ; 250 2.1.0",
        "a recipient other than the challenge address ; LHLO mx | MAIL FROM:<> | RCPT TO:<ceo@example.org> ; 550 5.1.1",
        "a second recipient                 ; LHLO mx | MAIL FROM:<> | " + TO + " | " + TO + " ; 250 2.1.5 | 452 4.5.3",
        "DATA with no recipient             ; LHLO mx | MAIL FROM:<> | DATA              ; 503 5.5.1 no valid recipients",
        "DATA with parameters               ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA now ; 501 5.5.4",
        "a message that is not a reply is refused for its one recipient ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA | Subject: hello | | hi | . | NOOP ; 354 | 550 5.7.1 | 250 2.0.0",
        "a stuffed dot does not end the message ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA | Subject: hello | | .. | ..more | . | NOOP ; 354 | 550 5.7.1 | 250 2.0.0",
        "RSET ends the transaction          ; LHLO mx | MAIL FROM:<> | " + TO + " | RSET | DATA ; 250 2.0.0 reset | 503 5.5.1",
        "STARTTLS is not offered            ; STARTTLS                                   ; 502 5.5.1",
        "unknown commands                   ; LHLO mx | TURN                             ; 500 5.5.2",
        "VRFY says nothing                  ; VRFY ceo                                   ; 252 2.5.2",
    })
    void answersEachCommandAsLmtpAsks(String name, String lines, String answers) throws Exception {
        String transcript = session(Arrays.stream(lines.split("\\|")).map(String::strip).toList());
        int at = 0;
        for (String answer : answers.split("\\|")) {
            int found = transcript.indexOf(answer.strip(), at);
            assertThat(found).as(name + ": '" + answer.strip() + "' after position " + at + " in\n" + transcript).isGreaterThanOrEqualTo(0);
            at = found + answer.strip().length();
        }
        assertThat(transcript).as("the session ends with QUIT's answer").endsWith("221 2.0.0 " + server.fixture.url().getHost() + " closing\r\n");
    }

    @Test
    void aMessageLargerThanAReplyMayBeIsReadToItsEndAndRefused() throws Exception {
        String line = "x".repeat(998);
        List<String> lines = new java.util.ArrayList<>(List.of("LHLO mx", "MAIL FROM:<>", TO, "DATA", "Subject: big", ""));
        for (int i = 0; i < 300; i++) {
            lines.add(line);
        }
        lines.addAll(List.of(".", "NOOP"));
        String transcript = session(lines);
        assertThat(transcript).contains("354 ", "552 5.3.4 a reply is at most 262144 bytes", "250 2.0.0 OK", "221 2.0.0");
        assertThat(transcript).doesNotContain("500 ");
    }

    @Test
    void aLineLongerThanACommandMayBeIsRefusedAndTheSessionGoesOn() throws Exception {
        String transcript = session(List.of("LHLO " + "a".repeat(600), "NOOP"));
        assertThat(transcript).contains("500 5.5.6 line too long", "250 2.0.0 OK", "221 2.0.0");
    }

    @Test
    void aClientThatKeepsGettingItWrongIsDisconnected() throws Exception {
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < LmtpReplyListener.MAX_ERRORS + 5; i++) {
            lines.add("GET / HTTP/1.1");
        }
        String transcript = session(lines);
        assertThat(transcript.split("500 5.5.2", -1)).as("refused %d times, then closed", LmtpReplyListener.MAX_ERRORS).hasSize(LmtpReplyListener.MAX_ERRORS + 1);
        assertThat(transcript).endsWith("421 4.7.0 " + server.fixture.url().getHost() + " too many errors; closing\r\n").doesNotContain("221 ");
    }
}
