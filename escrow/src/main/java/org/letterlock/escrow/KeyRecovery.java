package org.letterlock.escrow;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.MailboxCertificates;
import org.letterlock.ca.Requester;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.EscrowSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.AdminAccount;
import org.letterlock.platform.identity.AdminAccounts;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.identity.MailboxIdentities;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.mail.MailSender;

/**
 * Recovery under dual control: a request names the mailbox and the reason; M distinct recovery agents other than the
 * requester approve it (any one agent's denial ends it); the requester then downloads every archived decryption key of
 * the mailbox once, as PKCS#12 under a one-time passphrase. Each step is audited and the mailbox is told by mail.
 */
public final class KeyRecovery {
    private static final Logger LOG = Logger.getLogger(KeyRecovery.class.getName());
    private static final int MAX_REASON = 1000;

    private final EscrowSettings settings;
    private final EscrowStore store;
    private final RecoveryKeys recoveryKeys;
    private final KeyEscrow escrow;
    private final MailboxCertificates ca;
    private final AdminAccounts accounts;
    private final MailboxIdentities identities;
    private final MailSender mail;
    private final AuditRecorder audit;
    private final Clock clock;

    /** A delivered recovery: the PKCS#12 with every key, its one-time passphrase, and how many keys it holds. */
    public record RecoveredKeys(RecoveryRequest request, byte[] pkcs12, char[] passphrase, Pkcs12Format format, int keys) {
    }

    KeyRecovery(EscrowSettings settings, EscrowStore store, RecoveryKeys recoveryKeys, KeyEscrow escrow, MailboxCertificates ca, AdminAccounts accounts,
                MailboxIdentities identities, MailSender mail, AuditRecorder audit, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.recoveryKeys = recoveryKeys;
        this.escrow = escrow;
        this.ca = ca;
        this.accounts = accounts;
        this.identities = identities;
        this.mail = mail;
        this.audit = audit;
        this.clock = clock;
    }

    /** Opens a request: by the mailbox's owner, an RA officer, or a recovery agent. */
    public RecoveryRequest request(String mailbox, String reason, Requester requester) {
        String address;
        try {
            address = MailAddress.normalise(mailbox);
        } catch (LetterlockException e) {
            throw audit.refusal("escrow.recovery.request", "mailbox:" + mailbox, ErrorType.BAD_REQUEST, e.getMessage());
        }
        String target = "mailbox:" + address;
        authorizeRecovery(requester, address, "escrow.recovery.request");
        if (reason == null || reason.isBlank() || reason.length() > MAX_REASON) {
            throw audit.refusal("escrow.recovery.request", target, ErrorType.BAD_REQUEST, "give the reason for the recovery (1 to " + MAX_REASON + " characters)");
        }
        if (store.archives(address).isEmpty()) {
            throw audit.refusal("escrow.recovery.request", target, ErrorType.NOT_FOUND, "no decryption key of " + address + " is archived");
        }
        List<String> agents = accounts.list().stream().filter(a -> !a.disabled() && a.has(Role.RECOVERY_AGENT)).map(AdminAccount::name).toList();
        long otherAgents = agents.stream().filter(a -> !a.equals(requester.name())).count();
        if (agents.size() < settings.agents() || otherAgents < settings.approvals()) {
            throw audit.refusal("escrow.recovery.request", target, ErrorType.CONFLICT, "recovery needs " + settings.approvals() + " of " + settings.agents()
                    + " recovery agents, and " + settings.approvals() + " of them other than the requester; there are " + agents.size()
                    + " enabled recovery-agent accounts (letterlock.escrow.recovery.approvals / .agents)");
        }
        // Whole microseconds: what the database keeps, so the sealed content reads back the same.
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        RecoveryRequest unsealed = new RecoveryRequest(UUID.randomUUID().toString(), address, reason.strip(), requester.name(), RecoveryRequest.State.PENDING,
                settings.approvals(), now, now.plus(settings.recoveryExpiry()), Optional.empty(), List.of(), Optional.empty(), Optional.empty());
        RecoveryRequest created = unsealed.withRequestSeal(recoveryKeys.seal(ArchiveIntegrity.requestContent(unsealed)));
        store.insertRecovery(created);
        audit.record("escrow.recovery.request", "recovery:" + created.id(), Outcome.ALLOWED, target + " by " + requester.name() + ": " + created.reason());
        notifyOwner(created, "Recovery of your encryption keys was requested",
                requester.name() + " asked to recover the decryption keys of " + address + ".\nReason: " + created.reason() + "\n\n"
                        + "It needs the approval of " + settings.approvals() + " recovery agents and expires at " + created.expiresAt() + ".\n"
                        + "If you did not expect this, tell your security team.");
        return created;
    }

