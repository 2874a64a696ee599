package org.letterlock.mail.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeFormatTest {

    @ParameterizedTest
    @ValueSource(strings = {"plain@example.org", "", "\"with space\"@example.org", "percent%41@example.org", "jörg@example.org", "tab\there@example.org"})
    void everyAddressAndReplyComesBackAsWritten(String address) {
        Instant at = Instant.ofEpochMilli(1_790_000_000_123L);
        Envelope envelope = new Envelope("id-1", at, address, "::1 helo name", true,
                List.of(new Envelope.Recipient(address.isEmpty() ? "x@example.org" : address, Envelope.Status.PENDING, 3, at, "451 4.4.1 line one\r\nline two % 100")));

        assertThat(EnvelopeFormat.read(EnvelopeFormat.write(envelope))).isEqualTo(envelope);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "letterlock-envelope 2\n", "letterlock-envelope 1\nid x\nreceived 1\nfrom a\nclient c\nrequiretls false\n",
            "letterlock-envelope 1\nid x\nreceived 1\nfrom a\nclient c\nrequiretls false\nrcpt PENDING 0 1 only-four-fields\n"})
    void aDamagedFileIsRefusedNotHalfRead(String text) {
        assertThatThrownBy(() -> EnvelopeFormat.read(text.getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    }
}
