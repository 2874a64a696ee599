package org.letterlock.escrow.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.web.CaResource;
import org.letterlock.ca.web.Requesters;
import org.letterlock.escrow.ArchivedKey;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.escrow.KeyRecovery;
import org.letterlock.escrow.Pkcs12Format;
import org.letterlock.escrow.RecoveryKey;
import org.letterlock.escrow.RecoveryRequest;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.web.Allow;
import org.letterlock.platform.web.Public;
import org.letterlock.vault.KeySpec;

/**
 * Escrow's REST API: the transport certificate, key generation and archiving for owners, recovery requests, agents'
 * decisions and the one download. Which mailbox a caller may act on, and who may decide, is escrow's own rule.
 */
@Path("escrow")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "escrow", description = "Archive of mailbox encryption keys and their recovery under M-of-N approval")
public class EscrowResource {
    private static final String PEM = "application/x-pem-file";
    private static final CacheControl NO_STORE = CacheControl.valueOf("no-store");
    /** Base64 of escrow's 64 KiB limit on the CMS, with room for PEM lines. */
    private static final int MAX_CMS_TEXT = 100_000;

    @Inject
    EscrowRuntime runtime;

    @Context
    SecurityContext security;

    /** A key generation request: everything but the mailbox is optional. */
    public record NewKey(String mailbox, String keySpec, String passphrase, String format, String pair) {
    }

    public record GeneratedKeyView(CaResource.CertificateView certificate, ArchiveView archive, String format, String pkcs12, String passphrase) {
    }

    /** A client-made key for archiving: {@code encryptedKey} is CMS (DER, base64 or PEM) to the transport certificate, holding the PKCS#8 key. */
    public record SubmittedKey(String certificate, String encryptedKey) {
    }

    public record ArchiveView(String id, String mailbox, String certificate, String origin, String keySpec, String recoveryKey, String createdAt, String createdBy) {
        static ArchiveView of(ArchivedKey a) {
            return new ArchiveView(a.id(), a.mailbox(), IssuedCertificate.hex(a.certificateSerial()), a.origin().name().toLowerCase(Locale.ROOT), a.keySpec(),
                    a.recoveryKeyId(), a.createdAt().toString(), a.createdBy());
        }
    }

    public record RecoveryKeyView(String id, String state, String certificate, String notAfter, String createdAt) {
        static RecoveryKeyView of(RecoveryKey k) {
            return new RecoveryKeyView(k.id(), k.state().name().toLowerCase(Locale.ROOT), Certificates.pem(k.certificate()),
                    k.certificate().getNotAfter().toInstant().toString(), k.createdAt().toString());
        }
    }

    public record NewRecovery(String mailbox, String reason) {
    }

    public record Decision(String comment) {
    }

    public record DecisionView(String agent, boolean approved, String comment, String at) {
    }

    public record RecoveryView(String id, String mailbox, String reason, String requestedBy, String state, int approvalsNeeded, long approvals,
                               List<DecisionView> decisions, String createdAt, String expiresAt, String closedAt) {
        static RecoveryView of(RecoveryRequest r) {
            return new RecoveryView(r.id(), r.mailbox(), r.reason(), r.requestedBy(), r.state().name().toLowerCase(Locale.ROOT), r.approvalsNeeded(), r.approvals(),
                    r.decisions().stream().map(d -> new DecisionView(d.agent(), d.approved(), d.comment().orElse(null), d.at().toString())).toList(),
                    r.createdAt().toString(), r.expiresAt().toString(), r.closedAt().map(Object::toString).orElse(null));
        }
    }

    public record DownloadRequest(String format, String passphrase) {
    }

    public record DownloadView(RecoveryView recovery, int keys, String format, String pkcs12, String passphrase) {
    }

    @GET
    @Path("transport-certificate")
    @Produces(PEM)
    @Public
    @Operation(summary = "The recovery transport certificate (PEM): clients encrypt the keys they archive to it")
    public String transportCertificate() {
        return Certificates.pem(escrow().recoveryKeys().active().certificate());
    }

    @GET
    @Path("recovery-keys")
    @Allow({Role.CA_ADMIN, Role.RECOVERY_AGENT, Role.AUDITOR})
    @Operation(summary = "Escrow's recovery keys, oldest first: the active one and the retired ones that still open older archives")
    public List<RecoveryKeyView> recoveryKeys() {
        return escrow().recoveryKeys().all().stream().map(RecoveryKeyView::of).toList();
    }

