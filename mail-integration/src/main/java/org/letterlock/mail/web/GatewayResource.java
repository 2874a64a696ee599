package org.letterlock.mail.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.ca.Requester;
import org.letterlock.ca.web.CaRuntime;
import org.letterlock.ca.web.Requesters;
import org.letterlock.mail.policy.RecipientRule;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.web.Allow;

/** The gateway's policies per organisation, domain and mailbox; passphrases for external recipients; the queue. */
@Path("gateway")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "gateway", description = "The SMTP gateway: recipient policies, passphrases for external recipients, the mail queue")
public class GatewayResource {

    @Inject
    MailGatewayRuntime runtime;

    @Inject
    CaRuntime caRuntime;

    @Context
    SecurityContext security;

    private static final java.util.Set<String> OWNER_FORMATS = java.util.Set.of("any", "smime", "pgp");

    public record Rule(String scope, String level, String encryption, String withoutKey, String passwordFormat, boolean sign, String externalSources, Instant updatedAt,
                       String updatedBy) {
        static Rule of(RecipientRule rule) {
            return new Rule(rule.scope(), rule.level(), RecipientRule.label(rule.encryption()), RecipientRule.label(rule.withoutKey()), RecipientRule.label(rule.passwordFormat()), rule.sign(),
                    RecipientRule.sourcesLabel(rule.externalSources()), rule.updatedAt(),
                    rule.updatedBy());
        }
    }

    public record RuleChange(String encryption, String withoutKey, String passwordFormat, Boolean sign, String externalSources) {
    }

    public record Passphrase(String sender, String recipient, String passphrase) {
    }

    public record QueuedRecipient(String address, String status, int attempts, Instant nextAttempt, String lastReply) {
    }

    public record QueuedMessage(String id, Instant received, String sender, List<QueuedRecipient> recipients) {
        static QueuedMessage of(Envelope envelope) {
            return new QueuedMessage(envelope.id(), envelope.received(), envelope.sender(), envelope.recipients().stream()
                    .map(r -> new QueuedRecipient(r.address(), RecipientRule.label(r.status()), r.attempts(), r.nextAttempt(), r.lastReply())).toList());
        }
    }

    @GET
    @Path("policies")
    @Allow({Role.CA_ADMIN, Role.AUDITOR})
    @Operation(summary = "Every rule set, by scope ('*' the organisation, a domain, a mailbox); without any, encryption 'any' and without-key 'clear' apply")
    public List<Rule> policies() {
        return runtime.policies().list().stream().map(Rule::of).toList();
    }

