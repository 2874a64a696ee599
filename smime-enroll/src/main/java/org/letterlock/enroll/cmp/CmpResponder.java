package org.letterlock.enroll.cmp;

import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertConfirmContent;
import org.bouncycastle.asn1.cmp.CertOrEncCert;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.CertStatus;
import org.bouncycastle.asn1.cmp.CertifiedKeyPair;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.GenMsgContent;
import org.bouncycastle.asn1.cmp.GenRepContent;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIFreeText;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.cmp.RevDetails;
import org.bouncycastle.asn1.cmp.RevRepContentBuilder;
import org.bouncycastle.asn1.cmp.RevReqContent;
import org.bouncycastle.asn1.crmf.CertId;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.crmf.CRMFObjectIdentifiers;
import org.bouncycastle.asn1.crmf.CertTemplate;
import org.bouncycastle.asn1.crmf.EncryptedKey;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CMPException;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.crmf.CRMFException;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.PBEMacCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.letterlock.ca.CertificationRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.enroll.EnrollmentProof;
import org.letterlock.enroll.EnrollmentSecrets;
import org.letterlock.enroll.MailboxEnrollment;
import org.letterlock.enroll.KeyPackageEnvelope;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.escrow.KeyEscrow;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;

/**
 * CMP (RFC 4210, RFC 9480) in the lightweight profile of RFC 9483, one PKIMessage in and one out: ir, cr, p10cr, kur,
 * rr, certConf, pollReq and genm. The first enrollment is MAC-protected under a one-time enrollment secret (the
 * mailbox address is the senderKID); later requests are signed with a current certificate of the mailbox. Signing keys
 * are the client's (proof of possession by signature); an encryption key is generated centrally by escrow (RFC 9483
 * 4.1.6) and returned enveloped. Every refusal is a CMP error message, audited, with nothing issued.
 */
