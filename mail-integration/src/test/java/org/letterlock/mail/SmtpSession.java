package org.letterlock.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.letterlock.mail.delivery.HopTrust;

/** One SMTP session, line by line: a client that can say what swaks cannot (MAIL FROM with REQUIRETLS). */
final class SmtpSession implements AutoCloseable {
    private Socket socket;
    private BufferedReader in;
    private OutputStream out;

    SmtpSession(int port) throws Exception {
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
