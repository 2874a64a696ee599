package org.letterlock.enroll.est;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.enroll.KeyPackageEnvelope;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollmentProof;
import org.letterlock.enroll.MailboxEnrollment;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.enroll.web.EnrollExchange;
import org.letterlock.enroll.web.EnrollListener;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.vault.KeySpec;

/**
 * EST (RFC 7030) under {@code /.well-known/est/[<label>/]<operation>}: the CA chain (cacerts), a signing certificate
 * for the client's CSR (simpleenroll, simplereenroll), an encryption key made and archived by escrow with its
 * certificate (serverkeygen), and what a CSR should hold (csrattrs).
 * <p>
 * A client proves its mailbox with HTTP Basic (the address and a one-time enrollment secret) or with a current
 * certificate of this CA as TLS client certificate, which stands for that certificate's mailbox and pair only.
 * Refusals are plain text with the status (RFC 7030 4.2.3), audited as {@code enroll.est.<operation>}.
 */
public final class EstEndpoint implements EnrollListener.Handler {
    /** The profiles a label names; the bare path is the first. One for now: the S/MIME signing + encryption pair. */
    public static final List<String> LABELS = List.of("smime");
    public static final List<String> OPERATIONS = List.of("cacerts", "simpleenroll", "simplereenroll", "serverkeygen", "csrattrs");
    private static final String CHALLENGE = "Basic realm=\"Letterlock enrollment\", charset=\"UTF-8\"";

    private final EnrollmentServices services;
    /** Signs the key packages of encrypted server-generated keys, as the generator (RFC 7030 4.4.2): the listener's key in the vault. */
    private final TlsIdentity identity;
    private final byte[] csrAttributes = EstMessages.csrAttributes();
    private volatile CaCertificates caCertificates = new CaCertificates(List.of(), new byte[0]);

    /** The cacerts body of one state of the CA's issuers: encoded again only when the CA reloads its issuers. */
    private record CaCertificates(List<IssuerRecord> issuers, byte[] body) {
    }

    /** Who asks: the mailbox, and the current certificate or the (checked, not yet spent) enrollment secret that proves it. */
    private record Client(String mailbox, Optional<IssuedCertificate> certificate, Optional<String> secretId) {
    }

    /** An encrypted key's recipient as the CSR names it, its RecipientInfo generator and the chain of the key package's signer. */
    private record KeyDelivery(RecipientInfoGenerator recipient, KeyPackageEnvelope.Ciphers ciphers, List<X509CertificateHolder> signerChain) {
    }

    /** A CSR as sent (for the CA, which checks it whole) and as parsed here (for the checks that come before a secret is spent). */
    private record Csr(byte[] der, PKCS10CertificationRequest parsed) {
    }

    public EstEndpoint(EnrollmentServices services, TlsIdentity identity) {
        this.services = services;
        this.identity = identity;
    }

