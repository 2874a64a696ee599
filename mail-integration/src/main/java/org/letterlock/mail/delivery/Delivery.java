package org.letterlock.mail.delivery;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.message.ProtectedMessage;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.queue.Spool;
import org.letterlock.mail.smime.SmimeChoice;
import org.letterlock.mail.smtp.Reply;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.LetterlockException;

/**
 * Delivers what the spool holds: for each due recipient a decision (policy and keys), one transaction per route and
 * decision (so a message to several recipients is encrypted once to all their keys), the hop's reply per recipient,
 * retries with backoff for temporary failures and a bounce to the sender for permanent ones. A message leaves the
 * spool only when every recipient is delivered or bounced.
 */
public final class Delivery implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Delivery.class.getName());
    static final Duration FIRST_RETRY = Duration.ofMinutes(1);
    static final Duration LONGEST_RETRY = Duration.ofHours(1);

    /**
     * @param policyHeader header naming the decision in each delivered copy, empty for none
     * @param honourTlsRequiredNo a {@code TLS-Required: No} header field relaxes transport TLS policy (RFC 8689 5)
     */
    public record Settings(String hostName, int workers, Duration maxQueueTime, String policyHeader, Duration hopTimeout, boolean honourTlsRequiredNo) {
    }

    private final Spool spool;
    private final Decider decider;
    private final Encryptions encryptions;
    private final HopConnections hops;
    private final AuditRecorder audit;
    private final Clock clock;
    private final Settings settings;
    private final Map<String, Envelope> queued = new ConcurrentHashMap<>();
    private final DelayQueue<Due> due = new DelayQueue<>();
    /** Per message, the one attempt in {@link #due} that counts; an older one left in the queue is skipped. */
    private final Map<String, Long> scheduled = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong schedules = new java.util.concurrent.atomic.AtomicLong();
    /** Messages a worker is attempting now: never two workers on one message. */
    private final java.util.Set<String> attempting = ConcurrentHashMap.newKeySet();
    /** Messages made due while being attempted: attempted again as soon as the running attempt ends. */
    private final java.util.Set<String> dueAgain = ConcurrentHashMap.newKeySet();
    /** Finished messages whose bounce is queued, so a retry after a failed removal does not bounce twice. */
    private final java.util.Set<String> bounced = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private volatile boolean running = true;

    /**
     * @param verifying      checks configured hops' certificates
     * @param anyCertificate for hops whose certificate is not checked
     * @param direct         dials recipient domains' MX hosts, when mail is delivered directly
     */
    public Delivery(Spool spool, Decider decider, Encryptions encryptions, javax.net.ssl.SSLContext verifying, javax.net.ssl.SSLContext anyCertificate,
                    Optional<DirectDelivery> direct, AuditRecorder audit, Clock clock, Settings settings) {
        this.spool = spool;
        this.decider = decider;
        this.encryptions = encryptions;
        this.hops = new HopConnections(verifying, anyCertificate, direct, settings.hostName(), settings.hopTimeout(), settings.workers());
        this.audit = audit;
        this.clock = clock;
        this.settings = settings;
        this.workers = Executors.newFixedThreadPool(settings.workers(), runnable -> {
            Thread thread = new Thread(runnable, "letterlock-delivery");
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < settings.workers(); i++) {
            workers.execute(this::work);
        }
    }

    /** Queues a message just accepted, or found in the spool at start, for delivery now. */
    public void submit(Envelope envelope) {
        Envelope now = envelope.dueAt(clock.instant());
        queued.put(now.id(), now);
        schedule(now.id(), now.nextAttempt());
    }

    /** The message's next attempt, replacing any it had. */
    private void schedule(String id, Instant at) {
        long number = schedules.incrementAndGet();
        scheduled.put(id, number);
        due.add(new Due(id, at, number));
    }

    /** Messages in the queue. */
    public int queueSize() {
        return queued.size();
    }

    private void work() {
        while (running) {
            Due next;
            try {
                next = due.take();
            } catch (InterruptedException e) {
                return;
            }
            String id = next.id();
            if (!Long.valueOf(next.number()).equals(scheduled.get(id))) {
                continue;
            }
            if (!attempting.add(id)) {
                dueAgain.add(id);
                continue;
            }
            try {
                Envelope envelope = queued.get(id);
                if (envelope != null) {
                    attemptOrRetryLater(envelope);
                }
            } finally {
                attempting.remove(id);
                if (dueAgain.remove(id) && queued.containsKey(id)) {
                    schedule(id, clock.instant());
                }
            }
        }
    }

    private void attemptOrRetryLater(Envelope envelope) {
        // The key uses of this attempt (opening a passphrase, the organisation's signature) name the message.
        try (Actor.Scope message = Actor.as("gateway message:" + envelope.id())) {
            attempt(envelope);
        } catch (Exception | Error e) {
            // The spool keeps the message: try it again later rather than lose it. An Error too (a message that ran a worker out
            // of memory, say): otherwise this worker would end, and the message never be tried again.
            LOG.log(Level.SEVERE, "delivery: message " + envelope.id() + " failed unexpectedly; retrying in " + FIRST_RETRY.toSeconds() + " s", e);
            if (queued.containsKey(envelope.id())) {
                schedule(envelope.id(), clock.instant().plus(FIRST_RETRY));
            }
        }
    }

    /** One delivery attempt for the recipients of {@code envelope} that are due. */
    void attempt(Envelope envelope) throws IOException {
        Instant now = clock.instant();
        List<String> dueNow = envelope.pending().stream().filter(r -> !r.nextAttempt().isAfter(now)).map(Envelope.Recipient::address).toList();
        HeaderSection headers = readHeaders(envelope.id());
        if (envelope.recipients().stream().allMatch(r -> r.attempts() == 0)) {
            // Once per message: what its signature announces applies to mail to its sender from now on.
            encryptions.capabilities().learnFrom(envelope, headers, () -> spool.open(envelope.id()));
        }
        Map<GroupKey, List<Decision>> groups = new LinkedHashMap<>();
        Map<GroupKey, List<String>> groupRecipients = new LinkedHashMap<>();
        Envelope current = envelope;
        Route.SenderTls senderTls = Routes.askedBy(envelope, headers, settings.honourTlsRequiredNo());
        for (String recipient : dueNow) {
            Decision decision = decider.decide(envelope, headers, recipient);
            switch (decision.action()) {
                case REJECT -> {
                    Reply reply = new Reply(550, "5.7.1 " + decision.reason());
                    current = current.with(List.of(recipient), r -> r.failed(reply.toString()));
                    record(envelope, recipient, decision, null, reply);
                }
                case HOLD -> current = hold(current, recipient, decision);
                case DEFER -> {
                    Reply reply = new Reply(451, "4.4.3 " + decision.reason());
                    record(envelope, recipient, decision, null, reply);
                    current = apply(current, recipient, reply);
                }
                default -> {
                    GroupKey key = new GroupKey(Routes.forSender(decision.route(), decision.action(), senderTls), decision.action(), decision.reason(), decision.signed(),
                            decision.action() == Decision.Action.PASSWORD || decision.route().protocol() == SmtpClient.Protocol.LMTP ? recipient : "");
                    groups.computeIfAbsent(key, k -> new ArrayList<>()).add(decision);
                    groupRecipients.computeIfAbsent(key, k -> new ArrayList<>()).add(recipient);
                }
            }
        }
        for (Map.Entry<GroupKey, List<Decision>> group : groups.entrySet()) {
            List<String> recipients = groupRecipients.get(group.getKey());
            try {
                current = deliverGroup(current, headers, group.getKey(), group.getValue(), recipients);
            } catch (RuntimeException e) {
                // Only this group waits (counted, so max-queue-time applies): retrying the whole message would send the
                // groups already handed over a second time.
                LOG.log(Level.SEVERE, "delivery: a copy of message " + envelope.id() + " failed unexpectedly", e);
                current = deferAll(current, recipients, group.getValue(), null, Reply.local(451, "4.3.0 the copy failed unexpectedly: " + e));
            }
        }
        finish(current);
    }

    private Envelope deliverGroup(Envelope envelope, HeaderSection headers, GroupKey key, List<Decision> decided, List<String> recipients) {
        Optional<SmimeChoice> smimeChoice;
        try {
            smimeChoice = key.action() == Decision.Action.SMIME ? Optional.of(encryptions.smimeChoice(recipients, decided)) : Optional.empty();
        } catch (RuntimeException e) {
            // A store that cannot be read now means "retry this group" (counted, so max-queue-time applies), not "cannot
            // encrypt to this key"; the other groups go on, so none already delivered is sent again.
            LOG.log(Level.WARNING, "delivery: the S/MIME capabilities for message " + envelope.id() + " could not be read", e);
            return deferAll(envelope, recipients, decided, null, Reply.local(451, "4.3.0 the recipients' S/MIME capabilities could not be read: "
                    + (e instanceof LetterlockException l ? l.detail() : e.toString())));
        }
        List<Decision> decisions = smimeChoice.map(choice -> decided.stream().map(d -> d.noting(choice.summary())).toList()).orElse(decided);
        SmtpClient.MessageBody body;
        try {
            body = copyFor(envelope, headers, key, decisions, smimeChoice);
        } catch (LetterlockException e) {
            if (e.type().status() >= 500 || e.type().status() == 429) {
                // The store or the vault out for now (the organisation's signature re-read, say): the copy waits, counted, so
                // max-queue-time applies; a passing outage must not become a bounce.
                LOG.log(Level.WARNING, "delivery: the protected copy of message " + envelope.id() + " could not be made now", e);
                return deferAll(envelope, recipients, decisions, null, Reply.local(451, "4.3.0 the protected copy could not be made now: " + e.detail()));
            }
            // A key that cannot be used is the recipient's problem to fix, not a reason to send in clear.
            Reply reply = new Reply(550, "5.7.1 cannot encrypt to the recipient's key: " + e.detail());
            recipients.forEach(r -> record(envelope, r, decisions.get(recipients.indexOf(r)), null, reply));
            return envelope.with(recipients, r -> r.failed(reply.toString()));
        }
        Route route = key.route();
        List<SmtpClient.RecipientReply> replies;
        SmtpClient client = null;
        try {
            client = hops.reuse(route);
            if (client != null) {
                try {
                    replies = client.send(envelope.sender(), envelope.requireTls(), recipients, body);
                } catch (IOException stale) {
                    if (client.dataSent()) {
                        // Failed after the final dot: the hop may have the message, so it waits for its retry.
                        throw stale;
                    }
                    // A kept connection the hop has since closed: nothing was accepted on it; try a new one.
                    client.close();
                    client = hops.connect(route);
                    replies = client.send(envelope.sender(), envelope.requireTls(), recipients, body);
                }
            } else {
                client = hops.connect(route);
                replies = client.send(envelope.sender(), envelope.requireTls(), recipients, body);
            }
            hops.release(route, client);
        } catch (SmtpClient.HopRefused refused) {
            return deferAll(envelope, recipients, decisions, client, refused.reply());
        } catch (IOException e) {
            if (client != null) {
                client.close();
            }
            return deferAll(envelope, recipients, decisions, client, Reply.local(451, "4.4.2 " + route.name() + " " + route.hop() + ": " + e.getMessage()));
        } catch (RuntimeException e) {
            // Failed mid-transfer (the copy's signer, say): the connection is in an unknown state and is neither kept nor leaked.
            if (client != null) {
                client.close();
            }
            throw e;
        }
        Envelope updated = envelope;
        for (SmtpClient.RecipientReply reply : replies) {
            Decision decision = decisions.get(recipients.indexOf(reply.address()));
            record(envelope, reply.address(), decision, client, reply.reply());
            updated = apply(updated, reply.address(), reply.reply());
        }
        return updated;
    }

    /** A held recipient waits like a deferred one; the first time, the sender is told why (a "delayed" notice, RFC 3464). */
    private Envelope hold(Envelope envelope, String recipient, Decision decision) throws IOException {
        Reply reply = new Reply(450, "4.7.0 held: " + decision.reason());
        record(envelope, recipient, decision, null, reply);
        boolean first = envelope.recipients().stream().anyMatch(r -> r.address().equals(recipient) && r.attempts() == 0);
        Envelope updated = apply(envelope, recipient, reply);
        if (first && !envelope.sender().isEmpty() && updated.pending().stream().anyMatch(r -> r.address().equals(recipient))) {
            submit(Bounces.queueDelayNotice(spool, envelope, recipient, reply.toString(), settings.hostName(), clock));
        }
        return updated;
    }

    /** Makes every queued message due now: after a change that may let held mail go (a passphrase or a key set). */
    public void retryAll() {
        queued.values().forEach(this::submit);
    }

    private Envelope deferAll(Envelope envelope, List<String> recipients, List<Decision> decisions, SmtpClient client, Reply reply) {
        Envelope updated = envelope;
        for (int i = 0; i < recipients.size(); i++) {
            record(envelope, recipients.get(i), decisions.get(i), client, reply);
            updated = apply(updated, recipients.get(i), reply);
        }
        return updated;
    }

    private Envelope apply(Envelope envelope, String recipient, Reply reply) {
        if (reply.positive()) {
            return envelope.with(List.of(recipient), r -> r.delivered(reply.toString()));
        }
        if (!reply.transientFailure()) {
            return envelope.with(List.of(recipient), r -> r.failed(reply.toString()));
        }
        Instant now = clock.instant();
        if (now.isAfter(envelope.received().plus(settings.maxQueueTime()))) {
            return envelope.with(List.of(recipient), r -> r.failed("554 5.4.7 not delivered within " + settings.maxQueueTime().toHours() + " h; last reply: " + reply));
        }
        return envelope.with(List.of(recipient), r -> r.deferred(reply.toString(), now.plus(backoff(r.attempts() + 1))));
    }

    /** 1, 2, 4, ... minutes, at most an hour. */
    static Duration backoff(int attempts) {
        Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(attempts - 1, 20));
        return delay.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : delay;
    }

    private void finish(Envelope envelope) throws IOException {
        // Kept in memory first: should saving it fail, the retry knows who has the message already and sends them nothing again.
        queued.put(envelope.id(), envelope);
        if (!envelope.done()) {
            spool.update(envelope);
            schedule(envelope.id(), envelope.nextAttempt());
            return;
        }
        List<Envelope.Recipient> failed = envelope.recipients().stream().filter(r -> r.status() == Envelope.Status.FAILED).toList();
        if (!failed.isEmpty() && !envelope.sender().isEmpty()) {
            if (!bounced.contains(envelope.id())) {
                Envelope bounce = Bounces.queue(spool, envelope, failed, settings.hostName(), clock);
                bounced.add(envelope.id());
                submit(bounce);
            }
        } else if (!failed.isEmpty()) {
            LOG.warning("delivery: bounce " + envelope.id() + " could not be delivered to " + failed.stream().map(Envelope.Recipient::address).toList()
                    + "; dropped, as bounces are never bounced (RFC 5321 6.1)");
        }
        spool.remove(envelope.id());
        queued.remove(envelope.id());
        scheduled.remove(envelope.id());
        bounced.remove(envelope.id());
    }

    /** How the group's copy is written: the spooled bytes as they are, or protected and encrypted to the group's keys. */
    private SmtpClient.MessageBody copyFor(Envelope envelope, HeaderSection headers, GroupKey key, List<Decision> decisions, Optional<SmimeChoice> smimeChoice) {
        List<String> added = settings.policyHeader().isEmpty() ? List.of() : List.of(settings.policyHeader() + ": " + decisions.get(0).headerValue());
        return switch (key.action()) {
            case CLEAR -> out -> {
                for (String field : added) {
                    out.write((field + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                try (InputStream in = spool.open(envelope.id())) {
                    in.transferTo(out);
                }
            };
            case SMIME -> protectedCopy(envelope, headers, encryptions.smime(smimeChoice.orElseThrow(), key.signed()), added, Optional.empty());
            case PGP -> protectedCopy(envelope, headers, encryptions.pgp(decisions.stream().flatMap(d -> d.openPgpKeys().stream()).toList()), added,
                    Optional.empty());
            case PASSWORD -> passwordCopy(envelope, headers, decisions.get(0), added);
            case HOLD, DEFER, REJECT -> throw new IllegalStateException(key.action() + " copies are never sent");
        };
    }

    private SmtpClient.MessageBody passwordCopy(Envelope envelope, HeaderSection headers, Decision decision, List<String> added) {
        try {
            return protectedCopy(envelope, headers, encryptions.password(decision.passwordFormat(), decision.passphrase()), added,
                    Optional.of(PasswordNotice.text(envelope.sender(), decision.passwordFormat())));
        } finally {
            java.util.Arrays.fill(decision.passphrase(), '\0');
        }
    }

    private SmtpClient.MessageBody protectedCopy(Envelope envelope, HeaderSection headers, org.letterlock.mail.message.EntityEncryption encryption, List<String> added,
                                                 Optional<String> notice) {
        return out -> {
            try (InputStream in = new BufferedInputStream(spool.open(envelope.id()), 64 * 1024)) {
                // The section was parsed once, for the decision; here its bytes are only stepped over.
                in.skipNBytes(headers.length());
                ProtectedMessage.write(headers, in, encryption, added, notice, out);
            }
        };
    }

    private HeaderSection readHeaders(String id) throws IOException {
        try (InputStream in = new BufferedInputStream(spool.open(id), 64 * 1024)) {
            return HeaderSection.read(in, 2 * 1024 * 1024);
        }
    }

    private void record(Envelope envelope, String recipient, Decision decision, SmtpClient client, Reply reply) {
        String detail = "message " + envelope.id() + ": " + decision.headerValue() + "; tls " + (client == null ? "none" : client.tls()) + "; reply " + reply;
        Outcome outcome = reply.positive() ? Outcome.ALLOWED : Outcome.FAILED;
        audit.recordAsync(new AuditEvent(Actor.current(), "gateway.deliver", "mailbox:" + recipient, outcome, detail));
        if (!reply.positive()) {
            LOG.info("delivery: " + recipient + " " + detail);
        }
    }

    @Override
    public void close() {
        running = false;
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        hops.close();
    }

    /**
     * Copies that can be one transaction: same route, action and reason. A passphrase copy is its recipient's own, and
     * so is a stored copy: encrypted to its owner alone, so a mailbox never shows whom else (a Bcc) the message went to.
     */
    private record GroupKey(Route route, Decision.Action action, String reason, boolean signed, String ownRecipient) {
    }

    /** A message due at a time of the delivery's clock. */
    private final class Due implements Delayed {
        private final String id;
        private final Instant at;
        private final long number;

        Due(String id, Instant at, long number) {
            this.id = id;
            this.at = at;
            this.number = number;
        }

        String id() {
            return id;
        }

        long number() {
            return number;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.instant(), at).toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return at.compareTo(((Due) other).at);
        }
    }
}