    @GET
    @Path("policies/effective")
    @Allow({Role.CA_ADMIN, Role.AUDITOR})
    @Operation(summary = "The rule that applies to a recipient now: ?recipient=addr")
    public Rule effective(@QueryParam("recipient") String recipient) {
        if (recipient == null || !recipient.contains("@")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "give ?recipient=<mailbox address>");
        }
        return Rule.of(runtime.policies().ruleFor(RecipientRule.scopeOf(recipient)));
    }

    @PUT
    @Path("policies/{scope}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Set the rule of a scope: {encryption: any|smime|pgp|password|none, withoutKey: clear|password|hold|reject, passwordFormat: cms|openpgp, "
            + "sign: true to sign S/MIME copies with the organisation's certificate, externalSources: partner-ldap,wkd,hkp to look keys up outside}; "
            + "a mailbox owner chooses only the format of their own verified mailbox's mail (encryption any|smime|pgp), the rest stays as it applies now")
    public Rule setPolicy(@PathParam("scope") String scope, RuleChange change) {
        if (change == null || change.encryption() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"encryption\": ..., \"withoutKey\": ..., \"passwordFormat\": ...}");
        }
        String by = security.getUserPrincipal().getName();
        Requester requester = Requesters.of(security);
        if (requester.has(Role.CA_ADMIN)) {
            return Rule.of(runtime.policies().set(scope, change.encryption(), change.withoutKey(), change.passwordFormat(), Boolean.TRUE.equals(change.sign()),
                    change.externalSources(), by));
        }
        String mailbox = ownMailbox(requester, scope, "gateway.policy.set");
        if (!OWNER_FORMATS.contains(change.encryption().trim().toLowerCase(java.util.Locale.ROOT))) {
            throw new LetterlockException(ErrorType.FORBIDDEN, "a mailbox owner chooses the format of their own mail (encryption any, smime or pgp); "
                    + "the rest of a rule is an admin's (role ca-admin)");
        }
        // The owner picks the format only: what happens without a key, signing and outside lookups stay as they apply now.
        RecipientRule now = runtime.policies().ruleFor(mailbox);
        return Rule.of(runtime.policies().set(mailbox, change.encryption(), RecipientRule.label(now.withoutKey()), RecipientRule.label(now.passwordFormat()), now.sign(),
                RecipientRule.sourcesLabel(now.externalSources()),
                by));
    }

    /** A mailbox owner acts on their own verified mailbox only; domains and the organisation are an admin's. */
    private String ownMailbox(Requester requester, String scope, String action) {
        String mailbox = RecipientRule.scopeOf(scope);
        if (!mailbox.contains("@")) {
            throw new LetterlockException(ErrorType.FORBIDDEN, "the rule of a domain or of the organisation needs role ca-admin");
        }
        caRuntime.ca().authorizeMailbox(requester, mailbox, action);
        return mailbox;
    }

    @DELETE
    @Path("policies/{scope}")
    @Allow({Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Remove a scope's rule, so it inherits the next level's (a mailbox owner: their own mailbox's)")
    public Response removePolicy(@PathParam("scope") String scope) {
        Requester requester = Requesters.of(security);
        if (!requester.has(Role.CA_ADMIN)) {
            ownMailbox(requester, scope, "gateway.policy.remove");
        }
        if (!runtime.policies().remove(scope)) {
            throw new LetterlockException(ErrorType.NOT_FOUND, "no rule is set for '" + scope + "'");
        }
        return Response.noContent().build();
    }

    @PUT
    @Path("passphrases")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Set the passphrase a sender's mail to an external recipient (mailbox or domain) is encrypted under: {sender, recipient, passphrase}; "
            + "a mailbox owner for their own verified mailbox, an admin for any sender or '*' (everyone); held mail is retried at once")
    public Response setPassphrase(Passphrase request) {
        if (request == null || request.sender() == null || request.recipient() == null || request.passphrase() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"sender\": ..., \"recipient\": ..., \"passphrase\": ...}");
        }
        authorizeSender(request.sender(), "gateway.passphrase.set");
        char[] passphrase = request.passphrase().toCharArray();
        try {
            runtime.passphrases().set(request.sender(), request.recipient(), passphrase, security.getUserPrincipal().getName());
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        runtime.retryAll();
        return Response.noContent().build();
    }

    @DELETE
    @Path("passphrases")
    @Allow({Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Remove a passphrase: ?sender=..&recipient=..")
    public Response removePassphrase(@QueryParam("sender") String sender, @QueryParam("recipient") String recipient) {
        authorizeSender(sender, "gateway.passphrase.remove");
        if (!runtime.passphrases().remove(sender, recipient)) {
            throw new LetterlockException(ErrorType.NOT_FOUND, "no passphrase is set for " + sender + " -> " + recipient);
        }
        return Response.noContent().build();
    }

    @GET
    @Path("queue")
    @Allow({Role.CA_ADMIN, Role.AUDITOR})
    @Operation(summary = "The messages in the queue and where each recipient stands (no content)")
    public List<QueuedMessage> queue() throws IOException {
        return runtime.spool().list().stream().map(QueuedMessage::of).toList();
    }

    /** '*' is an admin's; a mailbox, its verified owner's (or an admin's). */
    private void authorizeSender(String sender, String action) {
        Requester requester = Requesters.of(security);
        if (requester.has(Role.CA_ADMIN)) {
            return;
        }
        if (sender == null || sender.trim().equals(RecipientRule.ORGANISATION)) {
            throw new LetterlockException(ErrorType.FORBIDDEN, "a passphrase for every sender ('*') needs role ca-admin");
        }
        caRuntime.ca().authorizeMailbox(requester, sender.trim(), action);
    }
}