    /** A recovery agent may ask for any mailbox; anyone else (owner, RA officer) as the CA lets them act on it. */
    private void authorizeRecovery(Requester requester, String address, String action) {
        if (!requester.has(Role.RECOVERY_AGENT)) {
            ca.authorizeMailbox(requester, address, action);
        }
    }

    public RecoveryRequest approve(String id, Optional<String> comment, Requester agent) {
        RecoveryRequest request = decidable(id, agent, "escrow.recovery.approve");
        RecoveryRequest.State state = decide(request, agent, true, comment, "escrow.recovery.approve");
        RecoveryRequest decided = find(id);
        if (state == RecoveryRequest.State.RELEASED) {
            audit.record("escrow.recovery.release", "recovery:" + id, Outcome.ALLOWED, "mailbox:" + decided.mailbox() + " approved by " + decided.approvers()
                    + "; download by " + decided.requestedBy() + " until " + decided.expiresAt());
            notifyOwner(decided, "Your encryption keys were released for recovery",
                    "The recovery of the decryption keys of " + decided.mailbox() + " requested by " + decided.requestedBy() + " was approved by "
                            + decided.approvals() + " recovery agents. It can be downloaded once until " + decided.expiresAt() + ".");
        }
        return decided;
    }

    public RecoveryRequest deny(String id, Optional<String> comment, Requester agent) {
        RecoveryRequest request = decidable(id, agent, "escrow.recovery.deny");
        decide(request, agent, false, comment, "escrow.recovery.deny");
        RecoveryRequest denied = find(id);
        notifyOwner(denied, "Recovery of your encryption keys was denied", "The recovery of the decryption keys of " + denied.mailbox() + " requested by "
                + denied.requestedBy() + " was denied by " + agent.name() + ".");
        return denied;
    }

    private RecoveryRequest decidable(String id, Requester agent, String action) {
        String target = "recovery:" + id;
        if (!agent.has(Role.RECOVERY_AGENT)) {
            throw audit.refusal(action, target, ErrorType.FORBIDDEN, "only recovery agents approve or deny recoveries");
        }
        RecoveryRequest request = store.recovery(id).orElseThrow(() -> audit.refusal(action, target, ErrorType.NOT_FOUND, "no recovery request " + id));
        if (request.requestedBy().equals(agent.name())) {
            throw audit.refusal(action, target, ErrorType.FORBIDDEN, "the requester of a recovery can never approve or deny it");
        }
        if (identities.find(request.mailbox()).map(i -> i.owner().equals(agent.name())).orElse(false)) {
            throw audit.refusal(action, target, ErrorType.FORBIDDEN, "an agent does not decide on the recovery of their own mailbox");
        }
        requireOpen(expireIfDue(request), RecoveryRequest.State.PENDING, action);
        requireIntact(request, action);
        return request;
    }

