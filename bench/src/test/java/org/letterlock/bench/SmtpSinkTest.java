package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmtpSinkTest {

    static final String MESSAGE = "Message-ID:\r\n <bench-gw-7@source.test>\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n\r\n"
            + "..a line that began with a dot\r\nbody\r\n";

    record Session(List<SmtpSink.Arrival> arrivals, List<String> replies) {
    }

    static Session session(String client, SmtpSink.Settings settings) throws IOException {
        List<SmtpSink.Arrival> arrivals = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SmtpSink.session(new ByteArrayInputStream(client.getBytes(StandardCharsets.ISO_8859_1)), out, arrivals::add, settings, new AtomicLong());
        List<String> replies = new ArrayList<>();
        Smtp.Lines lines = new Smtp.Lines(new ByteArrayInputStream(out.toByteArray()));
        while (true) {
            try {
                replies.add(Smtp.Reply.read(lines).text());
            } catch (IOException e) {
                return new Session(arrivals, replies);
            }
        }
    }

    @Test
    void aPipelinedTransactionIsRecordedBeforeIts250(@TempDir Path dir) throws IOException {
        Session session = session("EHLO client\r\nMAIL FROM:<bench-gw-7@source.test> SIZE=100\r\nRCPT TO:<rcpt@relay.test>\r\nDATA\r\n" + MESSAGE + ".\r\n"
                + "NOOP\r\nQUIT\r\n", new SmtpSink.Settings(dir, id -> id.equals("bench-gw-7@source.test"), 0));
        assertThat(session.replies()).hasSize(8);
        assertThat(session.replies().get(0)).startsWith("220 ");
        assertThat(session.replies().get(1)).startsWith("250 sink.test / PIPELINING");
        assertThat(session.replies().subList(2, 4)).allMatch(r -> r.startsWith("250 "));
        assertThat(session.replies().get(4)).startsWith("354 ");
        assertThat(session.replies().get(5)).isEqualTo("250 2.0.0 Ok: queued as 1");
        assertThat(session.replies().get(7)).startsWith("221 ");
        assertThat(session.arrivals()).hasSize(1);
        SmtpSink.Arrival arrival = session.arrivals().get(0);
        assertThat(arrival.messageId()).isEqualTo("bench-gw-7@source.test");
        assertThat(arrival.envelopeFrom()).isEqualTo("bench-gw-7@source.test");
        assertThat(arrival.id()).isEqualTo("bench-gw-7@source.test");
        assertThat(arrival.encrypted()).isTrue();
        assertThat(arrival.fields()).containsEntry("message-id", "<bench-gw-7@source.test>")
                .containsEntry("content-type", "application/pkcs7-mime; smime-type=authEnveloped-data").hasSize(2);
        assertThat(arrival.nanos()).isGreaterThanOrEqualTo(arrival.started());
        String unstuffed = MESSAGE.replace("\r\n..a line", "\r\n.a line");
        assertThat(arrival.bytes()).isEqualTo(unstuffed.length());
        assertThat(Files.readString(arrival.saved(), StandardCharsets.ISO_8859_1)).isEqualTo(unstuffed);
    }

    @Test
    void outOfOrderCommandsAreRefusedAndACutMessageIsNotRecorded() throws IOException {
        Session refused = session("HELO x\r\nDATA\r\nRCPT TO:<a@b>\r\nSTARTTLS\r\nVRFY x\r\nQUIT\r\n", SmtpSink.Settings.countOnly());
        assertThat(refused.replies()).extracting(r -> r.substring(0, 3)).containsExactly("220", "250", "503", "503", "454", "502", "221");
        Session cut = session("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\nhalf a messa", SmtpSink.Settings.countOnly());
        assertThat(cut.arrivals()).isEmpty();
    }

    @Test
    void messagesAreCountedByTheirBenchIdFromTheHeaderOrTheEnvelope() {
        SmtpSink.Arrival plain = new SmtpSink.Arrival("bench-pf-1@source.test", "bench-pf-1@source.test", "text/plain", 10, 0, 1, null, java.util.Map.of());
        SmtpSink.Arrival renamed = new SmtpSink.Arrival("new-id@gateway.test", "bench-gw-2@source.test", null, 10, 0, 1, null, java.util.Map.of());
        SmtpSink.Arrival foreign = new SmtpSink.Arrival(null, "sender@source.test", null, 10, 0, 1, null, java.util.Map.of());
        assertThat(plain.id()).isEqualTo("bench-pf-1@source.test");
        assertThat(renamed.id()).isEqualTo("bench-gw-2@source.test");
        assertThat(foreign.id()).isEqualTo("sender@source.test");
        assertThat(SmtpSink.counts(List.of(plain, plain, renamed))).containsEntry("bench-pf-1@source.test", 2).containsEntry("bench-gw-2@source.test", 1);
        assertThat(SmtpSink.Arrival.encrypted("application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m")).isTrue();
        assertThat(SmtpSink.Arrival.encrypted("Application/X-PKCS7-MIME")).isTrue();
        assertThat(SmtpSink.Arrival.encrypted("application/pkcs7-mime; smime-type=signed-data")).isFalse();
        assertThat(SmtpSink.Arrival.encrypted("multipart/signed; protocol=\"application/pkcs7-signature\"")).isFalse();
        assertThat(SmtpSink.Arrival.encrypted(null)).isFalse();
    }
}
