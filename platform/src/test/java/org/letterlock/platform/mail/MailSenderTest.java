package org.letterlock.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extra header fields a caller sets (the ACME challenge's From, Message-ID, Auto-Submitted) leave with the mail, over both
 * transports; over SMTP as a relay on Python's smtpd received them ({@link PythonSmtpRelay}).
 */
class MailSenderTest {
    private static final Map<String, String> HEADERS = Map.of("From", "acme-challenge@ca.example.org", "Message-ID", "<order-1.token@ca.example.org>",
            "Auto-Submitted", "auto-generated; type=acme");

    @TempDir
    Path work;

    @Test
    void theFileTransportWritesTheCallersHeaders() throws Exception {
        new FileMailSender(work, "letterlock@example.org").send("alice@example.org", "ACME: token", "body", HEADERS);

        String mail;
        try (var files = Files.list(work)) {
            mail = Files.readString(files.filter(p -> p.toString().endsWith(".eml")).findFirst().orElseThrow());
        }
        assertThat(mail).contains("From: acme-challenge@ca.example.org", "Message-ID: <order-1.token@ca.example.org>",
                "Auto-Submitted: auto-generated; type=acme").doesNotContain("letterlock@example.org");
    }

    @Test
    void theSmtpTransportSendsTheCallersHeaders() throws Exception {
        try (PythonSmtpRelay relay = PythonSmtpRelay.start();
             SmtpMailSender sender = new SmtpMailSender("127.0.0.1", relay.port(), false, "letterlock@example.org")) {
            sender.send("alice@example.org", "ACME: token", "body", HEADERS);

            relay.linesUntil("mail alice@example.org");
            assertThat(relay.headers()).contains("From: acme-challenge@ca.example.org", "Message-ID: <order-1.token@ca.example.org>",
                    "Auto-Submitted: auto-generated; type=acme");
        }
    }
}
