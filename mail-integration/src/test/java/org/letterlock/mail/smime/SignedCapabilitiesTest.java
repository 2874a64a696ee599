package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.smime.TestCertificates.Holder;
import org.letterlock.platform.error.LetterlockException;

/**
 * What a signed message announces counts only from a signature that verifies, by a certificate from a trusted CA naming
 * the one From address, with a signingTime; messages that are not signed, or signatures that announce nothing, give
 * nothing. Both S/MIME signed forms are read, the opaque one as OpenSSL makes it.
 */
class SignedCapabilitiesTest {
    private static final Instant SIGNED = Instant.now();

    private static TestCertificates certificates;
    private static Holder bob;

    @TempDir
    Path dir;

    @BeforeAll
    static void issue() throws Exception {
        certificates = new TestCertificates();
        KeyPair keys = TestRequests.rsa(2048);
        bob = certificates.mailbox(Profiles.MAILBOX_SIGNING, keys, "bob@example.org");
    }

    @AfterAll
    static void close() {
        certificates.close();
    }

    private static byte[] signedByBob(Optional<Instant> signingTime) throws Exception {
        return SignedMessages.detachedSignature(bob.certificate(), bob.key(), signingTime, NISTObjectIdentifiers.id_aes256_GCM, NISTObjectIdentifiers.id_aes256_CBC);
    }

