package org.letterlock.mail.smtp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.letterlock.platform.config.GatewaySettings;

/**
 * One SMTP or LMTP connection to a hop (RFC 5321, RFC 2033), kept open across transactions. It tells each recipient's
 * fate from the hop's own replies: SMTP answers the data once for all accepted recipients, LMTP once per recipient.
 */
public final class SmtpClient implements AutoCloseable {
    /** Longest reply line and most reply lines read: a hop that sends more is broken or hostile. */
    private static final int MAX_REPLY_LINE = 4096;
    private static final int MAX_REPLY_LINES = 100;

    public enum Protocol {
        SMTP, LMTP
    }

    /**
     * How the connection is protected, for the delivery record.
     *
     * @param policy the TLS policy that applied, and what it had to give up, for the record
     */
    public record TlsOutcome(boolean encrypted, boolean verified, String protocol, String cipherSuite, String policy) {
        @Override
        public String toString() {
            return (encrypted ? protocol + " " + cipherSuite + (verified ? " verified" : " unverified") : "none") + (policy.isEmpty() ? "" : " (" + policy + ")");
        }
    }

    /** How much TLS a connection must have. */
    public enum TlsLevel {
        /** STARTTLS, with a certificate that chains to a trusted CA and names the host dialled (RFC 6125). */
        VERIFIED,
        /** STARTTLS, any certificate. */
        ENCRYPTED,
        /** STARTTLS when the hop offers it, any certificate; in clear otherwise (RFC 7435). */
        OPPORTUNISTIC,
        /** Never STARTTLS. */
        NONE
    }

    /**
     * What TLS a connection asks of the hop.
     *
     * @param context the client context: one that verifies for {@code VERIFIED}, one that takes any certificate otherwise
     * @param policy  which rule asks for it ({@code letterlock.gateway.next-hop.tls=verify}, {@code mta-sts enforce}), for replies and the record
     */
    public record TlsDemand(TlsLevel level, SSLContext context, String policy) {
        /** What a hop's configured mode asks; {@code setting} names the configuration key that set it. */
        public static TlsDemand of(GatewaySettings.NextHopTls mode, String setting, SSLContext verifying, SSLContext anyCertificate) {
            String policy = setting + "=" + mode.name().toLowerCase(Locale.ROOT);
            return switch (mode) {
                case VERIFY -> new TlsDemand(TlsLevel.VERIFIED, verifying, policy);
                case REQUIRED -> new TlsDemand(TlsLevel.ENCRYPTED, anyCertificate, policy);
                case NONE -> new TlsDemand(TlsLevel.NONE, anyCertificate, policy);
            };
        }
    }

    /**
     * A hop that cannot take mail as policy requires; {@code reply} is what the recipients are told.
     * {@code tls} says TLS was what failed (not offered, refused, or a certificate that did not verify).
     */
    public static final class HopRefused extends IOException {
        private final transient Reply reply;
        private final boolean tls;

        public HopRefused(Reply reply) {
            this(reply, false);
        }

        HopRefused(Reply reply, boolean tls) {
            super(reply.toString());
            this.reply = reply;
            this.tls = tls;
        }

        public Reply reply() {
            return reply;
        }

        public boolean tls() {
            return tls;
        }
    }

    /** A recipient and the hop's answer for it. */
    public record RecipientReply(String address, Reply reply) {
    }