    @Override
    public void handle(EnrollExchange exchange) throws IOException {
        String[] segments = exchange.path().substring(Math.min(exchange.path().length(), EnrollmentServices.EST_PATH.length())).replaceFirst("^/", "").split("/", -1);
        String operation = segments[segments.length - 1];
        try {
            if (segments.length > 2 || (segments.length == 2 && !LABELS.contains(segments[0]))) {
                throw refuse(operation, "est:" + exchange.path(), ErrorType.NOT_FOUND, "no EST label '" + String.join("/", Arrays.copyOf(segments, segments.length - 1))
                        + "' here; the labels are " + LABELS + " (or none: " + EnrollmentServices.EST_PATH + "/<operation>)");
            }
            switch (operation) {
                case "cacerts" -> {
                    if (allowed(exchange, operation, "GET")) {
                        respondBase64(exchange, EstMessages.CERTS_ONLY, caCertificates());
                    }
                }
                case "csrattrs" -> {
                    if (allowed(exchange, operation, "GET")) {
                        respondBase64(exchange, EstMessages.CSR_ATTRS, csrAttributes);
                    }
                }
                case "simpleenroll" -> {
                    if (allowed(exchange, operation, "POST")) {
                        simpleEnroll(exchange);
                    }
                }
                case "simplereenroll" -> {
                    if (allowed(exchange, operation, "POST")) {
                        simpleReenroll(exchange);
                    }
                }
                case "serverkeygen" -> {
                    if (allowed(exchange, operation, "POST")) {
                        serverKeyGen(exchange);
                    }
                }
                default -> throw refuse(operation, "est:" + exchange.path(), ErrorType.NOT_FOUND, "no EST operation '" + operation + "' here; the operations are "
                        + OPERATIONS);
            }
        } catch (LetterlockException e) {
            if (e.type() == ErrorType.UNAUTHORIZED) {
                exchange.setHeader("WWW-Authenticate", CHALLENGE);
                if (exchange.header("Authorization").isEmpty() && exchange.clientCertificate().isEmpty()) {
                    // The challenge of HTTP authentication's first round: empty, as Bouncy Castle's EST client closes it unread and fails on a body.
                    exchange.respond(401, "", new byte[0]);
                    return;
                }
            }
            throw e;
        }
    }

    /** RFC 7030 4.2.1: a signing certificate for the client's key, starting a new pair. */
    private void simpleEnroll(EnrollExchange exchange) throws IOException {
        Client client = client(exchange, "simpleenroll");
        Csr csr = request(exchange, "simpleenroll", client.mailbox());
        requireOnlyMailbox(csr.parsed(), client.mailbox(), "simpleenroll");
        IssuedCertificate issued = services.mailboxes().signingCertificate(csr.der(), prove(client, "simpleenroll"));
        respondBase64(exchange, EstMessages.CERTS_ONLY, EstMessages.certsOnly(List.of(issued.der())));
    }

    /**
     * RFC 7030 4.2.2: a new signing certificate for the holder of the current one, which must be the TLS client
     * certificate; the CSR names the same subject and subjectAltName.
     */
    private void simpleReenroll(EnrollExchange exchange) throws IOException {
        Client client = client(exchange, "simplereenroll");
        String target = "mailbox:" + client.mailbox();
        IssuedCertificate current = client.certificate().orElseThrow(() -> refuse("simplereenroll", target, ErrorType.UNAUTHORIZED,
                "simplereenroll authenticates with the current signing certificate as TLS client certificate; for a first certificate use simpleenroll"));
        if (!current.profile().equals(Profiles.MAILBOX_SIGNING.name()) || current.pairId().isEmpty()) {
            throw refuse("simplereenroll", target, ErrorType.FORBIDDEN, "certificate " + current.serialHex() + " is a " + current.profile()
                    + " certificate; re-enroll with the current mailbox-signing certificate");
        }
        Csr request = request(exchange, "simplereenroll", client.mailbox());
        PKCS10CertificationRequest csr = request.parsed();
        if (!csr.getSubject().equals(current.holder().getSubject())) {
            throw refuse("simplereenroll", target, ErrorType.BAD_REQUEST, "the CSR's subject '" + csr.getSubject() + "' is not the current certificate's '"
                    + current.holder().getSubject() + "' (RFC 7030 4.2.2: re-enrollment keeps subject and subjectAltName)");
        }
        List<String> names = EstMessages.requestedNames(csr);
        if (!names.equals(List.of("rfc822Name:" + client.mailbox()))) {
            throw refuse("simplereenroll", target, ErrorType.BAD_REQUEST, "the CSR's subjectAltName " + names + " is not the current certificate's [rfc822Name:"
                    + client.mailbox() + "] (RFC 7030 4.2.2: re-enrollment keeps subject and subjectAltName)");
        }
        IssuedCertificate issued = services.mailboxes().renewedSigningCertificate(request.der(), current.pairId().get(), prove(client, "simplereenroll"));
        respondBase64(exchange, EstMessages.CERTS_ONLY, EstMessages.certsOnly(List.of(issued.der())));
    }

