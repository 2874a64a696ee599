package org.letterlock.mail.pgp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.Tools;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.mail.pgp.PgpTools.Decryption;
import org.letterlock.mail.pgp.PgpTools.MadeKey;

/** A 25 MiB entity streams through the encryption: in a JVM whose whole heap is smaller than the entity, and gpg decrypts it. */
class LargeEntityTest {
    /** 24 MiB, less than the entity: holding the cleartext or the armored message whole would end in an OutOfMemoryError. */
    private static final String HEAP = "-Xmx24m";

    @TempDir
    Path dir;
    private PgpTools tools;

    @AfterEach
    void stop() throws Exception {
        tools.close();
    }

    @Test
    void aLargeEntityIsEncryptedInASmallHeapAndGpgDecryptsItExactly() throws Exception {
        tools = new PgpTools(dir);
        MadeKey key = tools.gpgKey("gpg", "Lars <lars@example.org>", "future-default", "default", "0");
        Path certificate = tools.next("cert.pgp");
        Files.write(certificate, OpenPgpKeys.binary(key.certificate()));
        Path encrypted = tools.next("large.eml");

        Tools.Run run = tools.run(Map.of("CLASSPATH", System.getProperty("java.class.path")), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, LargeEntity.class.getName(), certificate.toString(), encrypted.toString());
        assertThat(run.exit()).as(run.output()).isZero();

        assertThat(Files.size(encrypted)).as("armored: 4/3 of the entity and more").isGreaterThan(LargeEntity.SIZE / 3L * 4);
        Path message = tools.next("part2.asc");
        Files.writeString(message, MultipartEncrypted.parse(Files.readString(encrypted, US_ASCII)).parts().get(1).body(), US_ASCII);
        Decryption decryption = tools.decrypt(PgpTools.Tool.GPG, key, message);
        assertThat(decryption.output()).contains("[GNUPG:] DECRYPTION_OKAY");
        assertThat(decryption.cleartext()).hasSize(LargeEntity.SIZE);
        assertThat(MessageDigest.getInstance("SHA-256").digest(decryption.cleartext())).isEqualTo(digestOfLargeEntity());
    }

    private static byte[] digestOfLargeEntity() throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
            LargeEntity.write(out);
        }
        return digest.digest();
    }
}
