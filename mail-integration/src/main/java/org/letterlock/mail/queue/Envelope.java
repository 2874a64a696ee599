package org.letterlock.mail.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the spool knows of a message besides its bytes: who sent it, to whom, and how far delivery has got for each
 * recipient. The message bytes never change after acceptance; the envelope is rewritten as recipients are done.
 *
 * @param sender     the reverse-path, empty for the null sender of bounces
 * @param requireTls the sender asked for REQUIRETLS (RFC 8689): no hop of this message may go without verified TLS
 */
public record Envelope(String id, Instant received, String sender, String client, boolean requireTls, List<Recipient> recipients) {

    /** The client of a message the gateway wrote itself; a received one names the peer's address first, so never this. */
    public static final String GATEWAY_CLIENT = "letterlock";

    public Envelope {
        recipients = List.copyOf(recipients);
    }

    /** A delivery notice the gateway wrote itself (a bounce or a "held" notice), not one it received. */
    public boolean gatewayNotice() {
        return sender.isEmpty() && client.equals(GATEWAY_CLIENT);
    }

    /** Where delivery to one recipient stands. */
    public enum Status {
        PENDING, DELIVERED, FAILED
    }

    /**
     * One recipient's delivery state.
     *
     * @param lastReply the last answer of the hop (or the reason of the gateway itself), for the log and the bounce
     */
    public record Recipient(String address, Status status, int attempts, Instant nextAttempt, String lastReply) {

        public static Recipient pending(String address, Instant now) {
            return new Recipient(address, Status.PENDING, 0, now, "");
        }

        public Recipient delivered(String reply) {
            return new Recipient(address, Status.DELIVERED, attempts + 1, nextAttempt, reply);
        }

        public Recipient failed(String reply) {
            return new Recipient(address, Status.FAILED, attempts + 1, nextAttempt, reply);
        }

        public Recipient deferred(String reply, Instant next) {
            return new Recipient(address, Status.PENDING, attempts + 1, next, reply);
        }
    }

    public List<Recipient> pending() {
        return recipients.stream().filter(r -> r.status() == Status.PENDING).toList();
    }

    public boolean done() {
        return recipients.stream().noneMatch(r -> r.status() == Status.PENDING);
    }

    /** The earliest time a pending recipient is due, or {@link Instant#MAX} when none is pending. */
    public Instant nextAttempt() {
        return pending().stream().map(Recipient::nextAttempt).min(Instant::compareTo).orElse(Instant.MAX);
    }

    /** This envelope with every pending recipient due at {@code at}: a restart retries at once what was waiting (the restart is often the operator's fix). */
    public Envelope dueAt(Instant at) {
        return new Envelope(id, received, sender, client, requireTls, recipients.stream()
                .map(r -> r.status() == Status.PENDING ? new Recipient(r.address(), r.status(), r.attempts(), at, r.lastReply()) : r).toList());
    }

    /** This envelope with each recipient of {@code addresses} replaced by what {@code change} makes of it. */
    public Envelope with(List<String> addresses, UnaryOperator<Recipient> change) {
        List<Recipient> changed = new ArrayList<>(recipients.size());
        for (Recipient recipient : recipients) {
            changed.add(addresses.contains(recipient.address()) && recipient.status() == Status.PENDING ? change.apply(recipient) : recipient);
        }
        return new Envelope(id, received, sender, client, requireTls, changed);
    }
}