    /**
     * RFC 7030 4.4: escrow makes the encryption key, archives it and has it certified, in the pair of the
     * authenticating certificate when the client uses one; the CSR's key only says which kind of key is wanted. The
     * private key goes back once: protected by TLS (application/pkcs8), or on top of that encrypted to the current
     * encryption certificate the CSR names with AsymmetricDecryptKeyIdentifier (application/pkcs7-mime;
     * smime-type=server-generated-key, see {@link KeyEncryptionRequest}).
     */
    private void serverKeyGen(EnrollExchange exchange) throws IOException {
        Client client = client(exchange, "serverkeygen");
        String target = "mailbox:" + client.mailbox();
        PKCS10CertificationRequest csr = request(exchange, "serverkeygen", client.mailbox()).parsed();
        requireOnlyMailbox(csr, client.mailbox(), "serverkeygen");
        Optional<KeyEncryptionRequest> encryption;
        try {
            encryption = KeyEncryptionRequest.of(csr, client.mailbox(), services.mailboxes().currentCertificates(client.mailbox()));
        } catch (LetterlockException e) {
            throw refuse("serverkeygen", target, e.type(), e.getMessage());
        }
        KeySpec spec = keySpec(csr.getSubjectPublicKeyInfo()).orElseThrow(() -> refuse("serverkeygen", target, ErrorType.BAD_REQUEST,
                "the CSR's key names no kind of key escrow makes; use an EC P-256 or P-384 key or an RSA key of 2048, 3072 or 4096 bits to say which is wanted"));
        // What the encrypted key needs, made ready before the secret is spent and the key made, so that a refusal costs nothing.
        Optional<KeyDelivery> delivery;
        try {
            delivery = encryption.map(to -> new KeyDelivery(KeyPackageEnvelope.recipient(to.recipient().holder(), Optional.of(to.keyId()), to.ciphers()),
                    to.ciphers(), signerChain()));
        } catch (LetterlockException e) {
            throw refuse("serverkeygen", target, e.type(), e.getMessage());
        }
        EnrollmentProof proof = prove(client, "serverkeygen");
        KeyEscrow.ArchivedKeyPair made = services.mailboxes().encryptionKey(client.certificate().flatMap(IssuedCertificate::pairId), Optional.of(spec), proof);
        String keyType = delivery.isPresent() ? EstMessages.SERVER_GENERATED_KEY : EstMessages.PKCS8;
        byte[] key;
        try {
            key = keyBytes(made, delivery);
        } catch (RuntimeException e) {
            // The client never gets this key, so its certificate must not stay valid (as CMP's issue() revokes what a failed request made).
            try {
                services.mailboxes().revoke(made.certificate().serial(), RevocationReason.CESSATION_OF_OPERATION, proof);
                services.audit().record("enroll.est.serverkeygen", target, Outcome.FAILED, "the generated key could not be delivered, so certificate "
                        + made.certificate().serialHex() + " is revoked again: " + e.getMessage());
            } catch (RuntimeException revocation) {
                e.addSuppressed(revocation);
            }
            throw e;
        }
        byte[] keyBase64 = EstMessages.base64(key);
        byte[] body = EstMessages.serverKey(keyType, keyBase64, EstMessages.certsOnly(List.of(made.certificate().der())));
        try {
            exchange.respond(200, EstMessages.MULTIPART, body);
        } finally {
            // The key goes to the client once: the copies made here do not wait for the garbage collector.
            Arrays.fill(key, (byte) 0);
            Arrays.fill(keyBase64, (byte) 0);
            Arrays.fill(body, (byte) 0);
        }
    }

    /** The DER of the generated private key: enveloped and signed as {@code delivery} says, else PKCS#8 as it is. */
    private byte[] keyBytes(KeyEscrow.ArchivedKeyPair made, Optional<KeyDelivery> delivery) {
        try {
            if (delivery.isEmpty()) {
                return made.privateKey().getEncoded();
            }
            KeyDelivery to = delivery.get();
            return new ContentInfo(CMSObjectIdentifiers.envelopedData, KeyPackageEnvelope.envelope(made.privateKey(), to.recipient(), to.ciphers(), identity.signer(),
                    to.signerChain())).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the generated key", e);
        }
    }

