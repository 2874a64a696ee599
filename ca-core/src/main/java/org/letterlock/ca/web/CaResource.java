package org.letterlock.ca.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.web.Allow;
import org.letterlock.platform.web.Public;

/**
 * The CA's REST API: issuers, issuance, search, fetch, revocation, pairs. Role checks are the filter's; which
 * mailbox and which profile a caller may use is the CA's own rule ({@code CertificateAuthority}).
 * One instance serves every request (making one per request was 4% of the server's time under issuance load): it
 * holds no request state, and the SecurityContext Jersey injects is a proxy to the current request's.
 */
@Path("ca")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "ca", description = "Certificate authority: issuance, revocation, pairs, issuers")
public class CaResource {
    static final String PEM = "application/x-pem-file";
    static final String DER = "application/pkix-cert";
    private static final int MAX_PEM_CHARS = 256 * 1024;

    @Inject
    CaRuntime runtime;

    @Context
    SecurityContext security;

    public record IssuerView(String id, String kind, String state, String subject, boolean active, String notAfter, String certificate,
                             String ocspResponderCertificate, String crl, String deltaCrl) {
    }

    public record CertificateView(String serial, String issuer, String profile, String mailbox, String subject, String notBefore, String notAfter,
                                  String pair, String requestedBy, String issuedAt, String revokedAt, String revocationReason, String certificate) {
        public static CertificateView of(IssuedCertificate c) {
            return new CertificateView(c.serialHex(), c.issuerId(), c.profile(), c.mailbox().orElse(null), c.subject(), c.notBefore().toString(),
                    c.notAfter().toString(), c.pairId().orElse(null), c.requestedBy(), c.issuedAt().toString(),
                    c.revocation().map(r -> r.at().toString()).orElse(null), c.revocation().map(r -> r.reason().rfcName()).orElse(null),
                    Certificates.pem("CERTIFICATE", c.der()));
        }
    }

    /** An issuance request; {@code csr} is PEM (or base64 DER). */
    public record NewCertificate(String profile, String csr, String mailbox, List<String> hosts, String pair, Integer validityDays, Boolean nonRepudiation) {
    }

    public record Revocation(String reason, Boolean pair) {
    }

    public record Renewal(String signingCsr, String encryptionCsr) {
    }

    public record PairView(String id, List<CertificateView> certificates) {
    }

    @GET
    @Path("issuers")
    @Public
    @Operation(summary = "The CA's issuers (root, issuing CAs, retired ones), with certificates and CRL URLs")
    public List<IssuerView> issuers() {
        return runtime.ca().issuers().stream().map(this::view).toList();
    }

    private IssuerView view(IssuerRecord issuer) {
        return new IssuerView(issuer.id(), issuer.kind().label(), issuer.state().name().toLowerCase(), issuer.subject(),
                issuer.issuing() && issuer.state() == IssuerRecord.State.ACTIVE,
                issuer.certificate().map(c -> c.getNotAfter().toInstant().toString()).orElse(null),
                issuer.certificate().map(Certificates::pem).orElse(null), issuer.ocspCertificate().map(Certificates::pem).orElse(null),
                issuer.key().isPresent() ? "/crl/" + issuer.id() + ".crl" : null, issuer.key().isPresent() ? "/crl/" + issuer.id() + "-delta.crl" : null);
    }

