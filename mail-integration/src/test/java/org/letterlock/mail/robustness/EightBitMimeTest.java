package org.letterlock.mail.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.Outcome;

/**
 * 8-bit data and RFC 6152. The listener offers 8BITMIME and, like Postfix, takes 8-bit data a client declared 7BIT
 * (RFC 6152 leaves that to the server; refusing it would bounce mail from many real senders). On the way out the
 * gateway labels 8-bit content BODY=8BITMIME, and never sends it to a hop that does not offer 8BITMIME (RFC 6152 3):
 * it does not convert, so such a copy fails with 5.6.3 (RFC 3463: conversion required and not supported).
 */
class EightBitMimeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] EIGHT_BIT_MESSAGE = bytes("Subject: Gr", 0xFC, 0xDF, "e\r\nContent-Type: text/plain; charset=iso-8859-1\r\n",
            "Content-Transfer-Encoding: 7bit\r\n\r\nK", 0xF6, "ln, Z", 0xFC, "rich \u00e4\u00f6\u00fc in UTF-8 as well\r\n");

    @TempDir
    Path work;

    @Test
    void eightBitDataDeclaredSevenBitIsTakenAndRelayedAsEightBitMime() throws Exception {
        try (RecordingHop hop = new RecordingHop(true); LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), hop.port())) {
            assertThat(send(gateway, "MAIL FROM:<alice@example.org> BODY=7BIT", EIGHT_BIT_MESSAGE)).isEqualTo(250);

            RecordingHop.Received copy = awaitOne(hop);
            assertThat(copy.mailCommand()).isEqualTo("MAIL FROM:<alice@example.org> BODY=8BITMIME");
            assertThat(afterReceivedField(copy.data())).as("the 8-bit bytes unchanged").isEqualTo(EIGHT_BIT_MESSAGE);
        }
    }

    @Test
    void eightBitDataForAHopWithoutEightBitMimeFailsWith563AndIsNeverSent() throws Exception {
        try (RecordingHop hop = new RecordingHop(false); LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), hop.port())) {
            assertThat(send(gateway, "MAIL FROM:<> BODY=8BITMIME", EIGHT_BIT_MESSAGE)).isEqualTo(250);

            AuditEvent failed = awaitDone(gateway);
            assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(failed.detail()).contains("reply 554 5.6.3 ");
            assertThat(hop.received).as("no 8-bit data to a hop that did not offer 8BITMIME").isEmpty();
        }
    }

    @Test
    void sevenBitDataForAHopWithoutEightBitMimeGoesWithoutABodyParameter() throws Exception {
        byte[] message = "Subject: plain\r\n\r\nOnly US-ASCII here.\r\n".getBytes(StandardCharsets.US_ASCII);
        try (RecordingHop hop = new RecordingHop(false); LoopbackGateway gateway = LoopbackGateway.relayingTo(work.resolve("spool"), hop.port())) {
            assertThat(send(gateway, "MAIL FROM:<alice@example.org>", message)).isEqualTo(250);

            RecordingHop.Received copy = awaitOne(hop);
            assertThat(copy.mailCommand()).isEqualTo("MAIL FROM:<alice@example.org>");
            assertThat(afterReceivedField(copy.data())).isEqualTo(message);
        }
    }

    private static int send(LoopbackGateway gateway, String mailCommand, byte[] message) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(gateway.port())) {
            client.command("EHLO client.example.org");
            assertThat(client.command(mailCommand).code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<bob@example.org>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send(message);
            client.send(".\r\n");
            return client.reply().code();
        }
    }

    /** The copy without the Received field the gateway put first. */
    private static byte[] afterReceivedField(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        int dateLine = text.indexOf(";\r\n\t") + 3;
        return text.substring(text.indexOf("\r\n", dateLine) + 2).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static RecordingHop.Received awaitOne(RecordingHop hop) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (hop.received.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(hop.received).hasSize(1);
        return hop.received.get(0);
    }

    /** Waits until the delivery decision is recorded and the message has left the spool, and returns that decision. */
    private static AuditEvent awaitDone(LoopbackGateway gateway) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((gateway.audit.events().isEmpty() || !gateway.spool.list().isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(gateway.spool.list()).as("done with: from <>, a failure is not bounced (RFC 5321 6.1)").isEmpty();
        assertThat(gateway.audit.events()).as("one delivery decision for bob").hasSize(1);
        return gateway.audit.events().get(0);
    }

    /** Text pieces (as UTF-8) and single bytes, in order. */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof Integer b) {
                out.write(b);
            } else {
                out.writeBytes(((String) part).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