    /** The listener's certificate and its chain: the listener's key signs key packages, as it signs CMP's. */
    private List<X509CertificateHolder> signerChain() {
        List<X509Certificate> chain = identity.chain();
        if (chain.isEmpty()) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the server has no certificate yet to sign the key package with: the issuing CA waits for its certificate");
        }
        List<X509CertificateHolder> holders = new java.util.ArrayList<>();
        for (X509Certificate certificate : chain) {
            try {
                holders.add(new X509CertificateHolder(certificate.getEncoded()));
            } catch (IOException | java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("the listener's certificate does not encode", e);
            }
        }
        return holders;
    }

    /**
     * The client as its credentials name it. A current certificate of this CA over TLS wins (nothing is spent); else
     * HTTP Basic names the mailbox and its secret, checked here and spent only once the request has passed its own checks.
     */
    private Client client(EnrollExchange exchange, String operation) {
        Optional<X509Certificate> presented = exchange.clientCertificate();
        Optional<IssuedCertificate> anyCurrent = presented.flatMap(services.mailboxes()::current);
        Optional<IssuedCertificate> current = anyCurrent.filter(c -> MailboxEnrollment.forSigning(c.holder()));
        if (current.isPresent()) {
            return new Client(current.get().mailbox().orElseThrow(), current, Optional.empty());
        }
        Optional<EnrollExchange.BasicCredentials> basic = exchange.basicCredentials();
        if (basic.isEmpty()) {
            throw refuse(operation, "est:" + exchange.path(), ErrorType.UNAUTHORIZED, anyCurrent.isPresent()
                    ? "the TLS client certificate is not for signing (no digitalSignature key usage): authenticate with the mailbox's signing "
                            + "certificate, or send your mailbox address and enrollment secret with HTTP Basic"
                    : presented.isPresent()
                    ? "the TLS client certificate is not a current certificate of this CA (unknown, revoked or expired); send your mailbox address and "
                            + "enrollment secret with HTTP Basic instead"
                    : "authenticate with HTTP Basic (user: your mailbox address, password: your enrollment secret) or with your current certificate over TLS");
        }
        String mailbox;
        try {
            mailbox = MailAddress.normalise(basic.get().user());
        } catch (LetterlockException e) {
            throw refuse(operation, "est:" + exchange.path(), ErrorType.UNAUTHORIZED, "the HTTP Basic user must be your mailbox address: " + e.getMessage());
        }
        // Checked before anything is looked up for the mailbox, so that an unauthenticated caller learns nothing of its certificates.
        char[] secret = basic.get().password();
        try {
            return new Client(mailbox, Optional.empty(), Optional.of(services.secrets().check(mailbox, secret, "est/" + operation, exchange.client())));
        } finally {
            Arrays.fill(secret, '\0');
        }
    }

    /**
     * Spends the client's secret (or takes its certificate) as the proof the CA and escrow record; from here on the
     * audit records of the request name the proven mailbox holder instead of the client's address.
     */
    private EnrollmentProof prove(Client client, String operation) {
        EnrollmentProof proof = client.certificate().isPresent()
                ? new EnrollmentProof(client.mailbox(), "est-tls", client.certificate().get().serialHex())
                : new EnrollmentProof(client.mailbox(), "est-secret", services.secrets().spend(client.mailbox(), client.secretId().orElseThrow(), "est/" + operation));
        proof.actAs();
        return proof;
    }

    /** The request's CSR, once its media type is the one RFC 7030 names and it parses. */
    private Csr request(EnrollExchange exchange, String operation, String mailbox) throws IOException {
        if (!exchange.contentType().equals(EstMessages.PKCS10)) {
            throw refuse(operation, "mailbox:" + mailbox, ErrorType.UNSUPPORTED_MEDIA_TYPE, "send the CSR as " + EstMessages.PKCS10 + " (base64), not '"
                    + exchange.header("Content-Type").orElse("no Content-Type") + "'");
        }
        try {
            byte[] der = EstMessages.der(exchange.body(EstMessages.MAX_REQUEST_BYTES));
            // The CA's own reading (signature, key type and size), before a secret is spent on a request it would refuse.
            services.mailboxes().ca().readRequest(der);
            return new Csr(der, EstMessages.csr(der));
        } catch (EnrollExchange.TooLarge e) {
            services.audit().record("enroll.est." + operation, "mailbox:" + mailbox, Outcome.FAILED, e.getMessage());
            throw e;
        } catch (LetterlockException e) {
            throw refuse(operation, "mailbox:" + mailbox, e.type(), e.getMessage());
        }
    }

    /**
     * Checked here as well as by the CA, before the secret is spent: a CSR naming another address must not cost the
     * client its secret.
     */
    private void requireOnlyMailbox(PKCS10CertificationRequest csr, String mailbox, String operation) {
        List<String> names;
        try {
            names = EstMessages.requestedNames(csr);
        } catch (LetterlockException e) {
            throw refuse(operation, "mailbox:" + mailbox, e.type(), e.getMessage());
        }
        for (String name : names) {
            if (!name.equals("rfc822Name:" + mailbox)) {
                throw refuse(operation, "mailbox:" + mailbox, ErrorType.BAD_REQUEST, "the CSR asks for " + name + ", but the credentials are for " + mailbox
                        + "; a certificate names its own mailbox only");
            }
        }
    }

    /** The kind of key the client's CSR key is, as a hint for escrow (which refuses kinds it is not configured for). */
    static Optional<KeySpec> keySpec(SubjectPublicKeyInfo key) {
        ASN1ObjectIdentifier algorithm = key.getAlgorithm().getAlgorithm();
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            Object curve = key.getAlgorithm().getParameters();
            return SECObjectIdentifiers.secp256r1.equals(curve) ? Optional.of(KeySpec.EC_P256)
                    : SECObjectIdentifiers.secp384r1.equals(curve) ? Optional.of(KeySpec.EC_P384) : Optional.empty();
        }
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            try {
                int bits = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
                return Arrays.stream(KeySpec.values()).filter(s -> s.keyAlgorithm().equals("RSA") && s.configName().equals("rsa-" + bits)).findFirst();
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
        return algorithm.equals(EdECObjectIdentifiers.id_Ed25519) ? Optional.of(KeySpec.ED25519) : Optional.empty();
    }

    private byte[] caCertificates() {
        CaCertificates cached = caCertificates;
        List<IssuerRecord> issuers = services.mailboxes().ca().issuers();
        if (cached.issuers() != issuers) {
            byte[] body = EstMessages.certsOnly(services.mailboxes().caCertificates().stream().map(org.letterlock.ca.Certificates::der).toList());
            cached = new CaCertificates(issuers, body);
            caCertificates = cached;
        }
        return cached.body();
    }

    private boolean allowed(EnrollExchange exchange, String operation, String method) throws IOException {
        if (exchange.method().equals(method)) {
            return true;
        }
        String message = operation + " takes " + method + ", not " + exchange.method();
        services.audit().record("enroll.est." + operation, "est:" + exchange.path(), Outcome.FAILED, message);
        exchange.setHeader("Allow", method);
        exchange.respondText(405, message);
        return false;
    }

    /** base64 bodies carry the Content-Transfer-Encoding that RFC 7030 named and clients such as Bouncy Castle's still read (RFC 8951 lets receivers ignore it). */
    private static void respondBase64(EnrollExchange exchange, String type, byte[] body) throws IOException {
        exchange.setHeader("Content-Transfer-Encoding", "base64");
        exchange.respond(200, type, body);
    }

    private LetterlockException refuse(String operation, String target, ErrorType type, String message) {
        return services.audit().refusal("enroll.est." + operation, target, type, message);
    }
}
