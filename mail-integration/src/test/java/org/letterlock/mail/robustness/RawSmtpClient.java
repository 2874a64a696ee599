package org.letterlock.mail.robustness;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.letterlock.mail.smtp.Reply;

/**
 * A client that sends exactly the bytes a test gives it, in order and at once if asked, and reads the replies one by
 * one: for the conversations no well-behaved client has.
 */
final class RawSmtpClient implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    final Reply greeting;

    RawSmtpClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        // Not a measurement: a server that never answers fails the test instead of hanging it.
        socket.setSoTimeout(30_000);
        streams();
        greeting = reply();
    }

    private void streams() throws IOException {
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Sends one command line (CRLF added) and reads its reply. */
    Reply command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next reply, its lines joined by LF; EOFException when the server has closed the connection. */
    Reply reply() throws IOException {
        StringBuilder text = new StringBuilder();
        while (true) {
            String line = line();
            if (line == null) {
                throw new EOFException("the server closed the connection" + (text.isEmpty() ? "" : " in the middle of a reply: " + text));
            }
            text.append(text.isEmpty() ? "" : "\n").append(line.length() > 4 ? line.substring(4) : "");
            if (line.length() < 4 || line.charAt(3) == ' ') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString());
            }
        }
    }

    /** Whether the server has closed the connection (its next read is the end of the stream, or a reset). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** STARTTLS's handshake, trusting whatever certificate the server shows. */
    void startTls(SSLContext context) throws IOException {
        SSLSocket secured = (SSLSocket) context.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
        secured.setUseClientMode(true);
        secured.startHandshake();
        socket = secured;
        streams();
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
