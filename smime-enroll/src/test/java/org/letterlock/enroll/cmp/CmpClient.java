package org.letterlock.enroll.cmp;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.cmp.RevDetails;
import org.bouncycastle.asn1.cmp.RevReqContent;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertTemplateBuilder;
import org.bouncycastle.asn1.crmf.EncryptedKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CertificateConfirmationContentBuilder;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.PKMACValuesCalculator;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorProviderBuilder;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JcePasswordEnvelopedRecipient;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A CMP client on Bouncy Castle's cert.cmp and cert.crmf, as a mail client or a load generator would use it against
 * {@code /cmp}: it builds requests (MAC-protected under an enrollment secret, or signed with a certificate), posts them
 * as application/pkixcmp over one kept-alive HTTPS client, and checks each answer's protection (the MAC under the same
 * secret, or a signature whose certificate chains to the trusted root) before reading it. Thread-safe.
 */
public final class CmpClient {
    public static final String MEDIA_TYPE = "application/pkixcmp";
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final URI endpoint;
    private final HttpClient http;
    private final X509CertificateHolder root;
    /** The secret of each mailbox this client MAC-protected a request for, to check the answers with. */
    private final java.util.Map<String, char[]> secrets = new java.util.concurrent.ConcurrentHashMap<>();

    /** How a request is protected: a MAC under the mailbox's enrollment secret, or a signature with a current certificate. */
    public sealed interface Credential permits Secret, Signer {
    }

    /** A MAC under the secret: PasswordBasedMac (RFC 4210 5.1.3.1), or with {@code pbmac1} PBMAC1 (RFC 9481 6.1.2: PBKDF2-HMAC-SHA256, HMAC-SHA256). */
    public record Secret(String mailbox, char[] secret, boolean pbmac1) implements Credential {
        public Secret(String mailbox, char[] secret) {
            this(mailbox, secret, false);
        }
    }

    public record Signer(X509CertificateHolder certificate, PrivateKey key) implements Credential {
    }

    /** An error message from the server: its PKIFailureInfo bits and text. */
    public static final class CmpError extends RuntimeException {
        private final int failInfo;

        CmpError(int failInfo, String text) {
            super(text);
            this.failInfo = failInfo;
        }

        public int failInfo() {
            return failInfo;
        }
    }

    /** What an ir/cr/kur brought: the certificates by certReqId order, the centrally generated private key if asked for, caPubs. */
    public record Enrollment(byte[] transactionId, X509CertificateHolder signing, Optional<X509CertificateHolder> encryption,
                             Optional<PrivateKeyInfo> encryptionKey, List<X509CertificateHolder> caPubs, boolean implicitlyConfirmed) {
    }

    /** PasswordBasedMac's iterations and MAC: Bouncy Castle's, independent of the server's code, unless made for load. */
    private final Supplier<PKMACValuesCalculator> pkmacValues;

    public CmpClient(URI endpoint, SSLContext tls, X509CertificateHolder root) {
        this(endpoint, tls, root, () -> new JcePKMACValuesCalculator().setProvider(BC));
    }

