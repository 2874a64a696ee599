package org.letterlock.mail.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderSectionTest {

    @Test
    void fieldsKeepTheirExactBytesAndTheStreamIsLeftAtTheBody() throws IOException {
        String head = "Subject: a folded\r\n subject line\r\nFrom: Jörg <j@example.org>\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n";
        BufferedInputStream in = stream(head + "\r\nthe body\r\n");

        HeaderSection headers = HeaderSection.read(in, 10_000);

        assertThat(headers.fields()).extracting(HeaderSection.Field::name).containsExactly("Subject", "From", "Content-Type");
        assertThat(new String(headers.fields().get(0).raw(), StandardCharsets.UTF_8)).isEqualTo("Subject: a folded\r\n subject line\r\n");
        assertThat(headers.value("subject")).contains("a folded subject line");
        assertThat(headers.value("From")).contains("Jörg <j@example.org>");
        assertThat(headers.mediaType()).isEqualTo("text/plain");
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("the body\r\n");
        assertThat(headers.length()).as("where the body starts").isEqualTo(head.getBytes(StandardCharsets.UTF_8).length + 2);
    }

    @Test
    void aLineThatIsNoFieldStartsTheBody() throws IOException {
        BufferedInputStream in = stream("Subject: x\r\nthis is not a header\r\nmore\r\n");

        HeaderSection headers = HeaderSection.read(in, 10_000);

        assertThat(headers.fields()).hasSize(1);
        assertThat(headers.length()).as("the line that is no field belongs to the body").isEqualTo("Subject: x\r\n".length());
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("this is not a header\r\nmore\r\n");
    }

    @Test
    void aMessageWithoutContentTypeIsPlainText() throws IOException {
        assertThat(HeaderSection.read(stream("Subject: x\n\n"), 100).mediaType()).isEqualTo("text/plain");
    }

    private static BufferedInputStream stream(String text) {
        return new BufferedInputStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }
}