    @GET
    @Path("issuers/{id}/csr")
    @Produces(PEM)
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "The CSR of an issuing CA waiting for an external root's signature")
    public String issuerRequest(@PathParam("id") String id) {
        IssuerRecord issuer = runtime.ca().issuer(id).orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "no issuer " + id));
        byte[] csr = issuer.csr().orElseThrow(() -> new LetterlockException(ErrorType.NOT_FOUND, "issuer " + id + " was not made from a CSR"));
        return Certificates.pem("CERTIFICATE REQUEST", csr);
    }

    @POST
    @Path("issuers/{id}/certificate")
    @Consumes({PEM, MediaType.TEXT_PLAIN})
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "Import the certificate an external root signed for a pending issuing CA (PEM: the certificate, then the chain up to the root)")
    public IssuerView importCertificate(@PathParam("id") String id, String pem) {
        return view(runtime.ca().importIssuingCertificate(id, readCertificates(pem), requester()));
    }

    @POST
    @Path("issuers/rollover")
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "Make a new issuing CA of a kind (issuing: mailboxes, the default; tls-issuing: TLS servers); the current one of that kind "
            + "retires and keeps serving CRL and OCSP")
    public Response rollover(@QueryParam("kind") String kind) {
        String label = kind == null || kind.isBlank() ? IssuerRecord.Kind.ISSUING.label() : kind;
        IssuerRecord.Kind issuing = IssuerRecord.Kind.ofLabel(label).filter(IssuerRecord.Kind::issuing)
                .orElseThrow(() -> new LetterlockException(ErrorType.BAD_REQUEST, "kind must be issuing or tls-issuing, not '" + label + "'"));
        return Response.status(Response.Status.CREATED).entity(view(runtime.ca().rollover(issuing, requester()))).build();
    }

    @POST
    @Path("crls")
    @Allow({Role.CA_ADMIN})
    @Operation(summary = "Sign new full and delta CRLs for every issuer now")
    public List<IssuerView> publishCrls() {
        runtime.ca().publishAllCrls();
        return issuers();
    }

    @POST
    @Path("certificates")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Issue a certificate from a PKCS#10 request: mailbox-signing, mailbox-encryption (pair with a signing one), "
            + "mailbox-multipurpose or tls-server")
    public Response issue(NewCertificate request, @Context UriInfo uri) {
        if (request == null || request.profile() == null || request.csr() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"profile\": ..., \"csr\": \"-----BEGIN CERTIFICATE REQUEST-----...\", \"mailbox\": ...}");
        }
        IssuedCertificate issued = runtime.ca().issue(new IssueRequest(request.profile(), Optional.of(request.csr().getBytes(StandardCharsets.US_ASCII)),
                Optional.empty(), Optional.ofNullable(request.mailbox()), request.hosts(), Optional.ofNullable(request.pair()),
                request.validityDays() == null ? OptionalInt.empty() : OptionalInt.of(request.validityDays()),
                Boolean.TRUE.equals(request.nonRepudiation())), requester());
        return Response.created(uri.getBaseUriBuilder().path("ca/certificates").path(issued.serialHex()).build()).entity(CertificateView.of(issued)).build();
    }

    @GET
    @Path("certificates")
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.AUDITOR, Role.MAILBOX_OWNER})
    @Operation(summary = "Search certificates by mailbox, profile and revocation; owners see their own mailboxes only")
    public List<CertificateView> search(@QueryParam("mailbox") String mailbox, @QueryParam("profile") String profile, @QueryParam("revoked") Boolean revoked,
                                        @QueryParam("limit") Integer limit) {
        return runtime.ca().search(mailbox, profile, revoked, limit == null ? 100 : limit, requester()).stream().map(CertificateView::of).toList();
    }

    @GET
    @Path("certificates/{serial}")
    @Produces({MediaType.APPLICATION_JSON, PEM, DER})
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.AUDITOR, Role.MAILBOX_OWNER})
    @Operation(summary = "One certificate: JSON, or PEM / DER by Accept header")
    public Response certificate(@PathParam("serial") String serial, @Context HttpHeaders headers) {
        IssuedCertificate certificate = runtime.ca().certificate(serial(serial), requester());
        List<MediaType> accepted = headers.getAcceptableMediaTypes();
        if (prefers(accepted, DER)) {
            return Response.ok(certificate.der(), DER).build();
        }
        if (prefers(accepted, PEM)) {
            return Response.ok(Certificates.pem("CERTIFICATE", certificate.der()), PEM).build();
        }
        return Response.ok(CertificateView.of(certificate), MediaType.APPLICATION_JSON).build();
    }

    private static boolean prefers(List<MediaType> accepted, String type) {
        return !accepted.isEmpty() && !accepted.get(0).isWildcardType() && accepted.get(0).isCompatible(MediaType.valueOf(type));
    }

    @GET
    @Path("certificates/{serial}/chain")
    @Produces(PEM)
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.AUDITOR, Role.MAILBOX_OWNER})
    @Operation(summary = "The certificate and its issuers up to the root, PEM")
    public String chain(@PathParam("serial") String serial) {
        IssuedCertificate certificate = runtime.ca().certificate(serial(serial), requester());
        StringBuilder pem = new StringBuilder(Certificates.pem("CERTIFICATE", certificate.der()));
        for (X509CertificateHolder issuer : runtime.ca().chain(certificate.issuerId())) {
            pem.append(Certificates.pem(issuer));
        }
        return pem.toString();
    }

    @POST
    @Path("certificates/{serial}/revoke")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Revoke with an RFC 5280 reason; \"pair\": true revokes the pair's other certificate too")
    public List<CertificateView> revoke(@PathParam("serial") String serial, Revocation request) {
        return runtime.ca().revoke(serial(serial), reason(request), request != null && Boolean.TRUE.equals(request.pair()), requester()).stream()
                .map(CertificateView::of).toList();
    }

    @GET
    @Path("pairs/{id}")
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.AUDITOR, Role.MAILBOX_OWNER})
    @Operation(summary = "A mailbox's signing and encryption certificates, linked as a pair")
    public PairView pair(@PathParam("id") String id) {
        return new PairView(id, runtime.ca().pair(id, requester()).stream().map(CertificateView::of).toList());
    }

    @POST
    @Path("pairs/{id}/revoke")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.RA_OFFICER, Role.CA_ADMIN, Role.MAILBOX_OWNER})
    @Operation(summary = "Revoke every certificate of a pair")
    public List<CertificateView> revokePair(@PathParam("id") String id, Revocation request) {
        return runtime.ca().revokePair(id, reason(request), requester()).stream().map(CertificateView::of).toList();
    }

    @POST
    @Path("pairs/{id}/renew")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allow({Role.RA_OFFICER, Role.MAILBOX_OWNER})
    @Operation(summary = "Renew a pair: a new signing certificate from a new CSR (and an encryption one from encryptionCsr until escrow makes them)")
    public Response renew(@PathParam("id") String id, Renewal request) {
        if (request == null || request.signingCsr() == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send {\"signingCsr\": \"-----BEGIN CERTIFICATE REQUEST-----...\", \"encryptionCsr\": optional}");
        }
        List<IssuedCertificate> renewed = runtime.ca().renewPair(id, request.signingCsr().getBytes(StandardCharsets.US_ASCII),
                Optional.ofNullable(request.encryptionCsr()).map(c -> c.getBytes(StandardCharsets.US_ASCII)), requester());
        return Response.status(Response.Status.CREATED)
                .entity(new PairView(renewed.get(0).pairId().orElseThrow(), renewed.stream().map(CertificateView::of).toList())).build();
    }

    /** No body, or no reason in it: unspecified. */
    private static RevocationReason reason(Revocation request) {
        return RevocationReason.parse(request == null ? null : request.reason());
    }

    private Requester requester() {
        return Requesters.of(security);
    }

    /** A serial number as callers write it: hex, with or without 0x and colons. */
    public static BigInteger serial(String serial) {
        String digits = serial == null ? "" : serial.replaceFirst("(?i)^0x", "").replace(":", "");
        if (!digits.matches("(?i)[0-9a-f]{1,64}")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a serial is hexadecimal, e.g. 3a5f...; got '" + serial + "'");
        }
        return new BigInteger(digits, 16);
    }

    static List<X509CertificateHolder> readCertificates(String pem) {
        if (pem == null || pem.isBlank() || pem.length() > MAX_PEM_CHARS) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "send PEM certificates (at most " + MAX_PEM_CHARS / 1024 + " KiB)");
        }
        List<X509CertificateHolder> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new java.io.StringReader(pem))) {
            Object next;
            while ((next = parser.readObject()) != null) {
                if (!(next instanceof X509CertificateHolder certificate)) {
                    throw new LetterlockException(ErrorType.BAD_REQUEST, "expected only CERTIFICATE blocks, found " + next.getClass().getSimpleName());
                }
                certificates.add(certificate);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof LetterlockException letterlock) {
                throw letterlock;
            }
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the PEM does not parse: " + e.getMessage());
        }
        if (certificates.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "no CERTIFICATE block in the PEM");
        }
        return certificates;
    }

}
