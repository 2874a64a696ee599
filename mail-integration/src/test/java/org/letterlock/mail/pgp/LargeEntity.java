package org.letterlock.mail.pgp;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A 25 MiB MIME entity, the same bytes every time: an attachment of pseudo-random octets, as incompressible as most
 * attachments. Run as a program ({@code certificate-file output-file}) it encrypts one to the key in the file, so a
 * test can do that in a heap smaller than the entity.
 */
final class LargeEntity {
    static final int SIZE = 25 * 1024 * 1024;

    private LargeEntity() {
    }

    static void write(OutputStream out) throws IOException {
        byte[] header = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n".getBytes(US_ASCII);
        out.write(header);
        SplittableRandom random = new SplittableRandom(3156);
        byte[] chunk = new byte[64 * 1024];
        for (int written = header.length; written < SIZE; written += chunk.length) {
            random.nextBytes(chunk);
            out.write(chunk, 0, Math.min(chunk.length, SIZE - written));
        }
    }

    public static void main(String[] arguments) throws Exception {
        PgpMimeEncryption encryption = PgpMimeEncryption.forKeys(List.of(PgpTools.read(Path.of(arguments[0]))), Instant.now());
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(Path.of(arguments[1]))); OutputStream cleartext = encryption.open(file)) {
            write(cleartext);
        }
    }
}
