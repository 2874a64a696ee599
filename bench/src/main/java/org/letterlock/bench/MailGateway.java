package org.letterlock.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSTypedStream;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.KeyAgreeRecipientInformation;

/**
 * Letterlock's SMTP gateway as the mail benchmarks run it: the server started by {@link LetterlockServer} with the
 * gateway listening on a port of the benchmark's own and relaying to the benchmark's sink in clear (the sinks have no
 * STARTTLS), the recipient made a verified mailbox with an EC P-256 {@code mailbox-encryption} certificate from
 * Letterlock's CA (so the default policy encrypts to it), and the check of what arrives: an S/MIME enveloped message
 * that the recipient's key opens, holding the body that was sent.
 */
final class MailGateway {
    static final String ENCRYPTION_PROFILE = "mailbox-encryption";
    static final Duration GREETING_LIMIT = Duration.ofSeconds(60);
    private static final Pattern TOKEN = Pattern.compile("token=([A-Za-z0-9_-]+)");

    private MailGateway() {
    }

    /**
     * The server's gateway settings (MicroProfile Config keys {@code letterlock.gateway.*} as LETTERLOCK_GATEWAY_*
     * variables): the listener on 127.0.0.1:{@code smtpPort}, the next hop 127.0.0.1:{@code nextHopPort} without TLS;
     * the keyserver's listeners off, so that nothing else needs a fixed port. Mutable, for more settings.
     */
    static Map<String, String> config(int smtpPort, int nextHopPort) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("LETTERLOCK_GATEWAY_SMTP_ADDRESS", "127.0.0.1");
        config.put("LETTERLOCK_GATEWAY_SMTP_PORT", Integer.toString(smtpPort));
        config.put("LETTERLOCK_GATEWAY_NEXT_HOP", "127.0.0.1:" + nextHopPort);
        config.put("LETTERLOCK_GATEWAY_NEXT_HOP_TLS", "none");
        config.put("LETTERLOCK_KEYSERVER_HKP_PORT", "0");
        config.put("LETTERLOCK_KEYSERVER_LDAP_PORT", "0");
        config.put("LETTERLOCK_KEYSERVER_LDAPS_PORT", "0");
        return config;
    }

    /** The settings as they would be typed in a shell, for the notes. */
    static String configText(Map<String, String> config) {
        List<String> parts = new ArrayList<>();
        config.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(" ", parts);
    }

    /** Starts the server with the gateway on {@code dir} and waits for the gateway's 220. */
    static LetterlockServer start(Options options, Path dir, Map<String, String> config, Processes processes) throws IOException, InterruptedException {
        LetterlockServer server = LetterlockServer.start(options.root(), dir, config, processes);
        awaitListener(server, Integer.parseInt(config.get("LETTERLOCK_GATEWAY_SMTP_PORT")));
        return server;
    }

    /** Waits for the gateway's greeting; fails saying what to look at when none comes. */
    static void awaitListener(LetterlockServer server, int port) throws InterruptedException {
        try {
            Smtp.awaitGreeting(port, GREETING_LIMIT);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the server is up but its SMTP gateway does not answer: " + e.getMessage()
                    + ". Does this build have the gateway (letterlock.gateway.smtp.port)? See " + server.dataDir().resolve("logs/console.log"));
        }
    }

    /** The recipient as the gateway must find it: address, its key (kept by the benchmark to open what arrives) and certificate. */
    record Recipient(String address, KeyPair key, X509CertificateHolder certificate, String serialHex) {
    }

    /**
     * Makes {@code address} a verified mailbox and issues it an EC P-256 {@code mailbox-encryption} certificate, all
     * through the API: an RA officer registers it ({@code POST /api/identities}), the token from the verification mail
     * (the file transport's {@code <data>/outbox}) confirms it ({@code POST /api/identities/verify}), and the officer
     * issues the certificate from the benchmark's CSR ({@code POST /api/ca/certificates}).
     */
    static Recipient enrol(LetterlockServer server, String address) throws IOException, InterruptedException {
        CaApi ca = CaApi.asNewOfficer(server, "bench-mail-ra");
        String registration = "{\"address\":" + Json.quote(address) + ",\"owner\":" + Json.quote("bench-" + address.replace('@', '-')) + "}";
        HttpResponse<String> registered = server.call("POST", "/api/identities", ca.officer(), "application/json", registration);
        LetterlockServer.expect(registered, "POST", "/api/identities", registration, 202);
        String token = verificationToken(server.dataDir().resolve("outbox"), address);
        String verification = "{\"token\":" + Json.quote(token) + "}";
        HttpResponse<String> verified = server.call("POST", "/api/identities/verify", null, "application/json", verification);
        LetterlockServer.expect(verified, "POST", "/api/identities/verify", "{\"token\":\"...\"}", 200);
        KeyPair key = Ocsp.ecP256();
        CaApi.Issued issued = ca.issue(ENCRYPTION_PROFILE, address, Ocsp.csr(key, address));
        return new Recipient(address, key, issued.certificate(), issued.serialHex());
    }

    /** The token of the newest verification mail to {@code address} in an outbox of .eml files. */
    static String verificationToken(Path outbox, String address) throws IOException {
        String token = null;
        if (Files.isDirectory(outbox)) {
            try (Stream<Path> files = Files.list(outbox)) {
                for (Path mail : files.filter(p -> p.toString().endsWith(".eml")).sorted().toList()) {
                    String text = Files.readString(mail, StandardCharsets.UTF_8);
                    Matcher m = TOKEN.matcher(text);
                    if (text.contains("To: " + address) && m.find()) {
                        token = m.group(1);
                    }
                }
            }
        }
        if (token == null) {
            throw new IllegalStateException("no verification mail with a token to " + address + " in " + outbox);
        }
        return token;
    }

    /**
     * What the check of one arrived message found.
     *
     * @param encrypted  its outer Content-Type is S/MIME enveloped data
     * @param decrypted  the recipient's key opened it
     * @param bodyFound  the body that was sent is in the decrypted content, byte for byte
     * @param innerType  the Content-Type of the decrypted entity (of the message itself when it is not encrypted)
     * @param smimeType  the outer Content-Type's smime-type ({@code enveloped-data} when it names none; empty when not encrypted)
     * @param outerBytes the message's size as it arrived
     * @param problem    what went wrong, empty when nothing did
     */
    record Check(boolean encrypted, boolean decrypted, boolean bodyFound, String innerType, String smimeType, long outerBytes, String problem) {
        boolean ok() {
            return encrypted && decrypted && bodyFound;
        }

        String text() {
            if (!encrypted) {
                return "NOT ENCRYPTED (Content-Type " + innerType + ")";
            }
            if (!decrypted) {
                return "encrypted, but the recipient's key does not open it: " + problem;
            }
            return "S/MIME " + smimeType + ", opened with the recipient's key, inner " + innerType + (bodyFound ? ", body intact" : ", BODY NOT FOUND");
        }
    }

    /** Checks a message kept whole by the sink. */
    static Check check(Path message, PrivateKey key, byte[] expectedBody) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message), 64 * 1024)) {
            return check(in, key, expectedBody, Files.size(message));
        }
    }

    static Check check(InputStream in, PrivateKey key, byte[] expectedBody, long size) throws IOException {
        Map<String, String> outer = Smtp.headerFields(readHeader(in));
        String contentType = outer.getOrDefault("content-type", "text/plain (none given)");
        if (!SmtpSink.Arrival.encrypted(contentType)) {
            byte[] rest = in.readAllBytes();
            return new Check(false, false, indexOf(rest, expectedBody) >= 0, contentType, "", size, "");
        }
        String encoding = outer.getOrDefault("content-transfer-encoding", "7bit").toLowerCase(Locale.ROOT);
        InputStream der = encoding.equals("base64") ? Base64.getMimeDecoder().wrap(in) : in;
        byte[] content;
        String smimeType = smimeType(contentType);
        try {
            // RFC 8551: AuthEnvelopedData (AES-GCM) says smime-type=authEnveloped-data; EnvelopedData says enveloped-data or nothing.
            // Bouncy Castle 1.87's streaming CMSAuthEnvelopedDataParser hands back the content still encrypted, so AuthEnvelopedData
            // is read whole (the DER of a 25 MB message is 25 MB of the bench's heap); EnvelopedData is streamed.
            RecipientInformationStore recipients = smimeType.equalsIgnoreCase("authEnveloped-data") ? new CMSAuthEnvelopedData(der.readAllBytes()).getRecipientInfos()
                    : new CMSEnvelopedDataParser(der).getRecipientInfos();
            content = null;
            String failures = "";
            for (RecipientInformation recipient : recipients.getRecipients()) {
                try {
                    CMSTypedStream opened = recipient.getContentStream(recipient instanceof KeyAgreeRecipientInformation
                            ? new JceKeyAgreeEnvelopedRecipient(key).setProvider(Ocsp.PROVIDER)
                            : new JceKeyTransEnvelopedRecipient(key).setProvider(Ocsp.PROVIDER));
                    content = opened.getContentStream().readAllBytes();
                    break;
                } catch (CMSException | RuntimeException e) {
                    failures += (failures.isEmpty() ? "" : "; ") + recipient.getKeyEncryptionAlgOID() + ": " + e.getMessage();
                }
            }
            if (content == null) {
                return new Check(true, false, false, "?", smimeType, size, failures.isEmpty() ? "no recipient info" : failures);
            }
        } catch (CMSException | RuntimeException e) {
            return new Check(true, false, false, "?", smimeType, size, "not CMS " + smimeType + ": " + e.getMessage());
        }
        java.io.ByteArrayInputStream inner = new java.io.ByteArrayInputStream(content);
        String innerType = Smtp.headerFields(readHeader(inner)).getOrDefault("content-type", "text/plain (none given)");
        return new Check(true, true, indexOf(content, expectedBody) >= 0, innerType, smimeType, size, "");
    }

    /** The smime-type parameter of a Content-Type, {@code enveloped-data} when there is none. */
    static String smimeType(String contentType) {
        Matcher m = SMIME_TYPE.matcher(contentType);
        return m.find() ? m.group(1) : "enveloped-data";
    }

    private static final Pattern SMIME_TYPE = Pattern.compile("(?i)smime-type\\s*=\\s*\"?([A-Za-z-]+)");

    /** The header lines of a message, read up to and including the empty line (CRLF or LF line ends). */
    static List<String> readHeader(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                if (length == 0) {
                    return lines;
                }
                lines.add(new String(bytes, 0, length, StandardCharsets.ISO_8859_1));
                line.reset();
            } else {
                line.write(b);
            }
        }
        return lines;
    }

    /** Where {@code needle} starts in {@code haystack}, or -1. */
    static int indexOf(byte[] haystack, byte[] needle) {
        if (needle.length == 0) {
            return 0;
        }
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            if (haystack[i] != needle[0]) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
