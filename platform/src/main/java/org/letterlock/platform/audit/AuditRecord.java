package org.letterlock.platform.audit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.letterlock.platform.Sha256;

/** A stored audit record: the event, its place in the chain, and the SHA-256 chain hash over the previous hash and itself. */
public record AuditRecord(long seq, Instant recordedAt, AuditEvent event, String prevHash, String hash) {

    public static final String GENESIS_HASH = "0".repeat(64);

    /** Record times are kept to the microsecond, the precision both H2 and PostgreSQL store. */
    public static Instant truncate(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    public static AuditRecord chain(long seq, Instant recordedAt, AuditEvent event, String prevHash) {
        Instant at = truncate(recordedAt);
        return new AuditRecord(seq, at, event, prevHash, chainHash(seq, at, event, prevHash));
    }

    /**
     * SHA-256 over length-prefixed fields, so no two different records share an encoding:
     * previous hash, sequence number, time in epoch microseconds, actor, action, target, outcome, detail.
     */
    public static String chainHash(long seq, Instant recordedAt, AuditEvent event, String prevHash) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        field(out, prevHash);
        field(out, Long.toString(seq));
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, recordedAt);
        field(out, Long.toString(micros));
        field(out, event.actor());
        field(out, event.action());
        field(out, event.target());
        field(out, event.outcome().name());
        field(out, event.detail());
        return Sha256.hex(out.toByteArray());
    }

    private static void field(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }
}