    private CmpClient(URI endpoint, SSLContext tls, X509CertificateHolder root, Supplier<PKMACValuesCalculator> pkmacValues) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
        this.root = root;
        this.pkmacValues = pkmacValues;
    }

    /**
     * A client for a load generator on the server's own cores: PasswordBasedMac iterates through the JDK's SHA-256 (the
     * server's {@link CmpMac.JdkDigestPkmacValues}, a quarter of Bouncy Castle's cost), so the client's share of the
     * CPU is smaller. Tests use the constructor, whose MACs owe nothing to the server's code.
     */
    public static CmpClient forLoad(URI endpoint, SSLContext tls, X509CertificateHolder root) {
        return new CmpClient(endpoint, tls, root, CmpMac.JdkDigestPkmacValues::new);
    }

    // ---- flows

    /**
     * ir for {@code signingKey} (proof of possession by signature) and, with {@code centralEncryptionKey}, a centrally
     * generated encryption key (RFC 9483 4.1.6) opened with the credential; then certConf unless implicitConfirm was granted.
     */
    public Enrollment enroll(int bodyType, Credential credential, String mailbox, KeyPair signingKey, boolean centralEncryptionKey, boolean implicitConfirm,
                             PrivateKey decryptionKeyForSigner) throws Exception {
        byte[] transaction = randomBytes(16);
        List<org.bouncycastle.asn1.crmf.CertReqMsg> requests = new ArrayList<>();
        requests.add(signingRequest(0, mailbox, signingKey));
        if (centralEncryptionKey) {
            requests.add(centralKeyRequest(1, mailbox, Optional.empty()));
        }
        PKIMessage answer = send(protect(credential, transaction, new PKIBody(bodyType, new CertReqMessages(requests.toArray(org.bouncycastle.asn1.crmf.CertReqMsg[]::new))),
                implicitConfirm));
        CertRepMessage reply = CertRepMessage.getInstance(requireBody(answer, bodyType + 1).getContent());
        CertResponse[] responses = reply.getResponse();
        X509CertificateHolder signing = certificate(responses[0]);
        Optional<X509CertificateHolder> encryption = responses.length > 1 ? Optional.of(certificate(responses[1])) : Optional.empty();
        Optional<PrivateKeyInfo> encryptionKey = Optional.empty();
        if (responses.length > 1) {
            if (!answer.getHeader().getPvno().hasValue(PKIHeader.CMP_2021)) {
                throw new IOException("an answer carrying EnvelopedData is cmp2021 (RFC 9480 2.2), this one has pvno " + answer.getHeader().getPvno());
            }
            EncryptedKey sealed = responses[1].getCertifiedKeyPair().getPrivateKey();
            Recipient recipient = credential instanceof Secret secret ? new JcePasswordEnvelopedRecipient(secret.secret()).setProvider(BC)
                    : recipientFor(decryptionKeyForSigner);
            encryptionKey = Optional.of(openCentralKey(sealed, recipient));
        }
        List<X509CertificateHolder> caPubs = new ArrayList<>();
        if (reply.getCaPubs() != null) {
            for (CMPCertificate certificate : reply.getCaPubs()) {
                caPubs.add(new X509CertificateHolder(certificate.getX509v3PKCert()));
            }
        }
        boolean implicit = granted(answer.getHeader());
        if (!implicit) {
            CertificateConfirmationContentBuilder confirmation = new CertificateConfirmationContentBuilder();
            confirmation.addAcceptedCertificate(signing, BigInteger.ZERO);
            encryption.ifPresent(e -> confirmation.addAcceptedCertificate(e, BigInteger.ONE));
            PKIMessage confirmed = send(protect(credential, transaction,
                    new PKIBody(PKIBody.TYPE_CERT_CONFIRM, confirmation.build(new JcaDigestCalculatorProviderBuilder().setProvider(BC).build()).toASN1Structure()), false,
                    answer.getHeader().getSenderNonce().getOctets()));
            requireBody(confirmed, PKIBody.TYPE_CONFIRM);
        }
        return new Enrollment(transaction, signing, encryption, encryptionKey, caPubs, implicit);
    }

    /** rr for {@code target} with an RFC 5280 reason code, signed by {@code signer}. */
    public PKIStatusInfo revoke(Signer signer, X509CertificateHolder target, int reason) throws Exception {
        PKIMessage answer = send(protect(signer, randomBytes(16), revocationBody(target, reason), false));
        return org.bouncycastle.asn1.cmp.RevRepContent.getInstance(requireBody(answer, PKIBody.TYPE_REVOCATION_REP).getContent()).getStatus()[0];
    }

    /** genm for {@code infoTypes}, unprotected (the CA certificates are public); the answer's ITAVs. */
    public InfoTypeAndValue[] generalMessage(ASN1ObjectIdentifier... infoTypes) throws Exception {
        List<InfoTypeAndValue> asked = new ArrayList<>();
        for (ASN1ObjectIdentifier type : infoTypes) {
            asked.add(new InfoTypeAndValue(type));
        }
        PKIHeader header = header(PKIHeader.CMP_2000, new GeneralName(new X500Name("CN=anonymous")), randomBytes(16), randomBytes(16), Instant.now());
        PKIMessage request = new PKIMessage(header, new PKIBody(PKIBody.TYPE_GEN_MSG,
                new org.bouncycastle.asn1.cmp.GenMsgContent(asked.toArray(InfoTypeAndValue[]::new))));
        return org.bouncycastle.asn1.cmp.GenRepContent.getInstance(requireBody(send(request), PKIBody.TYPE_GEN_REP).getContent()).toInfoTypeAndValueArray();
    }

    // ---- building blocks

    public org.bouncycastle.asn1.crmf.CertReqMsg signingRequest(int certReqId, String mailbox, KeyPair key) throws Exception {
        CertificateRequestMessageBuilder request = new CertificateRequestMessageBuilder(BigInteger.valueOf(certReqId))
                .setSubject(new X500Name("CN=" + mailbox))
                .setPublicKey(SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)))
                .setProofOfPossessionSigningKeySigner(signer(key.getPrivate()));
        return request.build().toASN1Structure();
    }

    /** A CertReqMsg asking for a centrally generated key: the key type as an algorithm with an empty key, or none at all; no POPO. */
    public org.bouncycastle.asn1.crmf.CertReqMsg centralKeyRequest(int certReqId, String mailbox, Optional<AlgorithmIdentifier> keyType) throws Exception {
        CertTemplateBuilder template = new CertTemplateBuilder().setSubject(new X500Name("CN=" + mailbox))
                .setExtensions(new Extensions(new Extension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)).getEncoded())));
        keyType.ifPresent(type -> template.setPublicKey(new SubjectPublicKeyInfo(type, new byte[0])));
        return new org.bouncycastle.asn1.crmf.CertReqMsg(new org.bouncycastle.asn1.crmf.CertRequest(certReqId, template.build(), null), null, null);
    }

    public PKIBody revocationBody(X509CertificateHolder target, int reason) {
        RevDetails details = new RevDetails(new CertTemplateBuilder().setSerialNumber(new ASN1Integer(target.getSerialNumber())).setIssuer(target.getIssuer()).build(),
                new Extensions(extension(Extension.reasonCode, CRLReason.lookup(reason))));
        return new PKIBody(PKIBody.TYPE_REVOCATION_REQ, new RevReqContent(details));
    }

    /** A request protected by {@code credential}: the mailbox as senderKID for a MAC, the certificate first in extraCerts for a signature. */
    public PKIMessage protect(Credential credential, byte[] transactionId, PKIBody body, boolean implicitConfirm) throws Exception {
        return protect(credential, transactionId, body, implicitConfirm, null);
    }

    /** As above, answering a message of the server: {@code recipNonce} repeats its senderNonce (RFC 4210 5.1.1), as a certConf must. */
    public PKIMessage protect(Credential credential, byte[] transactionId, PKIBody body, boolean implicitConfirm, byte[] recipNonce) throws Exception {
        ProtectedPKIMessageBuilder builder;
        if (credential instanceof Secret secret) {
            secrets.put(secret.mailbox(), secret.secret());
            builder = new ProtectedPKIMessageBuilder(PKIHeader.CMP_2000, new GeneralName(new X500Name("CN=" + secret.mailbox())), recipient())
                    .setSenderKID(secret.mailbox().getBytes(StandardCharsets.UTF_8));
        } else {
            Signer signer = (Signer) credential;
            builder = new ProtectedPKIMessageBuilder(PKIHeader.CMP_2000, new GeneralName(signer.certificate().getSubject()), recipient())
                    .addCMPCertificate(signer.certificate());
        }
        builder.setTransactionID(transactionId).setSenderNonce(randomBytes(16)).setMessageTime(new Date()).setBody(body);
        if (recipNonce != null) {
            builder.setRecipNonce(recipNonce);
        }
        if (implicitConfirm) {
            builder.addGeneralInfo(new InfoTypeAndValue(CMPObjectIdentifiers.it_implicitConfirm, DERNull.INSTANCE));
        }
        if (credential instanceof Secret secret) {
            return builder.build(secret.pbmac1()
                    ? new JcePBMac1CalculatorBuilder("HmacSHA256", 256).setPrf(JcePBMac1CalculatorBuilder.PRF_SHA256).setIterationCount(10_000).setProvider(BC)
                            .build(secret.secret())
                    : new PKMACBuilder(pkmacValues.get()).setIterationCount(1000).build(secret.secret())).toASN1Structure();
        }
        return builder.build(signer(((Signer) credential).key())).toASN1Structure();
    }

    /** Posts a request and returns the answer after checking its protection; error answers are thrown as {@link CmpError}. */
    public PKIMessage send(PKIMessage request) throws Exception {
        HttpResponse<byte[]> response = post(request.getEncoded());
        if (response.statusCode() != 200 || !response.headers().firstValue("Content-Type").orElse("").equals(MEDIA_TYPE)) {
            throw new IOException("HTTP " + response.statusCode() + ": " + new String(response.body(), StandardCharsets.UTF_8));
        }
        PKIMessage answer = PKIMessage.getInstance(response.body());
        checkProtection(request, answer);
        if (answer.getBody().getType() == PKIBody.TYPE_ERROR) {
            PKIStatusInfo status = ErrorMsgContent.getInstance(answer.getBody().getContent()).getPKIStatusInfo();
            throw new CmpError(status.getFailInfo() == null ? 0 : status.getFailInfo().intValue(), status.getStatusString() == null ? ""
                    : status.getStatusString().getStringAtUTF8(0).getString());
        }
        return answer;
    }

    public HttpResponse<byte[]> post(byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(endpoint).header("Content-Type", MEDIA_TYPE).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The answer to a MAC-protected request carries a MAC under the same secret; any other a signature chaining to the root. */
    private void checkProtection(PKIMessage request, PKIMessage answer) throws Exception {
        ProtectedPKIMessage protectedAnswer = new ProtectedPKIMessage(new GeneralPKIMessage(answer));
        if (answer.getProtection() == null) {
            throw new IOException("the answer is not protected");
        }
        boolean pbmac1 = answer.getHeader().getProtectionAlg().getAlgorithm().equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1);
        if (protectedAnswer.hasPasswordBasedMacProtection() || pbmac1) {
            char[] secret = secretOf(request).orElseThrow(() -> new IOException("a MAC-protected answer to a request without a secret"));
            if (!protectedAnswer.verify(pbmac1 ? new JcePBMac1CalculatorProviderBuilder().setProvider(BC).build()
                    : new PKMACBuilder(pkmacValues.get()), secret)) {
                throw new IOException("the answer's MAC does not verify");
            }
        } else {
            X509CertificateHolder[] extra = protectedAnswer.getCertificates();
            if (!protectedAnswer.verify(new JcaContentVerifierProviderBuilder().setProvider(BC).build(extra[0])) || !chainsToRoot(extra[0], extra)) {
                throw new IOException("the answer's signature does not verify or its certificate does not chain to the root");
            }
        }
        if (!answer.getHeader().getRecipNonce().equals(request.getHeader().getSenderNonce())
                || !answer.getHeader().getTransactionID().equals(request.getHeader().getTransactionID())) {
            throw new IOException("the answer does not belong to the request (recipNonce or transactionID)");
        }
    }

    private Optional<char[]> secretOf(PKIMessage request) {
        return Optional.ofNullable(request.getHeader().getSenderKID()).map(kid -> secrets.get(new String(kid.getOctets(), StandardCharsets.UTF_8)));
    }

    private boolean chainsToRoot(X509CertificateHolder leaf, X509CertificateHolder[] pool) throws Exception {
        X509CertificateHolder current = leaf;
        for (int depth = 0; depth < 5; depth++) {
            if (current.getIssuer().equals(root.getSubject())) {
                return current.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(root));
            }
            X509CertificateHolder next = null;
            for (X509CertificateHolder candidate : pool) {
                if (candidate.getSubject().equals(current.getIssuer()) && current.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(candidate))) {
                    next = candidate;
                }
            }
            if (next == null) {
                return false;
            }
            current = next;
        }
        return false;
    }

    /** Opens a centrally generated key: EnvelopedData around SignedData around an AsymmetricKeyPackage, the signature checked against its own certificate. */
    public static PrivateKeyInfo openCentralKey(EncryptedKey sealed, Recipient recipient) throws Exception {
        CMSEnvelopedData enveloped = new CMSEnvelopedData(new ContentInfo(org.bouncycastle.asn1.cms.CMSObjectIdentifiers.envelopedData,
                EnvelopedData.getInstance(sealed.getValue())));
        RecipientInformation information = enveloped.getRecipientInfos().getRecipients().iterator().next();
        byte[] signedData = information.getContent(recipient);
        CMSSignedData signed = new CMSSignedData(new ContentInfo(org.bouncycastle.asn1.cms.CMSObjectIdentifiers.signedData, SignedData.getInstance(signedData)));
        SignerInformation signer = signed.getSignerInfos().getSigners().iterator().next();
        @SuppressWarnings("unchecked")
        X509CertificateHolder signerCertificate = (X509CertificateHolder) signed.getCertificates().getMatches(signer.getSID()).iterator().next();
        if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(signerCertificate))) {
            throw new IOException("the key package's signature does not verify");
        }
        if (!signed.getSignedContentTypeOID().equals("2.16.840.1.101.2.1.2.78.5")) {
            throw new IOException("the signed content is not an AsymmetricKeyPackage but " + signed.getSignedContentTypeOID());
        }
        ASN1Sequence keyPackage = ASN1Sequence.getInstance(signed.getSignedContent().getContent());
        return PrivateKeyInfo.getInstance(keyPackage.getObjectAt(0));
    }

    private static Recipient recipientFor(PrivateKey key) {
        return key.getAlgorithm().equals("RSA") ? new JceKeyTransEnvelopedRecipient(key).setProvider(BC) : new JceKeyAgreeEnvelopedRecipient(key).setProvider(BC);
    }

    public static PKIHeader header(int pvno, GeneralName sender, byte[] transactionId, byte[] senderNonce, Instant time) {
        return new org.bouncycastle.asn1.cmp.PKIHeaderBuilder(pvno, sender, recipient()).setTransactionID(transactionId).setSenderNonce(senderNonce)
                .setMessageTime(new org.bouncycastle.asn1.ASN1GeneralizedTime(Date.from(time))).build();
    }

    private static GeneralName recipient() {
        return new GeneralName(new X500Name("CN=Letterlock"));
    }

    private static boolean granted(PKIHeader header) {
        if (header.getGeneralInfo() == null) {
            return false;
        }
        for (InfoTypeAndValue info : header.getGeneralInfo()) {
            if (info.getInfoType().equals(CMPObjectIdentifiers.it_implicitConfirm)) {
                return true;
            }
        }
        return false;
    }

    private static PKIBody requireBody(PKIMessage answer, int type) throws IOException {
        if (answer.getBody().getType() != type) {
            throw new IOException("expected body type " + type + ", got " + answer.getBody().getType());
        }
        return answer.getBody();
    }

    private static X509CertificateHolder certificate(CertResponse response) throws IOException {
        if (response.getStatus().getStatus().intValue() != 0) {
            throw new IOException("certificate request " + response.getCertReqId() + " was not granted: " + response.getStatus().getStatus());
        }
        return new X509CertificateHolder(response.getCertifiedKeyPair().getCertOrEncCert().getCertificate().getX509v3PKCert());
    }

    public static ContentSigner signer(PrivateKey key) throws Exception {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> "SHA256withECDSA";
        };
        return new JcaContentSignerBuilder(algorithm).setProvider(BC).build(key);
    }

    private static Extension extension(ASN1ObjectIdentifier oid, org.bouncycastle.asn1.ASN1Encodable value) {
        try {
            return new Extension(oid, false, value.toASN1Primitive().getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
