package org.letterlock.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extra header fields a caller sets (the ACME challenge's From, Message-ID, Auto-Submitted) leave with the mail, over both transports. */
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

    /** Python's smtpd DebuggingServer, a receiver nobody here wrote, prints what arrived. */
    @Test
    void theSmtpTransportSendsTheCallersHeaders() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path printed = work.resolve("smtpd.out");
        Process smtpd = new ProcessBuilder("python3", "-W", "ignore", "-u", "-m", "smtpd", "-n", "-c", "DebuggingServer", "127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(printed.toFile()).start();
        try {
            waitForPort(port);
            try (SmtpMailSender sender = new SmtpMailSender("127.0.0.1", port, false, "letterlock@example.org")) {
                sender.send("alice@example.org", "ACME: token", "body", HEADERS);
            }
            long until = System.currentTimeMillis() + 10_000;
            while (!Files.readString(printed).contains("END MESSAGE") && System.currentTimeMillis() < until) {
                Thread.sleep(50);
            }
        } finally {
            smtpd.destroy();
            smtpd.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(Files.readString(printed, StandardCharsets.UTF_8)).contains("From: acme-challenge@ca.example.org", "Message-ID: <order-1.token@ca.example.org>",
                "Auto-Submitted: auto-generated; type=acme");
    }

    private static void waitForPort(int port) throws InterruptedException {
        long until = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < until) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("smtpd did not listen on " + port);
    }
}
