package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LMTP reply receiver's protocol (RFC 2033 over RFC 5321's commands), one session per case: the client's lines
 * are sent at once (LMTP clients pipeline), and the server's answers must come in order. Replies that pass are in
 * {@link AcmeSignedReplyTest}, sent by swaks over LMTP.
 */
class LmtpReplyProtocolTest extends AcmeServerTests {
    private static final String TO = "RCPT TO:<" + AcmeTestServer.CHALLENGE_FROM + ">";

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

    /** The final lines of the server's answers (continuation lines of a multi-line answer left out), in order. */
    private static List<String> answers(String transcript) {
        return Arrays.stream(transcript.split("\r\n")).filter(line -> line.length() >= 4 && line.charAt(3) == ' ').toList();
    }

    /**
     * Client lines separated by " | "; the answers to them, each by its start, separated by " | ": exactly these, after
     * the greeting and before QUIT's answer.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "NOOP                               ; NOOP                                       ; 250 2.0.0",
        "LHLO                               ; LHLO mx.example.org                        ; 250 SIZE 262144",
        "EHLO is refused: this is LMTP      ; EHLO mx.example.org                        ; 500 5.5.1 this is LMTP",
        "HELO is refused too                ; HELO mx.example.org                        ; 500 5.5.1",
        "LHLO needs a name                  ; LHLO                                       ; 501 5.5.4",
        "MAIL before LHLO                   ; MAIL FROM:<a@example.org>                  ; 503 5.5.1 LHLO first",
        "RCPT before MAIL                   ; LHLO mx | " + TO + "                        ; 250 SIZE | 503 5.5.1 MAIL first",
        "malformed MAIL                     ; LHLO mx | MAIL FROM a@example.org          ; 250 SIZE | 501 5.5.4",
        "nested MAIL                        ; LHLO mx | MAIL FROM:<> | MAIL FROM:<>      ; 250 SIZE | 250 2.1.0 | 503 5.5.1",
        "declared size over the limit       ; LHLO mx | MAIL FROM:<a@example.org> SIZE=262145 ; 250 SIZE | 552 5.3.4",
        "declared size within the limit     ; LHLO mx | MAIL FROM:<a@example.org> SIZE=2000 BODY=8BITMIME ; 250 SIZE | 250 2.1.0",
        "a recipient other than the challenge address ; LHLO mx | MAIL FROM:<> | RCPT TO:<ceo@example.org> ; 250 SIZE | 250 2.1.0 | 550 5.1.1",
        "the challenge address in capitals  ; LHLO mx | MAIL FROM:<> | RCPT TO:<ACME-Challenge@CA.example.org> ; 250 SIZE | 250 2.1.0 | 250 2.1.5",
        "a second recipient                 ; LHLO mx | MAIL FROM:<> | " + TO + " | " + TO + " ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 452 4.5.3",
        "DATA with no recipient             ; LHLO mx | MAIL FROM:<> | DATA              ; 250 SIZE | 250 2.1.0 | 503 5.5.1 no valid recipients",
        "DATA with parameters               ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA now ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 501 5.5.4",
        "a message that is not a reply gets one answer, for its one recipient ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA | Subject: hello | | hi | . | NOOP"
                + " ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 354 | 550 5.7.1 | 250 2.0.0",
        "stuffed dots do not end the message ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA | Subject: hello | | .. | ..QUIT | . | NOOP"
                + " ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 354 | 550 5.7.1 | 250 2.0.0",
        "DATA ends the transaction          ; LHLO mx | MAIL FROM:<> | " + TO + " | DATA | Subject: hello | . | " + TO + " | MAIL FROM:<> | " + TO
                + " ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 354 | 550 5.7.1 | 503 5.5.1 | 250 2.1.0 | 250 2.1.5",
        "RSET ends the transaction          ; LHLO mx | MAIL FROM:<> | " + TO + " | RSET | DATA ; 250 SIZE | 250 2.1.0 | 250 2.1.5 | 250 2.0.0 reset | 503 5.5.1",
        "STARTTLS is not offered            ; STARTTLS                                   ; 502 5.5.1",
        "unknown commands                   ; LHLO mx | TURN                             ; 250 SIZE | 500 5.5.2",
        "VRFY says nothing                  ; VRFY ceo                                   ; 252 2.5.2",
    })
    void answersEachCommandAsLmtpAsks(String name, String lines, String expected) throws Exception {
        List<String> answers = answers(session(Arrays.stream(lines.split("\\|")).map(String::strip).toList()));
        List<String> wanted = new java.util.ArrayList<>(List.of("220 "));
        Arrays.stream(expected.split("\\|")).map(String::strip).forEach(wanted::add);
        wanted.add("221 2.0.0");
        assertThat(answers).as(name + ": " + answers).hasSameSizeAs(wanted);
        for (int i = 0; i < wanted.size(); i++) {
            assertThat(answers.get(i)).as(name + ", answer " + i).startsWith(wanted.get(i));
        }
    }

    @Test
    void lhloListsTheExtensionsLmtpNeeds() throws Exception {
        assertThat(session(List.of("LHLO mx.example.org"))).contains("250-PIPELINING\r\n", "250-ENHANCEDSTATUSCODES\r\n", "250-8BITMIME\r\n",
                "250 SIZE 262144\r\n");
    }

    @Test
    void onlyCrLfDotCrLfEndsAMessageNotABareLineFeed() throws Exception {
        long recordsBefore = org.letterlock.platform.audit.AuditPositions.newest(server.fixture.platform.auditLog());
        List<String> answers = answers(session(List.of("LHLO mx", "MAIL FROM:<>", TO, "DATA", "Subject: hello\n.", "QUIT", ".", "NOOP")));
        assertThat(answers).as(answers.toString()).hasSize(8);
        assertThat(answers.get(4)).startsWith("354");
        assertThat(answers.get(5)).as("one answer for the whole message").startsWith("550 5.7.1");
        assertThat(answers.get(6)).startsWith("250 2.0.0");
        assertThat(server.fixture.platform.auditLog().read(recordsBefore, 1_000_000)).as("refused in the name of the MTA that handed it over")
                .anyMatch(r -> r.event().action().equals("enroll.acme.reply") && r.event().actor().equals("acme-reply lmtp 127.0.0.1"));
    }

    @Test
    void aClientGoneInTheMiddleOfDataLeavesNothingBehind() throws Exception {
        long before = server.fixture.platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().action().equals("enroll.acme.reply")).count();
        try (Socket socket = new Socket("127.0.0.1", server.replies.lmtpPort())) {
            socket.getOutputStream().write(("LHLO mx\r\nMAIL FROM:<>\r\n" + TO + "\r\nDATA\r\nSubject: Re: ACME: x\r\n\r\nhalf a reply")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(new String(socket.getInputStream().readNBytes(3), StandardCharsets.US_ASCII)).isEqualTo("220");
        }
        assertThat(answers(session(List.of("NOOP")))).as("the receiver goes on").hasSize(3);
        long after = server.fixture.platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().action().equals("enroll.acme.reply")).count();
        assertThat(after).as("nothing judged").isEqualTo(before);
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
    void aCommandLineIsAtMost512OctetsWithItsCrLf() throws Exception {
        List<String> answers = answers(session(List.of("NOOP " + "x".repeat(505), "NOOP " + "x".repeat(506), "NOOP")));
        assertThat(answers).as(answers.toString()).hasSize(5);
        assertThat(answers.get(1)).as("512 octets").startsWith("250 2.0.0");
        assertThat(answers.get(2)).as("513 octets").startsWith("500 5.5.2 line too long");
        assertThat(answers.get(3)).as("and the session goes on").startsWith("250 2.0.0");
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