    /** RFC 5321 4.5.3.2.6: the wait for the reply to the data's final dot is 10 minutes, whatever the other commands wait. */
    static final Duration FINAL_DOT_TIMEOUT = Duration.ofMinutes(10);
    /** How long the reply to QUIT is awaited before the connection is closed anyway. */
    public static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);

    private final Protocol protocol;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private Set<String> extensions = Set.of();
    private TlsOutcome tls = new TlsOutcome(false, false, "", "", "");
    private boolean usable = true;
    private int commandTimeoutMillis;
    private boolean dataSent;

    private SmtpClient(Protocol protocol) {
        this.protocol = protocol;
    }

    /**
     * Connects, greets and starts TLS as {@code tlsMode} requires: VERIFY checks the certificate with
     * {@code verifying} for the host dialled; REQUIRED takes any certificate; NONE never starts TLS.
     */
    public static SmtpClient connect(GatewaySettings.HostPort hop, Protocol protocol, GatewaySettings.NextHopTls tlsMode, SSLContext verifying, SSLContext anyCertificate,
                                     String heloName, Duration timeout) throws IOException {
        return connect(new InetSocketAddress(hop.host(), hop.port()), hop.host(), protocol,
                List.of(TlsDemand.of(tlsMode, "letterlock.gateway.next-hop.tls", verifying, anyCertificate)), heloName, timeout);
    }

    /**
     * Connects to {@code address}, greets and starts TLS as the first of {@code demands} asks, for the host name
     * {@code host} (what the certificate must name). When TLS is what fails, the connection is made again with the
     * next demand, and the outcome's policy says what was given up; the last demand's failure is thrown.
     */
    public static SmtpClient connect(InetSocketAddress address, String host, Protocol protocol, List<TlsDemand> demands, String heloName, Duration timeout)
            throws IOException {
        List<String> givenUp = new ArrayList<>();
        for (int i = 0; ; i++) {
            try {
                SmtpClient client = connect(address, host, protocol, demands.get(i), heloName, timeout);
                if (!givenUp.isEmpty()) {
                    client.tls = new TlsOutcome(client.tls.encrypted(), client.tls.verified(), client.tls.protocol(), client.tls.cipherSuite(),
                            client.tls.policy() + " after " + String.join("; ", givenUp));
                }
                return client;
            } catch (HopRefused refused) {
                if (!refused.tls() || i == demands.size() - 1) {
                    throw refused;
                }
                givenUp.add(demands.get(i).policy() + " failed: " + refused.reply().text());
            }
        }
    }

    private static SmtpClient connect(InetSocketAddress address, String host, Protocol protocol, TlsDemand demand, String heloName, Duration timeout) throws IOException {
        SmtpClient client = new SmtpClient(protocol);
        String hop = new GatewaySettings.HostPort(host, address.getPort()).toString();
        boolean done = false;
        try {
            client.socket = new Socket();
            client.socket.connect(address, (int) timeout.toMillis());
            client.commandTimeoutMillis = (int) timeout.toMillis();
            client.socket.setSoTimeout(client.commandTimeoutMillis);
            client.socket.setTcpNoDelay(true);
            client.streams();
            Reply greeting = client.read();
            if (greeting.code() != 220) {
                throw new HopRefused(new Reply(greeting.code() >= 500 ? 554 : 421, "4.4.2 " + hop + " greeted with " + greeting));
            }
            client.hello(heloName);
            boolean offered = client.extensions.contains("STARTTLS");
            if (!offered && demand.level() != TlsLevel.NONE && demand.level() != TlsLevel.OPPORTUNISTIC) {
                throw new HopRefused(Reply.local(421, "4.7.4 " + hop + " does not offer STARTTLS, which " + demand.policy() + " requires"), true);
            }
            if (offered && demand.level() != TlsLevel.NONE) {
                Reply ready = client.command("STARTTLS");
                if (ready.code() != 220) {
                    throw new HopRefused(Reply.local(421, "4.7.4 " + hop + " refused STARTTLS: " + ready), true);
                }
                client.startTls(host, address.getPort(), demand.context(), demand.level() == TlsLevel.VERIFIED);
                client.hello(heloName);
            }
            client.tls = new TlsOutcome(client.tls.encrypted(), client.tls.verified(), client.tls.protocol(), client.tls.cipherSuite(), demand.policy());
            done = true;
            return client;
        } catch (javax.net.ssl.SSLException e) {
            throw new HopRefused(Reply.local(421, "4.7.5 TLS with " + hop + " failed: " + e.getMessage()), true);
        } finally {
            if (!done) {
                client.abandon();
            }
        }
    }

    private void streams() throws IOException {
        in = new BufferedInputStream(socket.getInputStream(), 8192);
        out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    private void hello(String heloName) throws IOException {
        Reply reply = command((protocol == Protocol.LMTP ? "LHLO " : "EHLO ") + heloName);
        if (reply.code() != 250) {
            throw new HopRefused(new Reply(421, "4.4.2 the hop refused " + (protocol == Protocol.LMTP ? "LHLO" : "EHLO") + ": " + reply));
        }
        Set<String> offered = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        String[] lines = reply.text().split("\n");
        for (int i = 1; i < lines.length; i++) {
            offered.add(lines[i].trim().split(" ")[0]);
        }
        extensions = offered;
    }

    private void startTls(String host, int port, SSLContext context, boolean verify) throws IOException {
        SSLSocket secured = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
        SSLParameters parameters = secured.getSSLParameters();
        if (verify) {
            // Checks the certificate names the host dialled, as a browser would (RFC 6125).
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        secured.setSSLParameters(parameters);
        secured.setUseClientMode(true);
        secured.startHandshake();
        socket = secured;
        streams();
        tls = new TlsOutcome(true, verify, secured.getSession().getProtocol(), secured.getSession().getCipherSuite(), "");
    }

    /** Whether the hop named {@code extension} (as {@code REQUIRETLS}) in its last EHLO or LHLO reply. */
    public boolean offers(String extension) {
        return extensions.contains(extension);
    }

    public TlsOutcome tls() {
        return tls;
    }

    /** Whether the connection may carry another transaction. */
    public boolean usable() {
        return usable && !socket.isClosed();
    }

    /**
     * Runs one transaction: MAIL, RCPT for each recipient, and the data from {@code body} if any recipient was
     * accepted. Returns one reply per recipient. An I/O failure mid-way throws: the hop acknowledged nothing, so
     * nothing was delivered. A copy with 8-bit content for a hop that does not offer 8BITMIME is not sent: each
     * recipient gets 554 5.6.3.
     */
    public List<RecipientReply> send(String sender, List<String> recipients, MessageBody body) throws IOException {
        return send(sender, false, recipients, body);
    }

    /**
     * As {@link #send(String, List, MessageBody)}, for a message whose sender asked for REQUIRETLS (RFC 8689): it goes
     * only over TLS with a verified certificate, and to an SMTP hop only if the hop offers REQUIRETLS too (the flag is
     * passed on); otherwise each recipient gets 550 5.7.30, as the RFC asks, rather than a weaker hop.
     */
    public List<RecipientReply> send(String sender, boolean requireTls, List<String> recipients, MessageBody body) throws IOException {
        if (requireTls && (!tls.verified() || protocol == Protocol.SMTP && !extensions.contains("REQUIRETLS"))) {
            Reply refused = Reply.local(550, "5.7.30 REQUIRETLS: " + (!tls.verified() ? "the connection to the hop is not TLS with a verified certificate"
                    : "the hop does not offer REQUIRETLS"));
            return recipients.stream().map(r -> new RecipientReply(r, refused)).toList();
        }
        dataSent = false;
        try {
            boolean utf8Addresses = !ascii(sender) || recipients.stream().anyMatch(r -> !ascii(r));
            if (utf8Addresses && !extensions.contains("SMTPUTF8")) {
                // RFC 6531 3.2: an address beyond US-ASCII goes only to a server that offers SMTPUTF8; the gateway does not downgrade.
                Reply refused = Reply.local(553, "5.6.7 the hop does not offer SMTPUTF8 (RFC 6531) and the message has an address beyond US-ASCII");
                return recipients.stream().map(r -> new RecipientReply(r, refused)).toList();
            }
            Octets octets = Octets.of(body, !extensions.contains("8BITMIME"));
            if (!extensions.contains("8BITMIME") && octets.eightBit) {
                // RFC 6152 3: no 8-bit data to a server that does not offer 8BITMIME. The gateway does not convert to 7-bit.
                Reply refused = Reply.local(554, "5.6.3 the hop does not offer 8BITMIME and the message has 8-bit content, which the gateway does not convert");
                return recipients.stream().map(r -> new RecipientReply(r, refused)).toList();
            }
            // UTF-8 in the header section alone is sent to a hop without SMTPUTF8 as 8-bit data, as Postfix does: most take it.
            boolean smtpUtf8 = extensions.contains("SMTPUTF8") && (utf8Addresses || octets.eightBitHeader);
            Reply mail = command("MAIL FROM:<" + sender + ">" + (extensions.contains("8BITMIME") ? " BODY=8BITMIME" : "") + (smtpUtf8 ? " SMTPUTF8" : "")
                    + (requireTls && protocol == Protocol.SMTP ? " REQUIRETLS" : ""));
            if (!mail.positive()) {
                reset();
                return recipients.stream().map(r -> new RecipientReply(r, mail)).toList();
            }
            List<RecipientReply> replies = new ArrayList<>();
            List<String> accepted = new ArrayList<>();
            for (String recipient : recipients) {
                Reply rcpt = command("RCPT TO:<" + recipient + ">");
                if (rcpt.positive()) {
                    accepted.add(recipient);
                } else {
                    replies.add(new RecipientReply(recipient, rcpt));
                }
            }
            if (accepted.isEmpty()) {
                reset();
                return replies;
            }
            Reply data = command("DATA");
            if (data.code() != 354) {
                reset();
                accepted.forEach(r -> replies.add(new RecipientReply(r, data)));
                return replies;
            }
            DotStuffing stuffed = new DotStuffing(out);
            body.writeTo(stuffed);
            stuffed.finish();
            dataSent = true;
            // A hop may still be storing or scanning the message; giving up sooner than it may take risks sending it twice.
            socket.setSoTimeout((int) Math.max(commandTimeoutMillis, FINAL_DOT_TIMEOUT.toMillis()));
            if (protocol == Protocol.LMTP) {
                for (int i = 0; i < accepted.size(); i++) {
                    Reply reply;
                    try {
                        reply = read();
                    } catch (IOException e) {
                        // The answers read are final (those copies are stored); only the unanswered recipients may be tried again.
                        usable = false;
                        Reply unknown = Reply.local(451, "4.4.2 the mailbox store closed the connection before it answered for this recipient: " + e.getMessage());
                        accepted.subList(i, accepted.size()).forEach(r -> replies.add(new RecipientReply(r, unknown)));
                        break;
                    }
                    replies.add(new RecipientReply(accepted.get(i), reply));
                }
            } else {
                Reply done = read();
                accepted.forEach(r -> replies.add(new RecipientReply(r, done)));
            }
            if (usable) {
                socket.setSoTimeout(commandTimeoutMillis);
            }
            return replies;
        } catch (IOException | RuntimeException e) {
            usable = false;
            throw e;
        }
    }

    /**
     * Whether the last {@link #send} got as far as the data's final dot: a failure after it may have left the message
     * with the hop, so it must not be sent again at once as if nothing had been taken.
     */
    public boolean dataSent() {
        return dataSent;
    }

    private static boolean ascii(String address) {
        return address.chars().allMatch(c -> c < 0x80);
    }

    /**
     * What a copy holds beyond US-ASCII: any byte, and any in the header section. Found by writing the copy once to a
     * stream that only looks, stopped as soon as the answer is known.
     */
    private static final class Octets extends OutputStream {
        private final boolean wholeCopy;
        private boolean eightBit;
        private boolean eightBitHeader;
        private boolean inHeader = true;
        private int column;

        private Octets(boolean wholeCopy) {
            this.wholeCopy = wholeCopy;
        }

        /** The copy looked at up to the end of its header section, or through its end when {@code wholeCopy}. */
        static Octets of(MessageBody body, boolean wholeCopy) throws IOException {
            Octets octets = new Octets(wholeCopy);
            try {
                body.writeTo(octets);
            } catch (Known known) {
                // the rest cannot change the answer
            }
            return octets;
        }

        @Override
        public void write(int b) throws Known {
            if ((b & 0x80) != 0) {
                eightBit = true;
                eightBitHeader |= inHeader;
            }
            if (inHeader) {
                if (b == '\n') {
                    inHeader = column != 0;
                    column = 0;
                } else if (b != '\r') {
                    column++;
                }
            }
            if (!inHeader && (!wholeCopy || eightBit)) {
                throw new Known();
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws Known {
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
        }
    }

    /** Stops the look at a copy once its answer is known. */
    private static final class Known extends IOException {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Writes one copy of the message. */
    @FunctionalInterface
    public interface MessageBody {
        void writeTo(OutputStream out) throws IOException;
    }

    private void reset() throws IOException {
        if (!command("RSET").positive()) {
            usable = false;
        }
    }

    private Reply command(String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
        out.flush();
        return read();
    }

    private Reply read() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int lines = 0; lines < MAX_REPLY_LINES; lines++) {
            String line = readLine();
            if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit) || line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-') {
                usable = false;
                throw new IOException("the hop sent a malformed reply: " + printable(line));
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString());
            }
        }
        usable = false;
        throw new IOException("the hop sent a reply of more than " + MAX_REPLY_LINES + " lines");
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\n') {
                int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
                return line.substring(0, end);
            }
            if (line.length() >= MAX_REPLY_LINE) {
                throw new IOException("the hop sent a reply line longer than " + MAX_REPLY_LINE + " characters");
            }
            line.append((char) c);
        }
        throw new IOException("the hop closed the connection");
    }

    private static String printable(String line) {
        String cleaned = line.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 200 ? cleaned.substring(0, 200) + "..." : cleaned;
    }

    /** Says QUIT and closes. */
    @Override
    /**
     * Says QUIT and closes. The reply is awaited for {@link #QUIT_TIMEOUT} at most: nothing depends on it, and a hop
     * that does not answer must not hold whoever closes for a whole command timeout.
     */
    public void close() {
        if (usable && socket != null && !socket.isClosed()) {
            try {
                socket.setSoTimeout((int) Math.min(commandTimeoutMillis, QUIT_TIMEOUT.toMillis()));
                command("QUIT");
            } catch (IOException e) {
                // The hop is going away either way.
            }
        }
        abandon();
    }

    private void abandon() {
        usable = false;
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Nothing left to do with a socket that cannot close.
            }
        }
    }
}