    /**
     * The request must be as it was made and every decision as it was recorded (each sealed by the integrity key,
     * verified with the public key in the vault), needing at least the approvals configured: a row forged or edited in
     * the database is refused before it can count towards a release.
     */
    private void requireIntact(RecoveryRequest request, String action) {
        List<String> problems = new ArrayList<>();
        if (!recoveryKeys.sealed(request.requestSeal(), ArchiveIntegrity.requestContent(request))) {
            problems.add("the request is not as it was made");
        }
        if (request.approvalsNeeded() < settings.approvals()) {
            problems.add("it needs " + request.approvalsNeeded() + " approvals, fewer than the " + settings.approvals() + " configured");
        }
        for (RecoveryRequest.Decision decision : request.decisions()) {
            if (!recoveryKeys.sealed(decision.seal(), ArchiveIntegrity.decisionContent(request.id(), decision))) {
                problems.add("the decision of " + decision.agent() + " was not recorded by the server");
            }
        }
        if (!problems.isEmpty()) {
            audit.record("escrow.integrity", "recovery:" + request.id(), Outcome.FAILED, "mailbox:" + request.mailbox() + ": " + String.join("; ", problems));
            throw audit.refusal(action, "recovery:" + request.id(), ErrorType.CONFLICT, "recovery " + request.id() + " was changed behind the server's back ("
                    + String.join("; ", problems) + "); nothing was recorded or released: make a new request");
        }
    }

