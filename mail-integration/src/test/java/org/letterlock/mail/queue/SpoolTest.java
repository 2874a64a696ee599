package org.letterlock.mail.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path root;

    @Test
    void anAcceptedMessageIsFoundAgainByTheNextStartWithItsBytesAndEnvelope() throws IOException {
        Spool spool = Spool.open(root);
        Envelope accepted = receive(spool, "Subject: hi\r\n\r\nbody\r\n", "alice@example.org", List.of("bob@example.org", "carol@example.net"));

        List<Envelope> recovered = Spool.open(root).recover();

        assertThat(recovered).containsExactly(accepted);
        try (InputStream in = spool.open(accepted.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("Subject: hi\r\n\r\nbody\r\n");
        }
    }

    @Test
    void aMessageNeverAcceptedLeavesNothingBehind() throws IOException {
        Spool spool = Spool.open(root);
        try (Spool.Reception reception = spool.receive(); OutputStream out = reception.body()) {
            out.write("half a message".getBytes(StandardCharsets.US_ASCII));
        }

        assertThat(spool.recover()).isEmpty();
        assertThat(files()).isEmpty();
    }

    @Test
    void aCrashBetweenTheMessageAndItsEnvelopeLeavesAMessageTheNextStartDeletes() throws IOException {
        Spool spool = Spool.open(root);
        Envelope accepted = receive(spool, "x\r\n", "a@example.org", List.of("b@example.org"));
        // As if the process died after moving the message file and before moving the envelope: the sender never got 250.
        Files.delete(root.resolve("queue").resolve(accepted.id() + ".env"));
        Files.writeString(root.resolve("incoming").resolve("zz-left.msg"), "partial");

        assertThat(Spool.open(root).recover()).isEmpty();
        assertThat(files()).isEmpty();
    }

    @Test
    void anUnreadableEnvelopeIsSetAsideForTheOperatorNotDeliveredNorDeleted() throws IOException {
        Spool spool = Spool.open(root);
        Envelope accepted = receive(spool, "x\r\n", "a@example.org", List.of("b@example.org"));
        Path envelope = root.resolve("queue").resolve(accepted.id() + ".env");
        Files.writeString(envelope, "garbage");

        assertThat(spool.recover()).isEmpty();
        assertThat(root.resolve("queue").resolve(accepted.id() + ".env.broken")).hasContent("garbage");
        assertThat(spool.messageFile(accepted.id())).exists();
    }

    @Test
    void updatesAreReadBackAndRemovalDeletesBothFiles() throws IOException {
        Spool spool = Spool.open(root);
        Envelope accepted = receive(spool, "x\r\n", "a@example.org", List.of("b@example.org", "c@example.org"));
        Envelope partly = accepted.with(List.of("b@example.org"), r -> r.delivered("250 2.0.0 Ok"))
                .with(List.of("c@example.org"), r -> r.deferred("451 4.3.0 try later\r\nsecond line", NOW.plusSeconds(60)));
        spool.update(partly);

        assertThat(Spool.open(root).recover()).containsExactly(partly);

        spool.remove(accepted.id());
        assertThat(files()).isEmpty();
    }

    private Envelope receive(Spool spool, String message, String sender, List<String> recipients) throws IOException {
        try (Spool.Reception reception = spool.receive()) {
            try (OutputStream out = reception.body()) {
                out.write(message.getBytes(StandardCharsets.US_ASCII));
            }
            return reception.accept(sender, recipients, "127.0.0.1 client.example.org", false, NOW);
        }
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
