package org.letterlock.enroll.acme;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.letterlock.ca.CertificationRequest;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollmentProof;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.enroll.web.EnrollExchange;
import org.letterlock.enroll.web.EnrollListener;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.identity.MailboxIdentities;
import org.letterlock.platform.store.Jdbc;

/**
 * The ACME server (RFC 8555) at {@code /acme} of the enrollment listener, for {@code email} identifiers with the
 * email-reply-00 challenge (RFC 8823). Every POST is a JWS checked here: a nonce this node made and nobody spent, the
 * {@code url} header equal to the request's URL, {@code jwk} for newAccount and {@code kid} otherwise, and the
 * signature of an ES256, RS256 or EdDSA key. Refusals are ACME problem documents, audited.
 */
public final class AcmeEndpoint implements EnrollListener.Handler {
    private static final Logger LOG = Logger.getLogger(AcmeEndpoint.class.getName());
    private static final int MAX_BODY = 64 * 1024;
    private static final String JOSE = "application/jose+json";
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    /** Finalized certificates kept for their download: at 200 orders/s, about five seconds' worth. */
    private static final int AWAITING_DOWNLOAD = 1_024;
    private static final String KEY_OF_ANOTHER_ACCOUNT = "the new key is the key of another account (see Location)";

    private final EnrollmentServices services;
    /** The vault's checks of outside keys' signatures, which check the accounts' JWS. */
    private final Function<SubjectPublicKeyInfo, ContentVerifierProvider> verifiers;
    private final AcmeOrders orders;
    private final MailboxIdentities identities;
    private final Nonces nonces;
    private final String base;
    private final byte[] directory;
    /** Issuer id -> its chain without the root, in PEM: made once per issuer. */
    private final Map<String, String> chains = new ConcurrentHashMap<>();
    /**
     * Certificates this node issued at finalize, by order id, until their download (which clients make right after):
     * it then needs no read of the store. A download elsewhere, or later, reads the store.
     */
    private final Map<String, IssuedCertificate> awaitingDownload = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, IssuedCertificate> eldest) {
            return size() > AWAITING_DOWNLOAD;
        }
    };

    AcmeEndpoint(EnrollmentServices services, AcmeOrders orders, MailboxIdentities identities) {
        this.services = services;
        this.verifiers = services.platform().vault()::verifier;
        this.orders = orders;
        this.identities = identities;
        this.nonces = new Nonces(services.clock(), orders.settings().nonceTtl());
        this.base = services.baseUrl() + EnrollmentServices.ACME_PATH;
        this.directory = AcmeJson.object().add("newNonce", base + "/new-nonce").add("newAccount", base + "/new-account").add("newOrder", base + "/new-order")
                .add("revokeCert", base + "/revoke-cert").add("keyChange", base + "/key-change").add("meta", AcmeJson.object().add("website", services.baseUrl().toString()).add("externalAccountRequired", false))
                .build().toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The endpoint over the platform's database, mail and mailbox identities. */
    public static AcmeEndpoint start(EnrollmentServices services) {
        var platform = services.platform();
        return new AcmeEndpoint(services, new AcmeOrders(new Jdbc(platform.database().dataSource()), platform.mail(), services.audit(), services.clock(),
                platform.config().enrollAcme(), platform.vault()::verifier), platform.identities());
    }

    @Override
    public void handle(EnrollExchange exchange) throws IOException {
        String path = exchange.path().substring(EnrollmentServices.ACME_PATH.length());
        exchange.setHeader("Link", "<" + base + "/directory>;rel=\"index\"");
        try {
            switch (path) {
                case "/directory" -> {
                    requireMethod(exchange, "GET", "HEAD");
                    exchange.respond(200, "application/json", directory);
                }
                case "/new-nonce" -> {
                    requireMethod(exchange, "GET", "HEAD");
                    exchange.setHeader("Replay-Nonce", nonces.next());
                    exchange.respond(exchange.method().equals("HEAD") ? 200 : 204, "", new byte[0]);
                }
                default -> post(exchange, path);
            }
        } catch (AcmeProblem problem) {
            refuse(exchange, path, problem);
        } catch (EnrollExchange.TooLarge e) {
            refuse(exchange, path, AcmeProblem.malformed(e.getMessage()));
        } catch (LetterlockException e) {
            refuse(exchange, path, problem(e));
        }
    }

    private void post(EnrollExchange exchange, String path) throws IOException {
        requireMethod(exchange, "POST");
        if (!exchange.contentType().equals(JOSE)) {
            throw new AcmeProblem("malformed", 415, "requests must be " + JOSE + ", not " + (exchange.contentType().isEmpty() ? "untyped" : exchange.contentType()));
        }
        SignedRequest request = SignedRequest.parse(exchange.body(MAX_BODY));
        if (!nonces.spend(request.nonce())) {
            throw new AcmeProblem("badNonce", 400, "the nonce is unknown here, used already or expired; retry with the Replay-Nonce of this answer");
        }
        if (!request.url().equals(base + path)) {
            throw AcmeProblem.unauthorized("the JWS url header " + request.url() + " is not the URL this request went to");
        }
        int slash = path.indexOf('/', 1);
        String resource = slash < 0 ? path : path.substring(0, slash);
        String id = slash < 0 ? "" : path.substring(slash + 1);
        if (resource.equals("/new-account")) {
            newAccount(exchange, request);
            return;
        }
        if (resource.equals("/revoke-cert")) {
            revoke(exchange, request);
            return;
        }
        switch (resource) {
            case "/new-order" -> newOrder(exchange, request, authenticate(request));
            case "/account" -> account(exchange, request, authenticate(request), id);
            case "/key-change" -> keyChange(exchange, request, authenticate(request));
            case "/order", "/authz", "/chall", "/finalize", "/cert" -> {
                AcmeOrders.OwnedOrder ownedOrder = authenticatedOrder(request, id);
                switch (resource) {
                    case "/order" -> {
                        requirePostAsGet(request);
                        respondJson(exchange, 200, orderJson(ownedOrder.order()));
                    }
                    case "/authz" -> authorization(exchange, request, ownedOrder);
                    case "/chall" -> challenge(exchange, request, ownedOrder);
                    case "/finalize" -> finalizeOrder(exchange, request, ownedOrder);
                    default -> certificate(exchange, request, ownedOrder.order());
                }
            }
            default -> {
                authenticate(request);
                throw new AcmeProblem("malformed", 404, "no ACME resource at " + path);
            }
        }
    }

    private void newAccount(EnrollExchange exchange, SignedRequest request) throws IOException {
        if (request.jwk().isEmpty()) {
            throw AcmeProblem.malformed("newAccount requests carry the account key as jwk, not kid");
        }
        AccountKey key = AccountKey.of(request.jwk().get(), verifiers);
        key.verify(request.alg(), request.signingInput(), request.signature());
        JsonObject payload = request.payloadObject();
        if (payload.getBoolean("onlyReturnExisting", false)) {
            AcmeOrders.Account existing = orders.accountByThumbprint(key.thumbprint())
                    .orElseThrow(() -> new AcmeProblem("accountDoesNotExist", 400, "no account has this key"));
            exchange.setHeader("Location", base + "/account/" + existing.id());
            respondJson(exchange, 200, accountJson(existing));
            return;
        }
        Map.Entry<AcmeOrders.Account, Boolean> made;
        try {
            made = orders.createAccount(key, contact(payload).orElse(null));
        } catch (AcmeProblem | LetterlockException refused) {
            // RFC 8555 section 7.3.1: a key that has an account gets it back, whatever else the request asks.
            made = Map.entry(orders.accountByThumbprint(key.thumbprint()).orElseThrow(() -> refused), false);
        }
        exchange.setHeader("Location", base + "/account/" + made.getKey().id());
        respondJson(exchange, made.getValue() ? 201 : 200, accountJson(made.getKey()));
    }

    private AcmeOrders.Account authenticate(SignedRequest request) {
        if (request.kid().isEmpty()) {
            throw AcmeProblem.malformed("requests other than newAccount and revokeCert carry the account URL as kid, not jwk");
        }
        String kid = request.kid().get();
        String prefix = base + "/account/";
        Optional<AcmeOrders.Account> account = kid.startsWith(prefix) ? orders.account(kid.substring(prefix.length())) : Optional.empty();
        if (account.isEmpty()) {
            throw new AcmeProblem("accountDoesNotExist", 400, "no account at " + kid);
        }
        return signedBy(request, account.get());
    }

    /**
     * The order {@code id} of the account that signed {@code request}: order and account in one read when the kid names
     * the order's account, as it does for every request of a well-behaved client; otherwise the account alone is read,
     * so any refusal is the one every other request gets.
     */
    private AcmeOrders.OwnedOrder authenticatedOrder(SignedRequest request, String id) {
        Optional<AcmeOrders.OwnedOrder> found = orders.orderWithAccount(id);
        if (found.isPresent() && request.kid().equals(Optional.of(base + "/account/" + found.get().account().id()))) {
            signedBy(request, found.get().account());
            return found.get();
        }
        AcmeOrders.Account account = authenticate(request);
        return new AcmeOrders.OwnedOrder(account, owned(account, id));
    }

    /** {@code account}, once its key verified {@code request} and it is valid. */
    private static AcmeOrders.Account signedBy(SignedRequest request, AcmeOrders.Account account) {
        account.key().verify(request.alg(), request.signingInput(), request.signature());
        if (!account.valid()) {
            throw AcmeProblem.unauthorized("the account is " + account.status());
        }
        // The request's records name the account that signed it, next to the client's address.
        Actor.set("acme-account/" + account.id() + " " + Actor.current());
        return account;
    }

    private void account(EnrollExchange exchange, SignedRequest request, AcmeOrders.Account account, String id) throws IOException {
        if (id.equals(account.id() + "/orders")) {
            requirePostAsGet(request);
            var list = AcmeJson.array();
            orders.orderIds(account.id()).forEach(order -> list.add(base + "/order/" + order));
            respondJson(exchange, 200, AcmeJson.object().add("orders", list).build());
            return;
        }
        if (!id.equals(account.id())) {
            throw AcmeProblem.unauthorized("the request is signed by another account's key");
        }
        AcmeOrders.Account current = account;
        if (!request.postAsGet()) {
            JsonObject payload = request.payloadObject();
            boolean deactivate = payload.containsKey("status");
            if (deactivate && !"deactivated".equals(payload.getString("status", ""))) {
                throw AcmeProblem.malformed("an account's status can only be set to deactivated");
            }
            current = orders.updateAccount(account, contact(payload).orElse(account.contact()), deactivate);
        }
        respondJson(exchange, 200, accountJson(current));
    }

    /**
     * RFC 8555 section 7.3.5: the outer JWS signed by the account's key, its payload a JWS signed by the new key for the
     * same URL, naming the account and its current key.
     */
    private void keyChange(EnrollExchange exchange, SignedRequest request, AcmeOrders.Account account) throws IOException {
        SignedRequest inner = SignedRequest.parseKeyChange(request.payload());
        if (!inner.url().equals(request.url())) {
            throw AcmeProblem.malformed("the inner JWS url header " + inner.url() + " is not the outer one, " + request.url());
        }
        AccountKey newKey = AccountKey.of(inner.jwk().orElseThrow(), verifiers);
        newKey.verify(inner.alg(), inner.signingInput(), inner.signature());
        JsonObject change = inner.payloadObject();
        String accountUrl = base + "/account/" + account.id();
        if (!(change.get("account") instanceof JsonString named) || !named.getString().equals(accountUrl)) {
            throw AcmeProblem.malformed("the key change must name the account it changes, " + accountUrl + ", as \"account\"");
        }
        if (!(change.get("oldKey") instanceof JsonObject oldKey) || !isKey(oldKey, account.key())) {
            throw AcmeProblem.malformed("the key change's \"oldKey\" is not the account's current key");
        }
        if (newKey.thumbprint().equals(account.key().thumbprint())) {
            throw keyInUse(exchange, account, "the new key is this account's key already");
        }
        Optional<AcmeOrders.Account> holder = orders.accountByThumbprint(newKey.thumbprint());
        if (holder.isPresent()) {
            throw keyInUse(exchange, holder.get(), KEY_OF_ANOTHER_ACCOUNT);
        }
        AcmeOrders.Account changed;
        try {
            changed = orders.changeKey(account, newKey).orElseThrow(() -> new AcmeProblem("malformed", 409,
                    "the account's key or status changed while this request was checked; sign again with its current key"));
        } catch (LetterlockException e) {
            // The new key became another account's in the meantime (its thumbprint is unique).
            throw orders.accountByThumbprint(newKey.thumbprint())
                    .map(other -> keyInUse(exchange, other, KEY_OF_ANOTHER_ACCOUNT)).orElseThrow(() -> e);
        }
        respondJson(exchange, 200, accountJson(changed));
    }

    /** Whether {@code jwk} is {@code key}; a JWK that is no acceptable account key is not. */
    private boolean isKey(JsonObject jwk, AccountKey key) {
        try {
            return AccountKey.of(jwk, verifiers).thumbprint().equals(key.thumbprint());
        } catch (AcmeProblem e) {
            return false;
        }
    }

    private AcmeProblem keyInUse(EnrollExchange exchange, AcmeOrders.Account holder, String detail) {
        exchange.setHeader("Location", base + "/account/" + holder.id());
        return new AcmeProblem("malformed", 409, detail);
    }

    /**
     * RFC 8555 section 7.6: signed by the account that ordered the certificate ({@code kid}), or by the certificate's own
     * key ({@code jwk}), which proves its holder wants it revoked.
     */
    private void revoke(EnrollExchange exchange, SignedRequest request) throws IOException {
        JsonObject payload;
        String who;
        if (request.jwk().isPresent()) {
            AccountKey key = AccountKey.of(request.jwk().get(), verifiers);
            key.verify(request.alg(), request.signingInput(), request.signature());
            payload = request.payloadObject();
            IssuedCertificate issued = revocable(payload);
            byte[] certified = issued.holder().getSubjectPublicKeyInfo().getPublicKeyData().getBytes();
            if (!java.util.Arrays.equals(certified, key.publicKeyData())) {
                throw AcmeProblem.unauthorized("the request is signed neither by the certificate's key nor by the account that ordered it");
            }
            // Holding the key proves the right to revoke (keyCompromise), not the mailbox: the records name the key.
            Actor.set("acme-certificate-key/" + issued.serialHex() + " " + Actor.current());
            who = "certificate-key";
            revokeIssued(exchange, issued, payload, who);
            return;
        }
        AcmeOrders.Account account = authenticate(request);
        payload = request.payloadObject();
        IssuedCertificate issued = revocable(payload);
        if (!orders.orderedCertificate(account.id(), issued.serial())) {
            throw AcmeProblem.unauthorized("the request is signed neither by the certificate's key nor by the account that ordered it");
        }
        revokeIssued(exchange, issued, payload, "account-" + account.id());
    }

    private IssuedCertificate revocable(JsonObject payload) {
        JsonValue certificate = payload.get("certificate");
        if (!(certificate instanceof JsonString text)) {
            throw AcmeProblem.malformed("revokeCert takes {\"certificate\": \"<base64url DER>\", \"reason\": <code>}");
        }
        BigInteger serial;
        try {
            serial = Certificates.holder(BASE64URL.decode(text.getString())).getSerialNumber();
        } catch (RuntimeException e) {
            throw AcmeProblem.malformed("the certificate is not base64url DER of an X.509 certificate");
        }
        return services.mailboxes().ca().find(serial).filter(found -> found.mailbox().isPresent())
                .orElseThrow(() -> AcmeProblem.unauthorized("this CA issued no mailbox certificate with serial " + serial.toString(16)));
    }

    /** Revokes {@code issued} for {@code who} ("certificate-key", "account-<id>"), which proved its right to; the records name it. */
    private void revokeIssued(EnrollExchange exchange, IssuedCertificate issued, JsonObject payload, String who) throws IOException {
        if (issued.revoked()) {
            throw new AcmeProblem("alreadyRevoked", 400, "certificate " + issued.serialHex() + " was revoked already");
        }
        RevocationReason reason;
        try {
            reason = RevocationReason.parse(Integer.toString(payload.getInt("reason", 0)));
        } catch (LetterlockException | ClassCastException e) {
            reason = null;
        }
        if (reason == null || !reason.subscriberMayGive()) {
            throw new AcmeProblem("badRevocationReason", 400, "reason must be one of the RFC 5280 codes " + RevocationReason.subscriberCodes());
        }
        services.mailboxes().revoke(issued.serial(), reason, new EnrollmentProof(issued.mailbox().orElseThrow(), "acme-revoke", who));
        exchange.setHeader("Replay-Nonce", nonces.next());
        exchange.respond(200, "", new byte[0]);
    }

    private void newOrder(EnrollExchange exchange, SignedRequest request, AcmeOrders.Account account) throws IOException {
        JsonObject payload = request.payloadObject();
        if (payload.containsKey("notBefore") || payload.containsKey("notAfter")) {
            throw AcmeProblem.malformed("notBefore and notAfter are not supported: the certificate profile sets the validity");
        }
        JsonValue identifiers = payload.get("identifiers");
        if (!(identifiers instanceof JsonArray list) || list.size() != 1 || !(list.get(0) instanceof JsonObject identifier)) {
            throw AcmeProblem.malformed("an order names exactly one identifier: {\"identifiers\": [{\"type\": \"email\", \"value\": \"<address>\"}]}");
        }
        String type = identifier.getString("type", "");
        if (!type.equals("email")) {
            throw new AcmeProblem("unsupportedIdentifier", 400, "only email identifiers (RFC 8823) are issued here, not " + (type.isEmpty() ? "untyped ones" : type));
        }
        String mailbox;
        try {
            mailbox = MailAddress.normalise(identifier.getString("value", null));
        } catch (LetterlockException | ClassCastException e) {
            throw new AcmeProblem("rejectedIdentifier", 400, e instanceof LetterlockException bad ? bad.getMessage() : "the identifier's value is not a string");
        }
        if (identities.find(mailbox).isEmpty()) {
            throw new AcmeProblem("rejectedIdentifier", 400, mailbox + " is not a mailbox registered here");
        }
        AcmeOrders.Order order = orders.newOrder(account, mailbox);
        services.audit().recordAsync(new AuditEvent(Actor.current(), "enroll.acme.order",
                "mailbox:" + mailbox, Outcome.ALLOWED, "order " + order.id() + " by account " + account.id() + "; challenge mailed as " + order.messageId()));
        exchange.setHeader("Location", base + "/order/" + order.id());
        respondJson(exchange, 201, orderJson(order));
    }

    private void authorization(EnrollExchange exchange, SignedRequest request, AcmeOrders.OwnedOrder ownedOrder) throws IOException {
        AcmeOrders.Order order = ownedOrder.order();
        if (!request.postAsGet()) {
            if (!"deactivated".equals(request.payloadObject().getString("status", ""))) {
                throw AcmeProblem.malformed("an authorization's status can only be set to deactivated");
            }
            orders.deactivate(order);
            order = owned(ownedOrder.account(), order.id());
        }
        respondJson(exchange, 200, authorizationJson(order));
    }

    private void challenge(EnrollExchange exchange, SignedRequest request, AcmeOrders.OwnedOrder ownedOrder) throws IOException {
        AcmeOrders.Order order = ownedOrder.order();
        if (!request.postAsGet()) {
            request.payloadObject();
            if (order.expired(services.clock().instant())) {
                throw AcmeProblem.malformed("the challenge expired at " + order.expiresAt());
            }
            order = orders.respond(order);
        }
        exchange.addHeader("Link", "<" + base + "/authz/" + order.id() + ">;rel=\"up\"");
        respondJson(exchange, 200, challengeJson(order));
    }

    private void finalizeOrder(EnrollExchange exchange, SignedRequest request, AcmeOrders.OwnedOrder ownedOrder) throws IOException {
        AcmeOrders.Order order = ownedOrder.order();
        JsonValue csrValue = request.payloadObject().get("csr");
        if (!(csrValue instanceof JsonString csrText)) {
            throw AcmeProblem.malformed("finalize takes {\"csr\": \"<base64url DER PKCS#10>\"}");
        }
        byte[] csr;
        try {
            csr = BASE64URL.decode(csrText.getString());
        } catch (IllegalArgumentException e) {
            throw new AcmeProblem("badCSR", 400, "the csr is not base64url: " + e.getMessage());
        }
        List<String> named;
        try {
            CertificationRequest parsed = services.mailboxes().ca().readRequest(csr);
            named = new ArrayList<>(parsed.mailboxes());
            named.addAll(parsed.hosts());
        } catch (LetterlockException e) {
            throw new AcmeProblem("badCSR", 400, e.getMessage());
        }
        if (!named.equals(List.of(order.mailbox()))) {
            throw new AcmeProblem("badCSR", 400, "the CSR must name exactly " + order.mailbox() + " as its subjectAltName, and it names " + named);
        }
        if (!orders.startFinalizing(order)) {
            throw new AcmeProblem("orderNotReady", 403, "the order is " + order.orderStatus(services.clock().instant())
                    + (order.status().equals("pending") ? ": its email challenge is not yet valid" : ""));
        }
        IssuedCertificate issued;
        EnrollmentProof proof = order.proof();
        proof.actAs();
        try {
            issued = services.mailboxes().signingCertificate(csr, proof);
        } catch (LetterlockException e) {
            orders.finalizeRefused(order);
            throw e.type() == ErrorType.BAD_REQUEST || e.type() == ErrorType.FORBIDDEN ? new AcmeProblem("badCSR", 400, e.getMessage()) : e;
        } catch (RuntimeException e) {
            orders.finalizeRefused(order);
            throw e;
        }
        AcmeOrders.Order finalized = orders.finalized(order, issued.serial()).orElseThrow(() -> revokedAfterDeactivation(issued, proof));
        synchronized (awaitingDownload) {
            awaitingDownload.put(order.id(), issued);
        }
        exchange.setHeader("Location", base + "/order/" + order.id());
        respondJson(exchange, 200, orderJson(finalized));
    }

    /**
     * The holder deactivated the authorization while the certificate was made: it must not stay usable. The answer says
     * "revoked" only if the store shows it revoked (by this call, or by someone before it); otherwise it is a server
     * error, logged with the serial for an administrator to revoke by hand.
     */
    private AcmeProblem revokedAfterDeactivation(IssuedCertificate issued, EnrollmentProof proof) {
        RuntimeException failure = null;
        try {
            services.mailboxes().revoke(issued.serial(), RevocationReason.CESSATION_OF_OPERATION, proof);
        } catch (RuntimeException e) {
            // CONFLICT: revoked already. Anything else: the store decides below whether the revocation happened.
            failure = e;
        }
        boolean revoked;
        try {
            revoked = services.mailboxes().ca().find(issued.serial()).map(IssuedCertificate::revoked).orElse(false);
        } catch (RuntimeException e) {
            revoked = false;
            failure = failure == null ? e : failure;
        }
        if (!revoked) {
            LOG.log(Level.SEVERE, "acme: certificate " + issued.serialHex() + " of a deactivated authorization is not revoked; revoke it by hand", failure);
            return new AcmeProblem("serverInternal", 500, "the authorization was deactivated while the order was finalized, and certificate "
                    + issued.serialHex() + " could not be revoked");
        }
        return AcmeProblem.unauthorized("the authorization was deactivated while the order was finalized; certificate " + issued.serialHex() + " was revoked");
    }

    private void certificate(EnrollExchange exchange, SignedRequest request, AcmeOrders.Order order) throws IOException {
        requirePostAsGet(request);
        if (order.serial().isEmpty()) {
            throw new AcmeProblem("malformed", 404, "the order has no certificate yet");
        }
        BigInteger serial = new BigInteger(order.serial().get(), 16);
        IssuedCertificate kept;
        synchronized (awaitingDownload) {
            kept = awaitingDownload.remove(order.id());
        }
        IssuedCertificate issued = Optional.ofNullable(kept).filter(certificate -> certificate.serial().equals(serial))
                .or(() -> services.mailboxes().ca().find(serial))
                .orElseThrow(() -> new AcmeProblem("serverInternal", 500, "the order's certificate is missing from the store"));
        String pem = Certificates.pem("CERTIFICATE", issued.der()) + chains.computeIfAbsent(issued.issuerId(), this::chainPem);
        exchange.setHeader("Replay-Nonce", nonces.next());
        exchange.respond(200, "application/pem-certificate-chain", pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** The issuing CAs above a certificate, without the self-signed root the client already trusts. */
    private String chainPem(String issuerId) {
        StringBuilder pem = new StringBuilder();
        for (X509CertificateHolder certificate : services.mailboxes().ca().chain(issuerId)) {
            if (!certificate.getSubject().equals(certificate.getIssuer())) {
                pem.append(Certificates.pem(certificate));
            }
        }
        return pem.toString();
    }

    /** The order {@code id} if {@code account} made it. */
    private AcmeOrders.Order owned(AcmeOrders.Account account, String id) {
        AcmeOrders.Order order = orders.order(id).orElseThrow(() -> new AcmeProblem("malformed", 404, "no such order, authorization or challenge: " + id));
        if (!order.accountId().equals(account.id())) {
            throw AcmeProblem.unauthorized("the resource belongs to another account");
        }
        return order;
    }

    private JsonObject accountJson(AcmeOrders.Account account) {
        JsonObjectBuilder json = AcmeJson.object().add("status", account.status()).add("orders", base + "/account/" + account.id() + "/orders");
        if (account.contact() != null) {
            var contacts = AcmeJson.array();
            for (String contact : account.contact().split(",")) {
                contacts.add(contact);
            }
            json.add("contact", contacts);
        }
        return json.build();
    }

    private JsonObject orderJson(AcmeOrders.Order order) {
        Instant now = services.clock().instant();
        JsonObjectBuilder json = AcmeJson.object().add("status", order.orderStatus(now)).add("expires", timestamp(order.expiresAt()))
                .add("identifiers", AcmeJson.array().add(identifier(order)))
                .add("authorizations", AcmeJson.array().add(base + "/authz/" + order.id()))
                .add("finalize", base + "/finalize/" + order.id());
        if (order.serial().isPresent()) {
            json.add("certificate", base + "/cert/" + order.id());
        }
        order.error().ifPresent(error -> json.add("error", AcmeJson.parse(error.getBytes(StandardCharsets.UTF_8), "the stored error")));
        return json.build();
    }

    private JsonObject authorizationJson(AcmeOrders.Order order) {
        return AcmeJson.object().add("identifier", identifier(order)).add("status", order.authzStatus(services.clock().instant()))
                .add("expires", timestamp(order.expiresAt())).add("challenges", AcmeJson.array().add(challengeJson(order))).build();
    }

    private JsonObject challengeJson(AcmeOrders.Order order) {
        JsonObjectBuilder json = AcmeJson.object().add("type", "email-reply-00").add("url", base + "/chall/" + order.id())
                .add("status", order.challengeStatus()).add("from", orders.settings().from()).add("token", order.tokenPart2());
        order.validatedAt().ifPresent(at -> json.add("validated", timestamp(at)));
        order.error().ifPresent(error -> json.add("error", AcmeJson.parse(error.getBytes(StandardCharsets.UTF_8), "the stored error")));
        return json.build();
    }

    private static JsonObjectBuilder identifier(AcmeOrders.Order order) {
        return AcmeJson.object().add("type", "email").add("value", order.mailbox());
    }

    private static String timestamp(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static Optional<String> contact(JsonObject payload) {
        JsonValue contact = payload.get("contact");
        if (contact == null) {
            return Optional.empty();
        }
        if (!(contact instanceof JsonArray list)) {
            throw new AcmeProblem("invalidContact", 400, "contact must be an array of mailto: URLs");
        }
        List<String> contacts = new ArrayList<>();
        for (JsonValue value : list) {
            if (!(value instanceof JsonString text) || !text.getString().startsWith("mailto:") || text.getString().contains(",")) {
                throw new AcmeProblem("unsupportedContact", 400, "only mailto: contacts with one address each are taken");
            }
            contacts.add(text.getString());
        }
        return contacts.isEmpty() ? Optional.empty() : Optional.of(String.join(",", contacts));
    }

    private static void requirePostAsGet(SignedRequest request) {
        if (!request.postAsGet()) {
            throw AcmeProblem.malformed("this resource is read with POST-as-GET: an empty payload");
        }
    }

    private static void requireMethod(EnrollExchange exchange, String... allowed) {
        for (String method : allowed) {
            if (exchange.method().equals(method)) {
                return;
            }
        }
        exchange.setHeader("Allow", String.join(", ", allowed));
        throw new AcmeProblem("malformed", 405, "use " + String.join(" or ", allowed) + " here");
    }

    private void respondJson(EnrollExchange exchange, int status, JsonObject json) throws IOException {
        exchange.setHeader("Replay-Nonce", nonces.next());
        exchange.respond(status, "application/json", json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void refuse(EnrollExchange exchange, String path, AcmeProblem problem) throws IOException {
        String resource = path.length() > 1 ? path.substring(1).split("/", 2)[0] : "";
        services.audit().record("enroll.acme." + (resource.isEmpty() ? "request" : resource), "acme:" + path, problem.status() == 403 ? Outcome.DENIED : Outcome.FAILED, problem.type() + ": " + problem.getMessage());
        exchange.setHeader("Replay-Nonce", nonces.next());
        exchange.respond(problem.status(), "application/problem+json", problem.json().getBytes(StandardCharsets.UTF_8));
    }

    private static AcmeProblem problem(LetterlockException e) {
        return switch (e.type()) {
            case BAD_REQUEST -> AcmeProblem.malformed(e.getMessage());
            case UNAUTHORIZED, FORBIDDEN -> AcmeProblem.unauthorized(e.getMessage());
            case TOO_MANY_REQUESTS -> new AcmeProblem("rateLimited", 429, e.getMessage());
            default -> {
                LOG.log(Level.WARNING, "acme: " + e.getMessage(), e);
                yield new AcmeProblem("serverInternal", e.type().status(), e.getMessage());
            }
        };
    }
}