    static Stream<Arguments> refused() throws Exception {
        byte[] good = signedByBob(Optional.of(SIGNED));
        return Stream.of(
                Arguments.of("refused/no-signing-time", SignedMessages.multipartSigned("bob@example.org", signedByBob(Optional.empty())),
                        "the signature has no signingTime"),
                Arguments.of("refused/another-author", SignedMessages.multipartSigned("mallory@example.org", good), "does not name the From address"),
                Arguments.of("refused/two-authors", SignedMessages.multipartSigned("bob@example.org, mallory@example.org", good),
                        "its From field does not name exactly one address"),
                Arguments.of("refused/changed-content", replace(SignedMessages.multipartSigned("bob@example.org", good), "what I read", "what I say"),
                        "message-digest attribute value does not match"),
                Arguments.of("refused/no-boundary", replace(SignedMessages.multipartSigned("bob@example.org", good), "\tboundary=", "\tnoboundary="),
                        "has no boundary"),
                Arguments.of("refused/malformed-signature", SignedMessages.multipartSigned("bob@example.org", new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}),
                        "the signature does not parse or verify"),
                Arguments.of("refused/no-signature-part", replace(SignedMessages.multipartSigned("bob@example.org", good), "Content-Transfer-Encoding: base64\r\n\r\n",
                        "Content-Transfer-Encoding: base64\r\nX-Broken: yes\r\n"), "does not have a signed part and a signature part"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void signaturesThatDoNotCountAreRefusedWithTheirReason(String name, byte[] message, String reason) {
        assertThatThrownBy(() -> read(message, trusted())).isInstanceOf(LetterlockException.class).hasMessageContaining(reason);
    }

    @Test
    void aVerifiedSignatureFromATrustedCertificateNamingTheAuthorAnnouncesItsCapabilities() throws Exception {
        byte[] message = SignedMessages.multipartSigned("Bob <Bob@Example.org>", signedByBob(Optional.of(SIGNED)));

        SignedCapabilities.Announcement announced = read(message, trusted()).orElseThrow();

        assertThat(announced.address()).isEqualTo("bob@example.org");
        assertThat(announced.capabilities().readsAes256Gcm()).isTrue();
        assertThat(announced.signingTime()).isEqualTo(SIGNED.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(announced.signer()).isEqualTo(bob.certificate());
    }

    @Test
    void aSignerFromAnotherCaCountsForNothing() throws Exception {
        try (TestCertificates other = new TestCertificates()) {
            byte[] message = SignedMessages.multipartSigned("bob@example.org", signedByBob(Optional.of(SIGNED)));

            assertThatThrownBy(() -> read(message, List.of(other.root(), other.issuing()))).isInstanceOf(LetterlockException.class).hasMessageContaining("does not chain to a trusted CA");
        }
    }

    @Test
    void anOpaqueSignatureFromOpensslIsReadAndMessagesWithoutAnnouncementGiveNothing() throws Exception {
        Tools tools = new Tools(dir);
        Path part = Files.writeString(dir.resolve("part.txt"), SignedMessages.PART);
        Path signed = dir.resolve("opaque.p7m");
        Tools.Run run = tools.openssl("cms", "-sign", "-nodetach", "-binary", "-in", part.toString(), "-signer", TestCertificates.pem(dir, "bob", bob.certificate()).toString(),
                "-inkey", TestCertificates.pem(dir, "bob-key", bob.key()).toString(), "-certfile", TestCertificates.pem(dir, "issuing", certificates.issuing()).toString(),
                "-outform", "DER", "-out", signed.toString());
        assertThat(run.exit()).as(run.output()).isZero();

        SignedCapabilities.Announcement announced = read(SignedMessages.opaqueSigned("bob@example.org", Files.readAllBytes(signed)), trusted()).orElseThrow();
        assertThat(announced.capabilities().algorithms()).startsWith(NISTObjectIdentifiers.id_aes256_CBC).doesNotContain(NISTObjectIdentifiers.id_aes256_GCM);

        byte[] plain = "From: bob@example.org\r\nSubject: hi\r\n\r\nnot signed\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(read(plain, trusted())).isEmpty();
        byte[] announcingNothing = SignedMessages.multipartSigned("bob@example.org",
                SignedMessages.detachedSignature(bob.certificate(), bob.key(), Optional.of(SIGNED)));
        assertThat(read(announcingNothing, trusted())).isEmpty();
    }

    /**
     * A signed part of one 64 MiB line, as anyone may send: read without holding the line (it was kept whole, and copied
     * as it grew, so that 16 workers at once ran the gateway out of memory).
     */
    @Test
    void aSignedPartOfOneHugeLineIsReadWithoutHoldingIt() throws Exception {
        String boundary = "huge";
        byte[] head = ("From: bob@example.org\r\nTo: erin@partner.test\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"" + boundary + "\"\r\n\r\n"
                + "--" + boundary + "\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long lineBytes = 64L << 20;
        byte[] tail = ("\r\n--" + boundary + "\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMAMCAQE=\r\n--"
                + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        HeaderSection headers = HeaderSection.read(new ByteArrayInputStream(head), 1 << 20);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> SignedCapabilities.read(headers, () -> new java.io.SequenceInputStream(java.util.Collections.enumeration(List.of(
                new ByteArrayInputStream(head), new RepeatedByte('a', lineBytes), new ByteArrayInputStream(tail)))), trusted(), Instant.now()))
                .isInstanceOf(LetterlockException.class);
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated reading it").isLessThan(16L << 20);
    }

    /** {@code count} copies of one byte, made as they are read. */
    private static final class RepeatedByte extends java.io.InputStream {
        private final int value;
        private long left;

        RepeatedByte(char value, long count) {
            this.value = value;
            this.left = count;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return value;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(length, left);
            java.util.Arrays.fill(buffer, offset, offset + n, (byte) value);
            left -= n;
            return n;
        }
    }

    /** Reads {@code message} as the gateway does, from a spool whose every opened stream must be closed again, whatever the outcome. */
    private static Optional<SignedCapabilities.Announcement> read(byte[] message, List<java.security.cert.X509Certificate> trusted) throws Exception {
        HeaderSection headers = HeaderSection.read(new ByteArrayInputStream(message), 1 << 20);
        List<AtomicBoolean> closed = new ArrayList<>();
        try {
            return SignedCapabilities.read(headers, () -> {
                AtomicBoolean thisClosed = new AtomicBoolean();
                closed.add(thisClosed);
                return new FilterInputStream(new ByteArrayInputStream(message)) {
                    @Override
                    public void close() {
                        thisClosed.set(true);
                    }
                };
            }, trusted, Instant.now());
        } finally {
            assertThat(closed).as("spool streams closed").allMatch(AtomicBoolean::get);
        }
    }

    /** The CA hierarchy, as the gateway trusts its own CA's. */
    private static List<java.security.cert.X509Certificate> trusted() {
        return List.of(certificates.root(), certificates.issuing());
    }

    private static byte[] replace(byte[] message, String from, String to) {
        return new String(message, StandardCharsets.US_ASCII).replace(from, to).getBytes(StandardCharsets.US_ASCII);
    }
}
