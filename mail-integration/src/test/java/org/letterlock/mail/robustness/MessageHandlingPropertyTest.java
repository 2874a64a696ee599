package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.message.ProtectedMessage;
import org.letterlock.mail.smime.ContentCipher;
import org.letterlock.mail.smime.SmimeEncryption;
import org.letterlock.mail.smtp.Reply;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.mail.smtp.StreamStages;
import org.letterlock.platform.config.GatewaySettings;

/**
 * Random and damaged messages ({@link RandomMessages}, one per seed) through every stage of the gateway that reads a
 * message's bytes: the header section as delivery reads it, the protected and S/MIME-encrypted copy (decrypted here
 * with Bouncy Castle, a few also with openssl cms), the receiver's size, header and loop check, the client's
 * dot-stuffing, and the two together: the gateway's SMTP client sending to its listener. Each stage must give its
 * documented answer and never throw what its caller does not expect.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageHandlingPropertyTest {
    private static final int CASES = 400;
    /** The limits delivery reads a spooled message's header section with: once to decide, once to write the protected copy. */
    private static final int DECIDING_LIMIT = 2 * 1024 * 1024;
    private static final int WRITING_LIMIT = Integer.MAX_VALUE;
    private static final int MAX_HEADER_BYTES = 1024 * 1024;
    private static final int MAX_HOPS = 50;
    /** Small enough that some of the messages are too big for the listener. */
    private static final long LISTENER_LIMIT = 150_000;
    private static final byte[] SMALL = "Subject: next\r\n\r\nA small one.\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> TRACE = Set.of("received", "return-path", "arc-seal", "arc-message-signature", "arc-authentication-results",
            "authentication-results", "dkim-signature");

    @TempDir
    Path dir;

    private SelfSigned recipient;
    private LoopbackGateway listener;

    @BeforeAll
    void recipientCertificateAndListener(@TempDir Path spool) throws Exception {
        recipient = SelfSigned.make("CN=robust@example.org");
        listener = LoopbackGateway.receiving(spool, LISTENER_LIMIT);
    }

    @AfterAll
    void stopListener() {
        listener.close();
    }

    static LongStream seeds() {
        return LongStream.range(0, CASES);
    }

    /** Fewer for the listener, which costs two connections each. */
    static LongStream seedsForTheListener() {
        return LongStream.range(0, CASES / 4);
    }

    /** A handful for openssl, which costs a process each. */
    static LongStream someSeeds() {
        return LongStream.of(3, 17, 42, 101, 256, 399);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theHeaderSectionSplitsAMessageWithoutLosingOrChangingAByte(long seed) throws IOException {
        byte[] message = new RandomMessages(seed).next();

        for (int limit : new int[] {DECIDING_LIMIT, WRITING_LIMIT}) {
            Split split = split(message, limit);
            ByteArrayOutputStream fields = new ByteArrayOutputStream();
            split.headers().fields().forEach(field -> fields.writeBytes(field.raw()));
            byte[] head = fields.toByteArray();
            byte[] between = Arrays.copyOfRange(message, head.length, message.length - split.body().length);

            assertThat(Arrays.copyOf(message, head.length)).as("the fields are the message's first bytes, as they were").isEqualTo(head);
            assertThat(new String(between, StandardCharsets.ISO_8859_1)).as("between the fields and the body: nothing, or the blank line").isIn("", "\n", "\r\n");
            assertThat(split.headers().fields()).allSatisfy(field -> assertThat(field.name()).isNotEmpty().doesNotContain(":"));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theProtectedCopyDecryptsToEveryOriginalFieldAndTheExactBody(long seed) throws Exception {
        byte[] message = new RandomMessages(seed).next();
        ContentCipher cipher = seed % 2 == 0 ? ContentCipher.AES256_GCM : ContentCipher.AES256_CBC;

        byte[] sent = protect(message, cipher);
        Split original = split(message, WRITING_LIMIT);
        Split payload = split(decrypt(sent), WRITING_LIMIT);

        assertThat(payload.body()).as("the body, byte for byte").isEqualTo(original.body());
        List<HeaderSection.Field> inside = payload.headers().fields();
        assertThat(inside.get(0).name()).isEqualTo("Content-Type");
        String contentType = original.headers().value("Content-Type").orElse("text/plain; charset=us-ascii");
        if (quotesClosed(contentType)) {
            assertThat(parameters(inside.get(0).value())).as("the Content-Type's parameters, hp=\"cipher\" in place of any hp")
                    .isEqualTo(withCipherHp(parameters(contentType)));
        } else {
            assertThat(inside.get(0).value()).as("a quoted string the sender left open swallows what follows").endsWith("; hp=\"cipher\"");
        }
        List<String> kept = original.headers().fields().stream()
                .filter(f -> !TRACE.contains(lower(f.name())) && !f.is("Content-Type") && !f.is("MIME-Version"))
                .map(f -> latin1(lineEnded(f.raw()))).toList();
        assertThat(inside.subList(1, 1 + kept.size())).extracting(f -> latin1(f.raw())).as("every original field but the trace and MIME ones, as it was")
                .containsExactlyElementsOf(kept);
        assertThat(inside.subList(1 + kept.size(), inside.size())).extracting(HeaderSection.Field::name).containsOnly("HP-Outer");
        HeaderSection outside = split(sent, WRITING_LIMIT).headers();
        assertThat(outside.value("Subject")).contains(ProtectedMessage.OBSCURED_SUBJECT);
        assertThat(outside.mediaType()).isEqualTo("application/pkcs7-mime");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("someSeeds")
    void opensslOpensTheProtectedCopyToWhatBouncyCastleReads(long seed) throws Exception {
        RandomMessages messages = new RandomMessages(seed);
        byte[] sent = protect(messages.next(), ContentCipher.AES256_GCM);
        Path file = Files.write(dir.resolve(seed + ".eml"), sent);
        Path cert = Files.writeString(dir.resolve("recipient.pem"), Certificates.pem(new X509CertificateHolder(recipient.certificate().getEncoded())));
        Path key = Files.writeString(dir.resolve("recipient.key"), Certificates.pem("PRIVATE KEY", recipient.keys().getPrivate().getEncoded()));
        Path opened = dir.resolve(seed + ".out");

        Tools.Run run = new Tools(dir).openssl("cms", "-decrypt", "-in", file.toString(), "-recip", cert.toString(), "-inkey", key.toString(), "-out", opened.toString());

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(Files.readAllBytes(opened)).isEqualTo(decrypt(sent));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theMessageCheckRefusesExactlyWhatBreaksALimitHoweverTheBytesArrive(long seed) {
        RandomMessages messages = new RandomMessages(seed);
        byte[] message = messages.next();
        long maxBytes = seed % 3 == 0 ? message.length - 1 + seed % 5 : 50_000_000;

        List<Reply> applicable = new ArrayList<>();
        if (message.length > maxBytes) {
            applicable.add(new Reply(552, "5.3.4 Message too big for the gateway (at most " + maxBytes + " bytes)"));
        }
        byte[] header = headerAsTheCheckSeesIt(message);
        if (hops(header) > MAX_HOPS) {
            applicable.add(new Reply(554, "5.4.6 Routing loop: the message has passed " + MAX_HOPS + " hops"));
        }
        if (header.length > MAX_HEADER_BYTES) {
            applicable.add(new Reply(552, "5.3.4 Header section too big (at most " + MAX_HEADER_BYTES + " bytes)"));
        }
        Optional<Reply> whole = StreamStages.check(maxBytes, List.of(message));
        Optional<Reply> inPieces = StreamStages.check(maxBytes, messages.chunks(message));

        for (Optional<Reply> answer : List.of(whole, inPieces)) {
            if (applicable.isEmpty()) {
                assertThat(answer).as("nothing to refuse").isEmpty();
            } else {
                assertThat(answer).as("one of the limits broken: " + applicable).hasValueSatisfying(reply -> assertThat(applicable).contains(reply));
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void dotStuffedDataEndsOnceAndUnstuffsToTheMessageWithCrlfLineEnds(long seed) throws IOException {
        RandomMessages messages = new RandomMessages(seed);
        byte[] message = messages.next();

        byte[] stuffed = StreamStages.dotStuffed(messages.chunks(message));

        String data = latin1(stuffed);
        assertThat(data).endsWith(".\r\n");
        assertThat(data.replace("\r\n", "")).as("no bare CR or LF").doesNotContain("\r", "\n");
        assertThat(("\r\n" + data).indexOf("\r\n.\r\n")).as("the end-of-data line comes last and only there").isEqualTo(data.length() - 3);
        String unstuffed = data.substring(0, data.length() - 3).replaceAll("(?md)^\\.", "");
        assertThat(unstuffed).isEqualTo(crlfLineEnds(latin1(message)));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seedsForTheListener")
    void theListenerKeepsWhatTheClientSentOrRefusesItAsTheCheckSaysAndStaysInStep(long seed) throws IOException {
        byte[] message = new RandomMessages(seed).next();
        byte[] data = crlfLineEnds(latin1(message)).getBytes(StandardCharsets.ISO_8859_1);
        Optional<Reply> refusal = StreamStages.check(LISTENER_LIMIT, List.of(data));
        int acceptedBefore = listener.accepted.size();

        try (SmtpClient client = SmtpClient.connect(new GatewaySettings.HostPort("127.0.0.1", listener.port()), SmtpClient.Protocol.SMTP,
                GatewaySettings.NextHopTls.NONE, null, null, "client.example.org", Duration.ofSeconds(30))) {
            Reply reply = client.send("alice@example.org", List.of("bob@example.org"), out -> out.write(message)).get(0).reply();

            if (refusal.isPresent()) {
                assertThat(reply).isEqualTo(refusal.get());
                assertThat(listener.accepted).hasSize(acceptedBefore);
            } else {
                assertThat(reply.code()).as(reply.toString()).isEqualTo(250);
                assertThat(listener.accepted).hasSize(acceptedBefore + 1);
                try (InputStream in = listener.spool.open(listener.accepted.get(acceptedBefore).id())) {
                    String kept = latin1(in.readAllBytes());
                    assertThat(kept.substring(kept.indexOf("\r\n", kept.indexOf(";\r\n\t") + 3) + 2)).as("the data, line ends made CRLF")
                            .isEqualTo(latin1(data));
                }
            }
            List<SmtpClient.RecipientReply> next = client.send("alice@example.org", List.of("carol@example.org"), out -> out.write(SMALL));
            assertThat(next.get(0).reply().code()).as("the next transaction on the same connection").isEqualTo(250);
        }
    }

    /** The message protected as delivery writes an S/MIME copy: header section read twice, the rest streamed as the body. */
    private byte[] protect(byte[] message, ContentCipher cipher) throws IOException {
        HeaderSection headers = split(message, DECIDING_LIMIT).headers();
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(message), 64 * 1024);
        HeaderSection.read(in, WRITING_LIMIT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProtectedMessage.write(headers, in, SmimeEncryption.toCertificates(List.of(recipient.certificate()), cipher), List.of("X-Letterlock-Policy: smime; test"),
                Optional.empty(), out);
        return out.toByteArray();
    }

    private byte[] decrypt(byte[] sent) throws Exception {
        String text = latin1(sent);
        String entityHeaderEnd = "filename=\"smime.p7m\"\r\n\r\n";
        byte[] der = Base64.getMimeDecoder().decode(text.substring(text.lastIndexOf(entityHeaderEnd) + entityHeaderEnd.length()));
        RecipientInformationStore recipients = ContentInfo.getInstance(ASN1Primitive.fromByteArray(der)).getContentType().equals(CMSObjectIdentifiers.authEnvelopedData)
                ? new CMSAuthEnvelopedData(der).getRecipientInfos()
                : new CMSEnvelopedData(der).getRecipientInfos();
        return recipients.get(new JceKeyAgreeRecipientId(recipient.certificate())).getContent(new JceKeyAgreeEnvelopedRecipient(recipient.keys().getPrivate()).setProvider(TestRequests.BC));
    }

    /** A message's header section and the bytes after it. */
    private record Split(HeaderSection headers, byte[] body) {
    }

    private static Split split(byte[] message, int limit) throws IOException {
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(message), 64 * 1024);
        HeaderSection headers = HeaderSection.read(in, limit);
        return new Split(headers, in.readAllBytes());
    }

    /** A Content-Type's parameters as written (whitespace around each trimmed), split at semicolons outside quoted strings. */
    static List<String> parameters(String contentType) {
        List<String> parameters = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < contentType.length(); i++) {
            char c = contentType.charAt(i);
            if (quoted && c == '\\' && i + 1 < contentType.length()) {
                current.append(c).append(contentType.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ';' && !quoted) {
                parameters.add(current.toString().trim());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parameters.add(current.toString().trim());
        return parameters;
    }

    /** Whether every quoted string in the value is closed: then a parameter appended to it stands on its own. */
    private static boolean quotesClosed(String contentType) {
        List<String> parameters = parameters(contentType + ";x");
        return parameters.get(parameters.size() - 1).equals("x");
    }

    private static List<String> withCipherHp(List<String> parameters) {
        List<String> protectedOnes = new ArrayList<>(parameters.stream().filter(p -> !lower(p).matches("(?s)hp\\s*=.*")).toList());
        protectedOnes.add("hp=\"cipher\"");
        return protectedOnes;
    }

    /** What the check counts as the header section: every byte up to the first empty line (LF or CRLF alone), that line included. */
    private static byte[] headerAsTheCheckSeesIt(byte[] message) {
        for (int i = 0; i < message.length; i++) {
            boolean lineStart = i == 0 || message[i - 1] == '\n';
            if (lineStart && message[i] == '\n') {
                return Arrays.copyOf(message, i + 1);
            }
            if (lineStart && message[i] == '\r' && i + 1 < message.length && message[i + 1] == '\n') {
                return Arrays.copyOf(message, i + 2);
            }
        }
        return message;
    }

    private static int hops(byte[] header) {
        int hops = 0;
        for (String line : latin1(header).split("\n")) {
            hops += lower(line).startsWith("received:") ? 1 : 0;
        }
        return hops;
    }

    private static byte[] lineEnded(byte[] raw) {
        return raw.length > 0 && raw[raw.length - 1] == '\n' ? raw : (latin1(raw) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String crlfLineEnds(String text) {
        String lines = text.replaceAll("\r\n|\r|\n", "\r\n");
        return lines.isEmpty() || lines.endsWith("\r\n") ? lines : lines + "\r\n";
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String lower(String text) {
        return text.toLowerCase(Locale.ROOT);
    }
}