    @POST
    @Path("recovery-keys/rotate")
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "Make a new recovery key; new archives are sealed to it, the old one keeps opening what was sealed to it")
    public Response rotate() {
        return Response.status(Response.Status.CREATED).entity(RecoveryKeyView.of(escrow().recoveryKeys().rotate())).build();
    }

    @POST
    @Path("keys")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER})
    @Operation(summary = "Generate an encryption key for a verified mailbox, archive it, certify it (mailbox-encryption) and return it once as PKCS#12")
    public Response generate(NewKey request) {
        if (request == null || request.mailbox() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"mailbox\": \"...\"} and optionally keySpec, passphrase, format (modern|legacy), pair");
        }
        Optional<KeySpec> spec = Optional.ofNullable(request.keySpec()).filter(s -> !s.isBlank()).map(EscrowResource::keySpec);
        KeyEscrow.GeneratedKey generated = escrow().keys().generate(request.mailbox(), spec, Optional.ofNullable(request.passphrase()).map(String::toCharArray),
                Pkcs12Format.parse(request.format()), Optional.ofNullable(request.pair()).filter(p -> !p.isBlank()), requester());
        return Response.status(Response.Status.CREATED).cacheControl(NO_STORE)
                .entity(new GeneratedKeyView(CaResource.CertificateView.of(generated.certificate()), ArchiveView.of(generated.archive()), generated.format().id(),
                        Base64.getEncoder().encodeToString(generated.pkcs12()), generated.generatedPassphrase().map(String::new).orElse(null))).build();
    }

    @POST
    @Path("archives")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER})
    @Operation(summary = "Archive a client-made encryption key: CMS to the transport certificate holding the key of a mailbox-encryption certificate")
    public Response archive(SubmittedKey request) {
        if (request == null || request.certificate() == null || request.encryptedKey() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"certificate\": \"<serial>\", \"encryptedKey\": \"<CMS, base64 DER or PEM>\"}");
        }
        ArchivedKey archived = escrow().keys().archiveSubmitted(CaResource.serial(request.certificate()), cms(request.encryptedKey()), requester());
        return Response.status(Response.Status.CREATED).entity(ArchiveView.of(archived)).build();
    }

    @GET
    @Path("archives")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR})
    @Operation(summary = "The archive records of a mailbox (never the keys)")
    public List<ArchiveView> archives(@QueryParam("mailbox") String mailbox) {
        if (mailbox == null || mailbox.isBlank()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "name the mailbox: ?mailbox=...");
        }
        return escrow().keys().archives(mailbox, requester()).stream().map(ArchiveView::of).toList();
    }

    @POST
    @Path("recoveries")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT})
    @Operation(summary = "Request the recovery of a mailbox's decryption keys; recovery agents other than the requester approve it")
    public Response request(NewRecovery request) {
        if (request == null || request.mailbox() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"mailbox\": \"...\", \"reason\": \"...\"}");
        }
        RecoveryRequest created = escrow().recovery().request(request.mailbox(), request.reason(), requester());
        return Response.status(Response.Status.CREATED).entity(RecoveryView.of(created)).build();
    }

    @GET
    @Path("recoveries")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR})
    @Operation(summary = "Recovery requests, newest first (?state=pending|released|denied|expired|delivered); agents and auditors see all, others their own")
    public List<RecoveryView> recoveries(@QueryParam("state") String state) {
        return escrow().recovery().recoveries(Optional.ofNullable(state).filter(s -> !s.isBlank()).map(EscrowResource::state), requester()).stream()
                .map(RecoveryView::of).toList();
    }

    @GET
    @Path("recoveries/{id}")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT, Role.AUDITOR})
    @Operation(summary = "One recovery request with its decisions")
    public RecoveryView recovery(@PathParam("id") String id) {
        return RecoveryView.of(escrow().recovery().recovery(id, requester()));
    }

    @POST
    @Path("recoveries/{id}/approve")
    @Allow({Role.RECOVERY_AGENT})
    @Operation(summary = "Approve a recovery (never your own request); the M-th approval releases it")
    public RecoveryView approve(@PathParam("id") String id, Decision decision) {
        return RecoveryView.of(escrow().recovery().approve(id, comment(decision), requester()));
    }

    @POST
    @Path("recoveries/{id}/deny")
    @Allow({Role.RECOVERY_AGENT})
    @Operation(summary = "Deny a recovery; one denial ends the request")
    public RecoveryView deny(@PathParam("id") String id, Decision decision) {
        return RecoveryView.of(escrow().recovery().deny(id, comment(decision), requester()));
    }

    @POST
    @Path("recoveries/{id}/download")
    @Allow({Role.MAILBOX_OWNER, Role.RA_OFFICER, Role.RECOVERY_AGENT})
    @Operation(summary = "The requester's one download of a released recovery: every archived key of the mailbox as PKCS#12 under a one-time passphrase")
    public Response download(@PathParam("id") String id, DownloadRequest request) {
        KeyRecovery.RecoveredKeys recovered = escrow().recovery().download(id, Pkcs12Format.parse(request == null ? null : request.format()),
                Optional.ofNullable(request == null ? null : request.passphrase()).map(String::toCharArray), requester());
        return Response.ok(new DownloadView(RecoveryView.of(recovered.request()), recovered.keys(), recovered.format().id(),
                Base64.getEncoder().encodeToString(recovered.pkcs12()), recovered.passphrase().length == 0 ? null : new String(recovered.passphrase())))
                .cacheControl(NO_STORE).build();
    }

    private Escrow escrow() {
        return runtime.escrow();
    }

    private Requester requester() {
        return Requesters.of(security);
    }

    private static Optional<String> comment(Decision decision) {
        return Optional.ofNullable(decision).map(Decision::comment);
    }

    private static KeySpec keySpec(String name) {
        try {
            return KeySpec.fromConfigName(name);
        } catch (IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, e.getMessage());
        }
    }

    private static RecoveryRequest.State state(String name) {
        try {
            return RecoveryRequest.State.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "state must be one of pending, released, denied, expired, delivered; got '" + name + "'");
        }
    }

    /** CMS as base64 DER, or PEM with any label (openssl cms -outform PEM writes "CMS"). */
    private static byte[] cms(String text) {
        if (text.length() > MAX_CMS_TEXT) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "encryptedKey is longer than " + MAX_CMS_TEXT + " characters");
        }
        String body = text.replaceAll("-----(BEGIN|END) [A-Z0-9 ]+-----", "").replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(body.getBytes(StandardCharsets.US_ASCII));
            if (der.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return der;
        } catch (IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "encryptedKey must be CMS as base64 DER or PEM");
        }
    }
}
