package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.mail.delivery.HopTrust;

/**
 * REQUIRETLS (RFC 8689): offered only under TLS and refused in clear; a message that asks for it never takes a
 * weaker hop: Postfix 3.7, the next hop here, does not offer REQUIRETLS, so the sender gets it back with 5.7.30.
 */
class GatewayRequireTlsTest {
    @TempDir
    Path work;

    private GatewayFixture gateway;
    private PostfixHop hop;

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayFixture.beforePostfix(work);
        hop = gateway.hop;
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    /** One SMTP session, line by line: a client that can say what swaks cannot (MAIL FROM with REQUIRETLS). */
    private static final class Session implements AutoCloseable {
        private Socket socket;
        private BufferedReader in;
        private OutputStream out;

        Session(int port) throws Exception {
            socket = new Socket("127.0.0.1", port);
            streams();
            reply();
        }

        private void streams() throws Exception {
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        List<String> say(String line) throws Exception {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        private List<String> reply() throws Exception {
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = in.readLine();
                lines.add(line);
            } while (line != null && line.length() > 3 && line.charAt(3) == '-');
            return lines;
        }

        void startTls() throws Exception {
            assertThat(say("STARTTLS").get(0)).startsWith("220");
            SSLSocket secured = (SSLSocket) HopTrust.anyCertificate().getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
            secured.startHandshake();
            socket = secured;
            streams();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @Test
    void requireTlsIsOfferedOnlyUnderTlsAndAMessageAskingForItNeverTakesAHopWithoutIt() throws Exception {
        try (Session session = new Session(gateway.receiver.port())) {
            List<String> clear = session.say("EHLO client.example.org");
            assertThat(clear).anySatisfy(l -> assertThat(l).contains("STARTTLS")).noneSatisfy(l -> assertThat(l).contains("REQUIRETLS"));
            assertThat(session.say("MAIL FROM:<alice@example.org> REQUIRETLS").get(0)).startsWith("530 5.7.10");

            session.startTls();
            List<String> secured = session.say("EHLO client.example.org");
            assertThat(secured).anySatisfy(l -> assertThat(l).contains("REQUIRETLS")).noneSatisfy(l -> assertThat(l).contains("STARTTLS"));
            assertThat(session.say("MAIL FROM:<alice@example.org> REQUIRETLS").get(0)).startsWith("250");
            assertThat(session.say("RCPT TO:<bob@example.org>").get(0)).startsWith("250");
            assertThat(session.say("DATA").get(0)).startsWith("354");
            assertThat(session.say("Subject: only over verified TLS\r\n\r\nsecret\r\n.").get(0)).startsWith("250 2.0.0 Ok: queued as");
            session.say("QUIT");
        }

        String bounce = Files.readString(hop.awaitDelivered(1, Duration.ofSeconds(30)).get(0));
        assertThat(bounce).contains("Delivered-To: alice@example.org", "Final-Recipient: rfc822; bob@example.org", "Status: 5.7.30",
                "REQUIRETLS: the hop does not offer REQUIRETLS");
        assertThat(bounce).doesNotContain("Delivered-To: bob@example.org");
    }
}