    /** Records the decision and returns the state it left the request in (the store applies it under the row lock). */
    private RecoveryRequest.State decide(RecoveryRequest request, Requester agent, boolean approved, Optional<String> comment, String action) {
        String target = "recovery:" + request.id();
        Optional<String> text = comment.map(String::strip).filter(c -> !c.isEmpty());
        if (text.isPresent() && text.get().length() > MAX_REASON) {
            throw audit.refusal(action, target, ErrorType.BAD_REQUEST, "a comment is at most " + MAX_REASON + " characters");
        }
        if (request.decisions().stream().anyMatch(d -> d.agent().equals(agent.name()))) {
            throw audit.refusal(action, target, ErrorType.CONFLICT, agent.name() + " has decided on recovery " + request.id() + " already");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        RecoveryRequest.Decision unsealed = new RecoveryRequest.Decision(agent.name(), approved, text, now, Optional.empty());
        RecoveryRequest.Decision decision = unsealed.withSeal(recoveryKeys.seal(ArchiveIntegrity.decisionContent(request.id(), unsealed)));
        Optional<RecoveryRequest.State> state;
        LetterlockException[] notIntact = {null};
        try {
            // The release is sealed over the request as the deciding transaction stores it, checked first: a decision
            // forged in the database while this one was made still keeps the keys in.
            state = store.decide(request.id(), decision, now, now.plus(settings.downloadWindow()), released -> {
                try {
                    requireIntact(released, action);
                } catch (LetterlockException e) {
                    notIntact[0] = e;
                    throw e;
                }
                return recoveryKeys.seal(ArchiveIntegrity.releaseContent(released));
            });
        } catch (LetterlockException e) {
            throw e.type() == ErrorType.CONFLICT && e != notIntact[0]
                    ? audit.refusal(action, target, e.type(), agent.name() + " has decided on recovery " + request.id() + " already") : e;
        }
        if (state.isEmpty()) {
            RecoveryRequest current = find(request.id());
            throw audit.refusal(action, target, current.state() == RecoveryRequest.State.PENDING ? ErrorType.GONE : ErrorType.CONFLICT,
                    "recovery " + request.id() + " is " + describe(current) + "; nothing was recorded");
        }
        audit.record(action, target, Outcome.ALLOWED, "mailbox:" + request.mailbox() + text.map(c -> ": " + c).orElse("") + "; now "
                + state.get().name().toLowerCase(java.util.Locale.ROOT));
        return state.get();
    }

    /**
     * The requester's one download: every archived key of the mailbox, each checked (row signature, sealed key opens,
     * key matches its certificate) before anything is handed out. A damaged archive stops the whole delivery.
     */
    public RecoveredKeys download(String id, Pkcs12Format format, Optional<char[]> passphrase, Requester requester) {
        String target = "recovery:" + id;
        String action = "escrow.recovery.deliver";
        RecoveryRequest request = store.recovery(id).orElseThrow(() -> audit.refusal(action, target, ErrorType.NOT_FOUND, "no recovery request " + id));
        if (!request.requestedBy().equals(requester.name())) {
            throw audit.refusal(action, target, ErrorType.FORBIDDEN, "only the requester (" + request.requestedBy() + ") downloads a recovery");
        }
        // Still entitled now: a requester who lost the role or the mailbox since asking gets nothing.
        authorizeRecovery(requester, request.mailbox(), action);
        requireOpen(expireIfDue(request), RecoveryRequest.State.RELEASED, action);
        requireSealedRelease(request);
        requireIntact(request, action);
        char[] oneTime = Passphrases.chosenOrGenerated(passphrase);
        List<Pkcs12Files.Entry> entries = new ArrayList<>();
        for (ArchivedKey archive : store.archives(request.mailbox())) {
            entries.add(checkedEntry(archive, request));
        }
        byte[] pkcs12 = Pkcs12Files.build(entries, oneTime, format);
        if (!store.deliver(id, clock.instant())) {
            throw audit.refusal(action, target, ErrorType.GONE, "recovery " + id + " is " + describe(find(id)) + "; it is downloaded once");
        }
        RecoveryRequest delivered = find(id);
        audit.record(action, target, Outcome.ALLOWED, "mailbox:" + request.mailbox() + " " + entries.size() + " keys to " + requester.name() + " as " + format.id()
                + " PKCS#12");
        notifyOwner(delivered, "Your encryption keys were recovered", entries.size() + " decryption keys of " + request.mailbox() + " were delivered to "
                + requester.name() + " (recovery " + id + ").");
        return new RecoveredKeys(delivered, pkcs12, passphrase.isPresent() ? new char[0] : oneTime, format, entries.size());
    }

    /**
     * The release must carry the integrity key's signature over exactly this request, requester and set of approving
     * agents, enough of them, none of them the requester, and no denial: a row edited behind the server's back fails.
     */
    private void requireSealedRelease(RecoveryRequest request) {
        List<String> approvers = request.approvers();
        boolean sound = recoveryKeys.sealed(request.releaseSeal(), ArchiveIntegrity.releaseContent(request)) && approvers.size() >= request.approvalsNeeded() && !approvers.contains(request.requestedBy())
                && request.decisions().stream().allMatch(RecoveryRequest.Decision::approved);
        if (!sound) {
            audit.record("escrow.integrity", "recovery:" + request.id(), Outcome.FAILED, "mailbox:" + request.mailbox() + ": the release does not verify "
                    + "(requester " + request.requestedBy() + ", approvers " + approvers + ")");
            throw audit.refusal("escrow.recovery.deliver", "recovery:" + request.id(), ErrorType.CONFLICT, "recovery " + request.id()
                    + " has no valid release: its record does not match what the approving agents released; nothing was delivered");
        }
    }

    private Pkcs12Files.Entry checkedEntry(ArchivedKey archive, RecoveryRequest request) {
        String problem = null;
        Optional<IssuedCertificate> certificate = ca.find(archive.certificateSerial());
        PrivateKeyInfo key = null;
        if (!archive.mailbox().equals(request.mailbox()) || !recoveryKeys.intact(archive)) {
            problem = "its signature does not verify (changed bytes or owner)";
        } else if (certificate.isEmpty() || !certificate.get().mailbox().orElse("").equals(archive.mailbox())) {
            problem = "its certificate is missing or names another mailbox";
        } else if (!java.util.Arrays.equals(Sha256.of(Certificates.der(certificate.get().holder().getSubjectPublicKeyInfo())), archive.publicKeySha256())) {
            problem = "its certificate's public key is not the archived one";
        } else {
            try {
                key = recoveryKeys.unseal(archive);
                if (!KeyEscrow.matches(key, certificate.get().holder().getSubjectPublicKeyInfo())) {
                    problem = "the sealed key does not match its certificate";
                }
            } catch (LetterlockException e) {
                problem = e.getMessage();
            }
        }
        if (problem != null) {
            audit.record("escrow.integrity", "archive:" + archive.id(), Outcome.FAILED, "mailbox:" + request.mailbox() + " recovery " + request.id() + ": " + problem);
            throw audit.refusal("escrow.recovery.deliver", "recovery:" + request.id(), ErrorType.CONFLICT, "archive " + archive.id() + " of " + request.mailbox()
                    + " failed its integrity check (" + problem + "); nothing was delivered and the request stays released");
        }
        return escrow.entry(key, certificate.get());
    }

    public RecoveryRequest recovery(String id, Requester requester) {
        RecoveryRequest request = store.recovery(id).orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "no recovery request " + id));
        if (!request.requestedBy().equals(requester.name()) && !requester.has(Role.RECOVERY_AGENT) && !requester.has(Role.AUDITOR)) {
            throw audit.refusal("escrow.recovery.read", "recovery:" + id, ErrorType.FORBIDDEN, "only the requester, recovery agents and auditors see a recovery request");
        }
        return expireIfDue(request);
    }

    /** Agents and auditors see every request; others their own. */
    public List<RecoveryRequest> recoveries(Optional<RecoveryRequest.State> state, Requester requester) {
        expireOverdue();
        boolean all = requester.has(Role.RECOVERY_AGENT) || requester.has(Role.AUDITOR);
        return store.recoveries(state, all ? Optional.empty() : Optional.of(requester.name()), 1000);
    }

    /** Expires every request whose time ran out; run by the scheduler, and before answers that list requests. */
    public void expireOverdue() {
        store.overdue(clock.instant()).forEach(this::expireIfDue);
    }

    private RecoveryRequest expireIfDue(RecoveryRequest request) {
        Instant now = clock.instant();
        boolean open = request.state() == RecoveryRequest.State.PENDING || request.state() == RecoveryRequest.State.RELEASED;
        if (!open || now.isBefore(request.expiresAt())) {
            return request;
        }
        if (store.transition(request.id(), request.state(), RecoveryRequest.State.EXPIRED, now)) {
            audit.record("escrow.recovery.expire", "recovery:" + request.id(), Outcome.ALLOWED, "mailbox:" + request.mailbox() + " "
                    + request.state().name().toLowerCase() + " since " + request.createdAt() + ", expired at " + request.expiresAt());
            notifyOwner(request, "A recovery of your encryption keys expired", "The recovery of the decryption keys of " + request.mailbox() + " requested by "
                    + request.requestedBy() + " expired at " + request.expiresAt() + " without being " + (request.state() == RecoveryRequest.State.PENDING
                    ? "approved." : "downloaded."));
        }
        return find(request.id());
    }

    private void requireOpen(RecoveryRequest request, RecoveryRequest.State wanted, String action) {
        if (request.state() != wanted) {
            ErrorType type = request.state() == RecoveryRequest.State.EXPIRED || request.state() == RecoveryRequest.State.DELIVERED ? ErrorType.GONE : ErrorType.CONFLICT;
            throw audit.refusal(action, "recovery:" + request.id(), type, "recovery " + request.id() + " is " + describe(request));
        }
    }

    private static String describe(RecoveryRequest request) {
        return switch (request.state()) {
            case PENDING -> "waiting for approvals (" + request.approvals() + " of " + request.approvalsNeeded() + ")";
            case RELEASED -> "released and waiting for its download";
            case DENIED -> "denied";
            case EXPIRED -> "expired" + request.closedAt().map(t -> " at " + t).orElse("");
            case DELIVERED -> "delivered already" + request.closedAt().map(t -> " at " + t).orElse("");
        };
    }

    private RecoveryRequest find(String id) {
        return store.recovery(id).orElseThrow();
    }

    /** The owner hears of every step; a relay failure is logged and never blocks the recovery. */
    private void notifyOwner(RecoveryRequest request, String subject, String body) {
        try {
            mail.send(request.mailbox(), subject, body + "\n\nRecovery request " + request.id() + ".\n");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not tell " + request.mailbox() + " about recovery " + request.id(), e);
        }
    }
}