public final class CmpResponder {
    static final String PROTOCOL = "cmp";
    static final int MAX_FAILED_CONFIRMATIONS = 5;
    /** Transactions whose failed certConfs are counted at once; past it the counts start again (each needs an enrollment). */
    private static final int MAX_COUNTED_TRANSACTIONS = 10_000;
    /** How far a request's messageTime may be from ours (RFC 9483 3.5: the time must be checked within a window). */
    static final Duration TIME_WINDOW = Duration.ofMinutes(5);
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    /** What genm's signKeyPairTypes and encKeyPairTypes (RFC 4210 5.3.19.2-3) offer: what the CA's mailbox profiles and escrow take. */
    private static final List<AlgorithmIdentifier> SIGNING_KEY_TYPES = List.of(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
            SECObjectIdentifiers.secp256r1), new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp384r1),
            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519));
    private static final List<AlgorithmIdentifier> ENCRYPTION_KEY_TYPES = List.of(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
            SECObjectIdentifiers.secp256r1), new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE));

    /** PKIFailureInfo bits by their RFC 4210 names, for the audit log. */
    private static final Map<Integer, String> FAILURE_NAMES = failureNames();

    private final EnrollmentServices services;
    private final EnrollmentSecrets secrets;
    private final CmpTransactions transactions;
    /**
     * certConfs of a transaction whose MAC failed, on this node. Each costs a key derivation under the secret, and the
     * secret is already spent, so no lockout bounds them: past {@link #MAX_FAILED_CONFIRMATIONS} the MAC is not checked.
     */
    private final ConcurrentHashMap<String, AtomicInteger> failedConfirmations = new ConcurrentHashMap<>();
    private final CmpProtection protection;

    public CmpResponder(EnrollmentServices services, TlsIdentity identity) {
        this.services = services;
        this.secrets = services.secrets();
        this.transactions = new CmpTransactions(services.platform().database().dataSource(), services.clock());
        this.protection = new CmpProtection(services, identity);
    }

    /** Starts the sweep that revokes what clients never confirmed; close the handle with the listener. */
    AutoCloseable startUnconfirmedSweep() {
        return new UnconfirmedCertificates(services, transactions).schedule();
    }

    /** The answer to one request from {@code client} (its address); CMP-level problems are answered as error messages, never thrown. */
    public byte[] respond(byte[] request, String client) {
        PKIMessage message;
        try {
            message = PKIMessage.getInstance(request);
        } catch (RuntimeException e) {
            return refuse(Optional.empty(), CmpSender.unprotected(), new CmpFailure(PKIFailureInfo.badDataFormat, "the body is not a DER PKIMessage (RFC 4210 5.1)"));
        }
        CmpSender sender = CmpSender.unprotected();
        try {
            checkHeader(message.getHeader());
            sender = authenticate(message, client);
            if (sender.protection() != CmpSender.Protection.NONE) {
                sender.proof().actAs();
            }
            byte[] senderNonce = CmpProtection.nonce();
            return encode(protection.protect(message.getHeader(), sender, answer(message, sender, senderNonce), senderNonce));
        } catch (CmpFailure failure) {
            return refuse(Optional.of(message.getHeader()), sender, failure);
        } catch (LetterlockException e) {
            return refuse(Optional.of(message.getHeader()), sender, CmpFailure.of(e));
        } catch (IllegalArgumentException | ClassCastException | ArithmeticException e) {
            // What Bouncy Castle's ASN.1 parsers and exact integer reads throw on structures that are not what they claim.
            return refuse(Optional.of(message.getHeader()), sender, new CmpFailure(PKIFailureInfo.badDataFormat, "the message does not parse: " + rootMessage(e)));
        }
    }

    // ---- the header and its protection

    private void checkHeader(PKIHeader header) {
        if (!supportedVersion(header)) {
            throw new CmpFailure(PKIFailureInfo.unsupportedVersion, "pvno " + header.getPvno().getValue() + " is not supported; use 2 (cmp2000) or 3 (cmp2021)");
        }
        ASN1OctetString transaction = header.getTransactionID();
        if (transaction == null || transaction.getOctets().length < CmpProtection.NONCE_BYTES || transaction.getOctets().length > 64) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "the transactionID must be present and 16 to 64 bytes (RFC 9483 3.1)");
        }
        if (header.getSenderNonce() == null || header.getSenderNonce().getOctets().length < CmpProtection.NONCE_BYTES) {
            throw new CmpFailure(PKIFailureInfo.badSenderNonce, "the senderNonce must be present and at least 16 bytes (RFC 9483 3.1)");
        }
        if (header.getMessageTime() != null) {
            Instant sent;
            try {
                sent = header.getMessageTime().getDate().toInstant();
            } catch (java.text.ParseException e) {
                throw new CmpFailure(PKIFailureInfo.badDataFormat, "the messageTime does not parse");
            }
            Instant now = services.clock().instant();
            if (sent.isBefore(now.minus(TIME_WINDOW)) || sent.isAfter(now.plus(TIME_WINDOW))) {
                throw new CmpFailure(PKIFailureInfo.badTime, "the messageTime " + sent + " is more than " + TIME_WINDOW.toMinutes() + " minutes from the server's " + now);
            }
        }
    }

    /**
     * Who sent the message, by its protection. A MAC is checked against the open enrollment secrets of the mailbox
     * named by senderKID (a wrong MAC counts against it); a certConf of a MAC-protected enrollment against the secret
     * that enrollment spent. A signature must come from a current certificate this CA issued to a mailbox.
     */
    private CmpSender authenticate(PKIMessage message, String client) {
        AlgorithmIdentifier algorithm = message.getHeader().getProtectionAlg();
        if (message.getProtection() == null || algorithm == null) {
            if (message.getBody().getType() == PKIBody.TYPE_GEN_MSG) {
                return CmpSender.unprotected();
            }
            throw new CmpFailure(PKIFailureInfo.badMessageCheck, "the request is not protected; protect it with a MAC under the enrollment secret or with a current certificate");
        }
        ProtectedPKIMessage protectedMessage = new ProtectedPKIMessage(new GeneralPKIMessage(message));
        return CmpMac.isMac(algorithm) ? byMac(message, protectedMessage, client) : bySignature(protectedMessage);
    }

    private CmpSender byMac(PKIMessage message, ProtectedPKIMessage protectedMessage, String client) {
        PBEMacCalculatorProvider verifier = CmpMac.verifier(message.getHeader().getProtectionAlg());
        ASN1OctetString kid = message.getHeader().getSenderKID();
        if (kid == null) {
            throw new CmpFailure(PKIFailureInfo.badMessageCheck, "a MAC-protected request names its mailbox in senderKID (the address, UTF-8)");
        }
        String mailbox;
        try {
            mailbox = org.letterlock.platform.identity.MailAddress.normalise(new String(kid.getOctets(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (LetterlockException e) {
            throw new CmpFailure(PKIFailureInfo.badMessageCheck, "the senderKID is not a mail address: " + e.getMessage());
        }
        // certConf, or an error ending the transaction instead: checked under the secret the enrollment spent.
        if (message.getBody().getType() == PKIBody.TYPE_CERT_CONFIRM || message.getBody().getType() == PKIBody.TYPE_ERROR) {
            String id = transactionId(message.getHeader());
            CmpTransactions.Transaction transaction = transactions.find(id)
                    .filter(t -> t.protection() == CmpSender.Protection.MAC && t.mailbox().equals(mailbox) && t.secretId().isPresent())
                    .orElseThrow(() -> new CmpFailure(PKIFailureInfo.badRequest, "no MAC-protected enrollment of " + mailbox + " waits for confirmation in this transaction"));
            AtomicInteger failed = failedConfirmations.get(id);
            if (failed != null && failed.get() >= MAX_FAILED_CONFIRMATIONS) {
                throw new CmpFailure(PKIFailureInfo.badMessageCheck, MAX_FAILED_CONFIRMATIONS + " certConfs of this transaction failed their MAC; "
                        + "no more are checked, and certificates it has not confirmed are revoked when the confirmation window closes");
            }
            char[] secret = secrets.reopen(mailbox, transaction.secretId().get(), PROTOCOL, CmpTransactions.KEPT)
                    .orElseThrow(() -> new CmpFailure(PKIFailureInfo.badRequest, "the enrollment this transaction confirms is too old"));
            Optional<char[]> form = matching(protectedMessage, verifier, secret);
            if (form.isEmpty()) {
                if (failedConfirmations.size() >= MAX_COUNTED_TRANSACTIONS) {
                    failedConfirmations.clear();
                }
                failedConfirmations.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                throw new CmpFailure(PKIFailureInfo.badMessageCheck, "the MAC of the certConf does not verify under the secret of the enrollment");
            }
            failedConfirmations.remove(id);
            return CmpSender.byMac(mailbox, transaction.secretId().get(), form.get());
        }
        for (EnrollmentSecrets.OpenSecret open : secrets.open(mailbox, PROTOCOL, client)) {
            Optional<char[]> form = matching(protectedMessage, verifier, open.secret());
            if (form.isPresent()) {
                secrets.matched(mailbox, client);
                return CmpSender.byMac(mailbox, open.id(), form.get());
            }
        }
        throw CmpFailure.of(secrets.failed(mailbox, PROTOCOL, client));
    }

    /** The form of {@code secret} the MAC was made with: as printed (with hyphens) or as typed without them. */
    private static Optional<char[]> matching(ProtectedPKIMessage message, PBEMacCalculatorProvider verifier, char[] secret) {
        char[] bare = new String(secret).replace("-", "").toCharArray();
        for (char[] form : List.of(secret, bare)) {
            try {
                if (message.verify(verifier, form)) {
                    return Optional.of(form);
                }
            } catch (CMPException | RuntimeException e) {
                throw new CmpFailure(PKIFailureInfo.badAlg, "the MAC cannot be computed: " + rootMessage(e));
            }
        }
        return Optional.empty();
    }

    private CmpSender bySignature(ProtectedPKIMessage message) {
        CMPCertificate[] extraCerts = message.toASN1Structure().getExtraCerts();
        if (extraCerts != null && extraCerts.length > 0 && !extraCerts[0].isX509v3PKCert()) {
            throw new CmpFailure(PKIFailureInfo.badMessageCheck, "the first certificate in extraCerts must be the X.509 protection certificate (RFC 9483 3.3), not another kind");
        }
        X509CertificateHolder[] certificates = message.getCertificates();
        if (certificates.length == 0) {
            throw new CmpFailure(PKIFailureInfo.badMessageCheck, "a signature-protected request carries its protection certificate first in extraCerts (RFC 9483 3.3)");
        }
        X509CertificateHolder signer = certificates[0];
        try {
            if (!message.verify(services.platform().vault().verifier(signer.getSubjectPublicKeyInfo()))) {
                throw new CmpFailure(PKIFailureInfo.badMessageCheck, "the protection signature does not verify with the first certificate in extraCerts");
            }
        } catch (CMPException | RuntimeException e) {
            if (e instanceof CmpFailure failure) {
                throw failure;
            }
            throw new CmpFailure(PKIFailureInfo.badAlg, "the protection signature cannot be checked: " + rootMessage(e));
        }
        IssuedCertificate current;
        try {
            current = services.mailboxes().current(new JcaX509CertificateConverter().getCertificate(signer))
                    .orElseThrow(() -> new CmpFailure(PKIFailureInfo.signerNotTrusted, "the protection certificate is not a current certificate of a mailbox here "
                            + "(unknown, revoked or expired); enroll again with an enrollment secret"));
        } catch (CertificateException e) {
            throw new CmpFailure(PKIFailureInfo.badCertId, "the protection certificate does not parse: " + e.getMessage());
        }
        if (!MailboxEnrollment.forSigning(signer)) {
            throw new CmpFailure(PKIFailureInfo.notAuthorized, "the protection certificate is not for signing (no digitalSignature key usage); sign with the mailbox's signing certificate");
        }
        return CmpSender.bySignature(current, signer);
    }

    // ---- the bodies

    /** The answer's body; {@code senderNonce} is the one the answer will carry, kept with a transaction that awaits certConf. */
    private PKIBody answer(PKIMessage message, CmpSender sender, byte[] senderNonce) {
        PKIHeader header = message.getHeader();
        PKIBody body = message.getBody();
        return switch (body.getType()) {
            case PKIBody.TYPE_INIT_REQ -> enroll(header, sender, CertReqMessages.getInstance(body.getContent()), PKIBody.TYPE_INIT_REP, false, senderNonce);
            case PKIBody.TYPE_CERT_REQ -> enroll(header, sender, CertReqMessages.getInstance(body.getContent()), PKIBody.TYPE_CERT_REP, false, senderNonce);
            case PKIBody.TYPE_KEY_UPDATE_REQ -> enroll(header, sender, CertReqMessages.getInstance(body.getContent()), PKIBody.TYPE_KEY_UPDATE_REP, true, senderNonce);
            case PKIBody.TYPE_P10_CERT_REQ -> enrollPkcs10(header, sender, body, senderNonce);
            case PKIBody.TYPE_REVOCATION_REQ -> revoke(header, sender, RevReqContent.getInstance(body.getContent()), senderNonce);
            case PKIBody.TYPE_CERT_CONFIRM -> confirm(header, sender, CertConfirmContent.getInstance(body.getContent()));
            case PKIBody.TYPE_GEN_MSG -> generalMessage(GenMsgContent.getInstance(body.getContent()));
            case PKIBody.TYPE_POLL_REQ -> {
                String id = transactionId(header);
                throw new CmpFailure(PKIFailureInfo.badRequest, transactions.find(id).isPresent()
                        ? "transaction " + id + " has nothing waiting: this server answers every request at once (RFC 9483 4.4)"
                        : "no transaction " + id + " is known here");
            }
            case PKIBody.TYPE_ERROR -> {
                ErrorMsgContent error = ErrorMsgContent.getInstance(body.getContent());
                Optional<CmpTransactions.Transaction> ended = transactions.find(transactionId(header)).filter(t -> sender.mailbox().equals(Optional.of(t.mailbox())));
                // A client that ends the transaction before its certConf did not accept what it was issued.
                List<BigInteger> unconfirmed = ended.filter(t -> t.state().equals("confirm")).map(t -> List.copyOf(t.awaiting().values())).orElse(List.of());
                revokeUnrevoked(unconfirmed, sender);
                ended.ifPresent(t -> transactions.finish(t.id(), t.state()));
                services.audit().record("enroll.cmp.error", target(sender, header), Outcome.FAILED, "the client ended the transaction: " + text(error.getPKIStatusInfo())
                        + (unconfirmed.isEmpty() ? "" : "; its unconfirmed certificates " + hexes(unconfirmed) + " are revoked"));
                yield new PKIBody(PKIBody.TYPE_CONFIRM, DERNull.INSTANCE);
            }
            default -> throw new CmpFailure(PKIFailureInfo.badRequest, "message type " + body.getType()
                    + " is not offered here; use ir, cr, p10cr, kur, rr, certConf, pollReq or genm (RFC 9483)");
        };
    }

    /**
     * ir, cr and kur: each CertReqMsg is either the client's signing key (proof of possession by signature) or a
     * request for a centrally generated encryption key (no key, or an algorithm with an empty key, and no POPO). All
     * land in one new pair: the CA keeps one signing certificate per pair, so a kur renews the pair into a new one.
     */
    private PKIBody enroll(PKIHeader header, CmpSender sender, CertReqMessages request, int replyType, boolean keyUpdate, byte[] senderNonce) {
        String mailbox = sender.requireMailbox();
        if (keyUpdate && sender.protection() != CmpSender.Protection.SIGNATURE) {
            throw new CmpFailure(PKIFailureInfo.notAuthorized, "kur is signed with the certificate it updates (RFC 9483 4.1.3); enroll with ir under an enrollment secret instead");
        }
        CertReqMsg[] messages = request.toCertReqMsgArray();
        if (messages.length == 0 || messages.length > 2) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "send one or two CertReqMsg: the signing key, and optionally one centrally generated encryption key");
        }
        List<Planned> plan = new ArrayList<>();
        for (CertReqMsg message : messages) {
            plan.add(plan(new CertificateRequestMessage(message), mailbox));
        }
        if (plan.stream().filter(p -> p.publicKey().isPresent()).count() > 1 || plan.stream().filter(p -> p.publicKey().isEmpty()).count() > 1) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "at most one signing key and one centrally generated encryption key per request");
        }
        if (plan.stream().map(Planned::certReqId).distinct().count() < plan.size()) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "each CertReqMsg needs its own certReqId");
        }
        if (keyUpdate && sender.certificate().map(c -> !c.profile().equals("mailbox-signing")).orElse(true)) {
            throw new CmpFailure(PKIFailureInfo.badCertTemplate, "kur updates a mailbox-signing certificate; this one is " + sender.certificate().map(IssuedCertificate::profile).orElse("none"));
        }
        if (keyUpdate) {
            BigInteger updated = sender.certificate().orElseThrow().serial();
            for (CertReqMsg message : messages) {
                CertificateRequestMessage update = new CertificateRequestMessage(message);
                if (update.hasControl(CRMFObjectIdentifiers.id_regCtrl_oldCertID)
                        && !CertId.getInstance(update.getControl(CRMFObjectIdentifiers.id_regCtrl_oldCertID).getValue()).getSerialNumber().hasValue(updated)) {
                    throw new CmpFailure(PKIFailureInfo.badCertId, "the oldCertID control names another certificate than the one the kur is signed with");
                }
            }
        }
        if (sender.protection() == CmpSender.Protection.SIGNATURE && plan.stream().anyMatch(p -> p.publicKey().isEmpty())) {
            ASN1ObjectIdentifier keyType = sender.holder().orElseThrow().getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
            if (!keyType.equals(PKCSObjectIdentifiers.rsaEncryption) && !keyType.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
                throw new CmpFailure(PKIFailureInfo.badAlg, "a centrally generated key is delivered to the protecting certificate's key, which must be RSA or EC");
            }
        }
        openTransaction(header, sender);
        return issue(header, sender, mailbox, plan, replyType, senderNonce);
    }

    /** One CertReqMsg checked before anything is issued: its id, its key (empty: generate centrally) and the key type wanted. */
    private record Planned(int certReqId, Optional<SubjectPublicKeyInfo> publicKey, Optional<KeySpec> spec) {
    }

    private Planned plan(CertificateRequestMessage message, String mailbox) {
        int certReqId = message.getCertReqId().intValueExact();
        CertTemplate template = message.getCertTemplate();
        requireOnly(mailbox, template);
        SubjectPublicKeyInfo key = template.getPublicKey();
        boolean central = key == null || key.getPublicKeyData().getOctets().length == 0;
        if (central) {
            if (message.hasProofOfPossession()) {
                throw new CmpFailure(PKIFailureInfo.badPOP, "a request for a centrally generated key carries no proof of possession (RFC 9483 4.1.6)");
            }
            return new Planned(certReqId, Optional.empty(), key == null ? Optional.empty() : Optional.of(encryptionSpec(key.getAlgorithm())));
        }
        if (!message.hasProofOfPossession() || message.getProofOfPossessionType() != CertificateRequestMessage.popSigningKey) {
            throw new CmpFailure(PKIFailureInfo.badPOP, "the signing key needs a signature proof of possession (POPOSigningKey, RFC 4211 4.1)");
        }
        // A key the CA would refuse is named as such, before its signature is checked by a verifier that may not read it.
        try {
            CertificationRequest.checkKey(key);
        } catch (LetterlockException e) {
            throw CmpFailure.of(e);
        }
        try {
            if (message.hasSigningKeyProofOfPossessionWithPKMAC() || !message.isValidSigningKeyPOP(services.platform().vault().verifier(key))) {
                throw new CmpFailure(PKIFailureInfo.badPOP, "the proof of possession does not verify with the key in the template");
            }
        } catch (CRMFException | RuntimeException e) {
            if (e instanceof CmpFailure failure) {
                throw failure;
            }
            throw new CmpFailure(PKIFailureInfo.badPOP, "the proof of possession cannot be checked: " + rootMessage(e));
        }
        return new Planned(certReqId, Optional.of(key), Optional.empty());
    }

    /** The template may name the mailbox (subject CN or emailAddress, rfc822Name) and nothing else. */
    private static void requireOnly(String mailbox, CertTemplate template) {
        X500Name subject = template.getSubject();
        if (subject != null) {
            for (var rdn : subject.getRDNs()) {
                for (var value : rdn.getTypesAndValues()) {
                    String text = value.getValue().toString();
                    boolean nameOfMailbox = (value.getType().equals(BCStyle.CN) || value.getType().equals(BCStyle.EmailAddress)) && text.equalsIgnoreCase(mailbox);
                    if (!nameOfMailbox) {
                        throw new CmpFailure(PKIFailureInfo.badCertTemplate, "the subject may name the mailbox " + mailbox + " only (CN or emailAddress), not "
                                + BCStyle.INSTANCE.oidToDisplayName(value.getType()) + "=" + text);
                    }
                }
            }
        }
        if (template.getExtensions() != null && template.getExtensions().getExtension(Extension.subjectAlternativeName) != null) {
            for (GeneralName name : GeneralNames.fromExtensions(template.getExtensions(), Extension.subjectAlternativeName).getNames()) {
                if (name.getTagNo() != GeneralName.rfc822Name || !name.getName().toString().equalsIgnoreCase(mailbox)) {
                    throw new CmpFailure(PKIFailureInfo.badCertTemplate, "the request may name the mailbox " + mailbox + " only, not " + name);
                }
            }
        }
    }

    private static KeySpec encryptionSpec(AlgorithmIdentifier algorithm) {
        if (algorithm.getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption)) {
            return KeySpec.RSA_3072;
        }
        if (algorithm.getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey) && SECObjectIdentifiers.secp256r1.equals(algorithm.getParameters())) {
            return KeySpec.EC_P256;
        }
        throw new CmpFailure(PKIFailureInfo.badAlg, "central key generation makes EC P-256 or RSA keys (genm encKeyPairTypes), not " + algorithm.getAlgorithm());
    }

    /**
     * Issues what was planned, signing key first so that a generated encryption key joins its pair. Should a later
     * step fail, what this request issued is revoked again: a refused request leaves no usable certificate.
     */
    private PKIBody issue(PKIHeader header, CmpSender sender, String mailbox, List<Planned> plan, int replyType, byte[] senderNonce) {
        EnrollmentProof proof = sender.proof();
        List<IssuedCertificate> issued = new ArrayList<>();
        Map<Integer, CertResponse> responses = new LinkedHashMap<>();
        Map<Integer, BigInteger> awaiting = new LinkedHashMap<>();
        try {
            // The transaction row names the secret already (it was opened with the sender), for the certConf's MAC.
            sender.secretId().ifPresent(id -> secrets.spend(mailbox, id, PROTOCOL));
            Optional<String> pairId = Optional.empty();
            for (Planned step : plan.stream().sorted((a, b) -> Boolean.compare(a.publicKey().isEmpty(), b.publicKey().isEmpty())).toList()) {
                IssuedCertificate certificate;
                Optional<EncryptedKey> privateKey = Optional.empty();
                if (step.publicKey().isPresent()) {
                    certificate = services.mailboxes().signingCertificate(step.publicKey().get(), pairId, proof);
                    issued.add(certificate);
                } else {
                    KeyEscrow.ArchivedKeyPair generated = services.mailboxes().encryptionKey(pairId, step.spec(), proof);
                    certificate = generated.certificate();
                    // Listed before the delivery: should enveloping fail, this certificate is revoked with the rest.
                    issued.add(certificate);
                    privateKey = Optional.of(deliver(sender, generated));
                }
                pairId = pairId.or(certificate::pairId);
                awaiting.put(step.certReqId(), certificate.serial());
                responses.put(step.certReqId(), new CertResponse(new ASN1Integer(step.certReqId()), new PKIStatusInfo(PKIStatus.granted),
                        new CertifiedKeyPair(new CertOrEncCert(new CMPCertificate(certificate.holder().toASN1Structure())), privateKey.orElse(null), null), null));
            }
        } catch (RuntimeException e) {
            for (IssuedCertificate certificate : issued) {
                services.mailboxes().revoke(certificate.serial(), RevocationReason.CESSATION_OF_OPERATION, proof);
            }
            throw e;
        }
        boolean implicit = CmpProtection.implicitConfirm(header);
        transactions.issued(transactionId(header), implicit ? Map.of() : awaiting, senderNonce);
        List<CertResponse> ordered = plan.stream().map(p -> responses.get(p.certReqId())).toList();
        // RFC 9483 4.1.1: after a MAC-protected ir the client learns its trust anchor from caPubs.
        CMPCertificate[] caPubs = sender.protection() == CmpSender.Protection.MAC && replyType == PKIBody.TYPE_INIT_REP
                ? new CMPCertificate[] {new CMPCertificate(protection.root().toASN1Structure())} : null;
        return new PKIBody(replyType, new CertRepMessage(caPubs, ordered.toArray(CertResponse[]::new)));
    }

    private EncryptedKey deliver(CmpSender sender, KeyEscrow.ArchivedKeyPair generated) {
        try {
            return new EncryptedKey(sender.protection() == CmpSender.Protection.MAC
                    ? KeyPackageEnvelope.underPassword(generated.privateKey(), sender.secret().orElseThrow(), protection.signer(), protection.chain())
                    : KeyPackageEnvelope.toCertificate(generated.privateKey(), sender.holder().orElseThrow(), Optional.empty(), KeyPackageEnvelope.Ciphers.DEFAULT,
                            protection.signer(), protection.chain()));
        } catch (LetterlockException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, e.getMessage());
        }
    }

    /** p10cr: a PKCS#10 request for the signing key; the CA checks its signature and names. */
    private PKIBody enrollPkcs10(PKIHeader header, CmpSender sender, PKIBody body, byte[] senderNonce) {
        String mailbox = sender.requireMailbox();
        byte[] csr;
        try {
            csr = body.getContent().toASN1Primitive().getEncoded();
        } catch (IOException e) {
            throw new CmpFailure(PKIFailureInfo.badDataFormat, "the PKCS#10 request does not encode");
        }
        openTransaction(header, sender);
        sender.secretId().ifPresent(id -> secrets.spend(mailbox, id, PROTOCOL));
        IssuedCertificate certificate = services.mailboxes().signingCertificate(csr, sender.proof());
        // RFC 9480 2.9 (cmp2021): a p10cr's answer has certReqId -1; cmp2000 clients (OpenSSL 3.0) look for 0.
        int certReqId = header.getPvno().intValueExact() == PKIHeader.CMP_2021 ? -1 : 0;
        transactions.issued(transactionId(header), CmpProtection.implicitConfirm(header) ? Map.of() : Map.of(certReqId, certificate.serial()), senderNonce);
        CertResponse response = new CertResponse(new ASN1Integer(certReqId), new PKIStatusInfo(PKIStatus.granted),
                new CertifiedKeyPair(new CertOrEncCert(new CMPCertificate(certificate.holder().toASN1Structure()))), null);
        return new PKIBody(PKIBody.TYPE_CERT_REP, new CertRepMessage(null, new CertResponse[] {response}));
    }

    /** rr: revokes certificates of the signer's own mailbox (RFC 9483 4.2), each with the RFC 5280 reason it gives. */
    private PKIBody revoke(PKIHeader header, CmpSender sender, RevReqContent request, byte[] senderNonce) {
        if (sender.protection() != CmpSender.Protection.SIGNATURE) {
            throw new CmpFailure(PKIFailureInfo.notAuthorized, "rr is signed with a current certificate of the mailbox (RFC 9483 4.2)");
        }
        String mailbox = sender.requireMailbox();
        RevDetails[] details = request.toRevDetailsArray();
        if (details.length != 1) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "send exactly one RevDetails (RFC 9483 4.2)");
        }
        CertTemplate template = details[0].getCertDetails();
        if (template.getSerialNumber() == null) {
            throw new CmpFailure(PKIFailureInfo.badCertId, "the certDetails name the certificate by serialNumber and issuer");
        }
        BigInteger serial = template.getSerialNumber().getValue();
        IssuedCertificate target = services.mailboxes().ca().find(serial)
                .orElseThrow(() -> new CmpFailure(PKIFailureInfo.badCertId, "no certificate with serial " + IssuedCertificate.hex(serial) + " was issued here"));
        if (!target.mailbox().equals(Optional.of(mailbox))) {
            throw new CmpFailure(PKIFailureInfo.notAuthorized, "certificate " + target.serialHex() + " is not one of " + mailbox + "'s");
        }
        if (target.revoked()) {
            throw new CmpFailure(PKIFailureInfo.certRevoked, "certificate " + target.serialHex() + " was revoked already on " + target.revocation().get().at());
        }
        if (template.getIssuer() != null && !template.getIssuer().equals(target.holder().getIssuer())) {
            throw new CmpFailure(PKIFailureInfo.badCertId, "certificate " + target.serialHex() + " was issued by " + target.holder().getIssuer() + ", not " + template.getIssuer());
        }
        RevocationReason reason = reason(details[0]);
        openTransaction(header, sender);
        services.mailboxes().revoke(serial, reason, sender.proof());
        transactions.issued(transactionId(header), Map.of(), senderNonce);
        CertId id = new CertId(new GeneralName(target.holder().getIssuer()), serial);
        return new PKIBody(PKIBody.TYPE_REVOCATION_REP, new RevRepContentBuilder().add(new PKIStatusInfo(PKIStatus.granted), id).build());
    }

    private static RevocationReason reason(RevDetails details) {
        if (details.getCrlEntryDetails() == null || details.getCrlEntryDetails().getExtension(Extension.reasonCode) == null) {
            return RevocationReason.UNSPECIFIED;
        }
        int code;
        try {
            code = CRLReason.getInstance(details.getCrlEntryDetails().getExtension(Extension.reasonCode).getParsedValue()).getValue().intValueExact();
        } catch (RuntimeException e) {
            throw new CmpFailure(PKIFailureInfo.badDataFormat, "the reasonCode does not parse (RFC 5280 5.3.1)");
        }
        return Arrays.stream(RevocationReason.values()).filter(r -> r.code() == code && r.subscriberMayGive()).findFirst()
                .orElseThrow(() -> new CmpFailure(PKIFailureInfo.badRequest, "revocation reason " + code + " is not one a subscriber gives; use one of "
                        + RevocationReason.subscriberCodes()));
    }

    /**
     * certConf: each CertStatus must name a certificate of this transaction by its hash. An accepted one ends the
     * transaction; a rejected one is revoked, as RFC 9483 4.1.1 expects of a certificate the client would not use.
     */
    private PKIBody confirm(PKIHeader header, CmpSender sender, CertConfirmContent content) {
        String id = transactionId(header);
        CmpTransactions.Transaction transaction = transactions.find(id)
                .orElseThrow(() -> new CmpFailure(PKIFailureInfo.badRequest, "no transaction " + id + " waits for confirmation here"));
        if (!sender.mailbox().equals(Optional.of(transaction.mailbox())) || transaction.protection() != sender.protection()) {
            throw new CmpFailure(PKIFailureInfo.notAuthorized, "the certConf is not protected like the enrollment it confirms");
        }
        if (transaction.state().equals("unconfirmed") || (transaction.state().equals("confirm")
                && transaction.confirmBy().map(end -> end.isBefore(services.clock().instant())).orElse(false))) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "transaction " + id + " waited " + CmpTransactions.CONFIRM_WINDOW.toMinutes()
                    + " minutes for certConf; its certificates are revoked (or about to be): enroll again");
        }
        if (!transaction.state().equals("confirm")) {
            throw new CmpFailure(PKIFailureInfo.certConfirmed, "transaction " + id + " has nothing left to confirm");
        }
        // RFC 4210 5.1.1, RFC 9483 3.5: the certConf answers our ip/cp/kup, whose senderNonce it repeats as recipNonce.
        String recipNonce = header.getRecipNonce() == null ? "" : HexFormat.of().formatHex(header.getRecipNonce().getOctets());
        if (!transaction.answerNonce().map(recipNonce::equals).orElse(false)) {
            throw new CmpFailure(PKIFailureInfo.badRecipientNonce, header.getRecipNonce() == null
                    ? "the certConf carries no recipNonce; repeat the senderNonce of the certificate answer (RFC 4210 5.1.1)"
                    : "the certConf's recipNonce is not the senderNonce of the certificate answer it confirms (RFC 4210 5.1.1)");
        }
        CertStatus[] statuses = content.toCertStatusArray();
        if (statuses.length != transaction.awaiting().size()) {
            throw new CmpFailure(PKIFailureInfo.badRequest, "confirm each of the " + transaction.awaiting().size() + " certificates of the transaction");
        }
        List<BigInteger> rejected = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (CertStatus status : statuses) {
            int certReqId = status.getCertReqId().intValueExact();
            BigInteger serial = transaction.awaiting().get(certReqId);
            if (serial == null) {
                throw new CmpFailure(PKIFailureInfo.badCertId, "certReqId " + certReqId + " was not answered in this transaction");
            }
            if (!seen.add(certReqId)) {
                throw new CmpFailure(PKIFailureInfo.badRequest, "certReqId " + certReqId + " is confirmed twice; give one status per certificate");
            }
            X509CertificateHolder certificate = services.mailboxes().ca().find(serial).orElseThrow().holder();
            if (!Arrays.equals(status.getCertHash().getOctets(), certHash(certificate, Optional.ofNullable(status.getHashAlg())))) {
                throw new CmpFailure(PKIFailureInfo.badCertId, "the certHash for certReqId " + certReqId + " is not the hash of the certificate issued");
            }
            if (status.getStatusInfo() != null && status.getStatusInfo().getStatus().intValue() == PKIStatus.REJECTION) {
                rejected.add(serial);
            }
        }
        // Revoked before the transaction is finished: if a revocation fails, the transaction still waits, and the
        // client's retry (or the unconfirmed sweep when the window closes) revokes what it rejected.
        revokeUnrevoked(rejected, sender);
        if (!transactions.finish(id, "confirm")) {
            throw new CmpFailure(PKIFailureInfo.certConfirmed, "transaction " + id + " was confirmed already");
        }
        services.audit().record("enroll.cmp.confirm", target(sender, header), rejected.isEmpty() ? Outcome.ALLOWED : Outcome.FAILED,
                rejected.isEmpty() ? "certificates " + hexes(transaction.awaiting().values()) + " confirmed"
                        : "the client rejected " + hexes(rejected) + ": revoked");
        return new PKIBody(PKIBody.TYPE_CONFIRM, DERNull.INSTANCE);
    }

    /** Certificates the client did not accept: revoked (cessationOfOperation) unless they are already. */
    private void revokeUnrevoked(List<BigInteger> serials, CmpSender sender) {
        for (BigInteger serial : serials) {
            if (!services.mailboxes().ca().find(serial).map(IssuedCertificate::revoked).orElse(true)) {
                services.mailboxes().revoke(serial, RevocationReason.CESSATION_OF_OPERATION, sender.proof());
            }
        }
    }

    /** The certHash of RFC 4210 5.3.18: by the given hashAlg (cmp2021), else the digest of the certificate's signature algorithm. */
    private static byte[] certHash(X509CertificateHolder certificate, Optional<AlgorithmIdentifier> hashAlg) {
        AlgorithmIdentifier digest = hashAlg.orElseGet(() -> new DefaultDigestAlgorithmIdentifierFinder().find(certificate.getSignatureAlgorithm()));
        try {
            DigestCalculator calculator = new JcaDigestCalculatorProviderBuilder().setProvider(BC).build().get(digest);
            calculator.getOutputStream().write(certificate.getEncoded());
            calculator.getOutputStream().close();
            return calculator.getDigest();
        } catch (OperatorCreationException | IOException | RuntimeException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the certHash algorithm is not supported: " + digest.getAlgorithm());
        }
    }

    /** genm: CA certificates (id-it-caCerts, RFC 9483 4.3.1) and the key types offered; no ITAV asks for all of them, unknown ones are left out (RFC 4210 5.3.19). */
    private PKIBody generalMessage(GenMsgContent content) {
        // No transaction row: genm reads public information, so a repeated one does no harm, and anyone may send it
        // unauthenticated, so it must not be able to write to the database.
        InfoTypeAndValue[] asked = content.toInfoTypeAndValueArray();
        List<ASN1ObjectIdentifier> types = asked.length == 0 ? List.of(CMPObjectIdentifiers.id_it_caCerts, CMPObjectIdentifiers.it_signKeyPairTypes,
                CMPObjectIdentifiers.it_encKeyPairTypes) : Arrays.stream(asked).map(InfoTypeAndValue::getInfoType).toList();
        List<InfoTypeAndValue> answers = new ArrayList<>();
        for (ASN1ObjectIdentifier type : types) {
            if (type.equals(CMPObjectIdentifiers.id_it_caCerts)) {
                answers.add(new InfoTypeAndValue(type, new DERSequence(protection.caChain().stream().map(c -> new CMPCertificate(c.toASN1Structure())).toArray(ASN1Encodable[]::new))));
            } else if (type.equals(CMPObjectIdentifiers.it_signKeyPairTypes)) {
                answers.add(new InfoTypeAndValue(type, new DERSequence(SIGNING_KEY_TYPES.toArray(ASN1Encodable[]::new))));
            } else if (type.equals(CMPObjectIdentifiers.it_encKeyPairTypes)) {
                answers.add(new InfoTypeAndValue(type, new DERSequence(ENCRYPTION_KEY_TYPES.toArray(ASN1Encodable[]::new))));
            }
        }
        return new PKIBody(PKIBody.TYPE_GEN_REP, new GenRepContent(answers.toArray(InfoTypeAndValue[]::new)));
    }

    private void openTransaction(PKIHeader header, CmpSender sender) {
        String id = transactionId(header);
        if (!transactions.open(id, sender.requireMailbox(), sender.protection(), sender.secretId())) {
            throw new CmpFailure(PKIFailureInfo.transactionIdInUse, "transaction id " + id + " was used before; start each transaction with a fresh random id");
        }
    }

    private static boolean supportedVersion(PKIHeader header) {
        return header.getPvno().hasValue(PKIHeader.CMP_2000) || header.getPvno().hasValue(PKIHeader.CMP_2021);
    }

    /** The error message for a refusal, audited. Protected like an answer when the sender was authenticated, else signed. */
    private byte[] refuse(Optional<PKIHeader> request, CmpSender sender, CmpFailure failure) {
        boolean denied = failure.failInfo() == PKIFailureInfo.badMessageCheck || failure.failInfo() == PKIFailureInfo.notAuthorized
                || failure.failInfo() == PKIFailureInfo.signerNotTrusted;
        services.audit().record("enroll.cmp", request.map(h -> target(sender, h)).orElse("cmp"), denied ? Outcome.DENIED : Outcome.FAILED,
                failName(failure.failInfo()) + ": " + failure.getMessage());
        PKIStatusInfo status = new PKIStatusInfo(PKIStatus.rejection, new PKIFreeText(failure.getMessage()), new PKIFailureInfo(failure.failInfo()));
        PKIBody body = new PKIBody(PKIBody.TYPE_ERROR, new ErrorMsgContent(status));
        PKIHeader header = request.filter(h -> h.getTransactionID() != null && supportedVersion(h))
                .orElseGet(() -> new PKIHeader(PKIHeader.CMP_2000, PKIHeader.NULL_NAME, PKIHeader.NULL_NAME));
        if (header.getTransactionID() == null) {
            header = new org.bouncycastle.asn1.cmp.PKIHeaderBuilder(PKIHeader.CMP_2000, PKIHeader.NULL_NAME, PKIHeader.NULL_NAME).setTransactionID(CmpProtection.nonce()).build();
        }
        CmpSender protectAs = sender.protection() == CmpSender.Protection.MAC ? sender : CmpSender.unprotected();
        return encode(protection.protect(header, protectAs, body, CmpProtection.nonce()));
    }

    private static String failName(int bit) {
        return FAILURE_NAMES.getOrDefault(bit, "failure");
    }

    private static Map<Integer, String> failureNames() {
        Map<Integer, String> names = new java.util.HashMap<>();
        for (java.lang.reflect.Field field : PKIFailureInfo.class.getFields()) {
            if (Character.isLowerCase(field.getName().charAt(0)) && field.getType() == int.class) {
                try {
                    names.put(field.getInt(null), field.getName());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Map.copyOf(names);
    }

    private static String target(CmpSender sender, PKIHeader header) {
        return sender.mailbox().map(m -> "mailbox:" + m).orElse("cmp-transaction:" + (header.getTransactionID() == null ? "none" : transactionId(header)));
    }

    private static String transactionId(PKIHeader header) {
        return HexFormat.of().formatHex(header.getTransactionID().getOctets());
    }

    private static String text(PKIStatusInfo status) {
        if (status.getStatusString() == null) {
            return "status " + status.getStatus();
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < status.getStatusString().size(); i++) {
            text.append(i > 0 ? "; " : "").append(status.getStatusString().getStringAtUTF8(i).getString());
        }
        return text.toString();
    }

    private static String hexes(java.util.Collection<BigInteger> serials) {
        return serials.stream().map(IssuedCertificate::hex).toList().toString();
    }

    private static byte[] encode(PKIMessage message) {
        try {
            return message.getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("a CMP answer does not encode", e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
