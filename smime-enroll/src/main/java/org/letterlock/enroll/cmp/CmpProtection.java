package org.letterlock.enroll.cmp;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CMPException;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.enroll.EnrollmentServices;

/**
 * How the server protects what it answers, and the certificates it hands out with it: a MAC under the requester's
 * secret, or a signature with the enrollment listener's key (in the vault) and its certificate chain. The listener's
 * chain is converted once per renewal, the issuing CA's read again once a minute; no request reads either itself.
 */
final class CmpProtection {
    /** 128 bits, as RFC 9483 3.1 asks of transactionID and senderNonce. */
    static final int NONCE_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EnrollmentServices services;
    private final TlsIdentity identity;
    private volatile ServerChain serverChain = new ServerChain(List.of(), List.of(), Optional.empty());
    private volatile CaChain caChain = new CaChain(List.of(), Instant.EPOCH);

    /** The protection certificate chain, converted once per renewal of the listener's certificate. */
    private record ServerChain(List<java.security.cert.X509Certificate> source, List<X509CertificateHolder> holders, Optional<byte[]> keyId) {
    }

    /** The issuing CA chain, read again once a minute so that a rollover shows without a read per request. */
    private record CaChain(List<X509CertificateHolder> holders, Instant readAt) {
    }

    CmpProtection(EnrollmentServices services, TlsIdentity identity) {
        this.services = services;
        this.identity = identity;
    }

    /**
     * Protects the answer as the request was: a MAC under the same secret for a MAC-protected request (a client
     * enrolling with a shared secret may have no trust anchor yet to check a signature with; RFC 9483 4.1.5), else
     * signed with this server's key and certificate chain. {@code senderNonce} is fresh; a certificate answer's is
     * kept with its transaction for the certConf's recipNonce.
     */
    PKIMessage protect(PKIHeader request, CmpSender sender, PKIBody body, byte[] senderNonce) {
        ServerChain chain = serverChain();
        boolean mac = sender.protection() == CmpSender.Protection.MAC;
        GeneralName from = new GeneralName(mac ? caChain().get(0).getSubject() : chain.holders().get(0).getSubject());
        // RFC 9480 2.2: an answer carrying EnvelopedData (a centrally generated key) is cmp2021 whatever the request was.
        int pvno = carriesEnvelopedKey(body) ? PKIHeader.CMP_2021 : request.getPvno().intValueExact();
        ProtectedPKIMessageBuilder builder = new ProtectedPKIMessageBuilder(pvno, from, request.getSender())
                .setTransactionID(request.getTransactionID().getOctets())
                .setSenderNonce(senderNonce)
                .setMessageTime(Date.from(services.clock().instant()))
                .setBody(body);
        if (request.getSenderNonce() != null) {
            builder.setRecipNonce(request.getSenderNonce().getOctets());
        }
        if (body.getType() != PKIBody.TYPE_ERROR && implicitConfirm(request) && isCertificateReply(body.getType())) {
            builder.addGeneralInfo(new InfoTypeAndValue(CMPObjectIdentifiers.it_implicitConfirm, DERNull.INSTANCE));
        }
        try {
            if (mac) {
                if (request.getSenderKID() != null) {
                    builder.setSenderKID(request.getSenderKID().getOctets());
                }
                return builder.build(CmpMac.forAnswer(request.getProtectionAlg(), sender.secret().orElseThrow())).toASN1Structure();
            }
            chain.keyId().ifPresent(builder::setSenderKID);
            // The protection certificate first (RFC 9483 3.3), then what else a client needs to chain it and a new certificate.
            chain.holders().forEach(builder::addCMPCertificate);
            if (isCertificateReply(body.getType())) {
                caChain().stream().filter(c -> !chain.holders().contains(c)).forEach(builder::addCMPCertificate);
            }
            return builder.build(identity.signer()).toASN1Structure();
        } catch (CMPException | OperatorCreationException e) {
            throw new IllegalStateException("protecting a CMP answer failed", e);
        }
    }

    private static boolean carriesEnvelopedKey(PKIBody body) {
        return isCertificateReply(body.getType()) && Arrays.stream(CertRepMessage.getInstance(body.getContent()).getResponse())
                .anyMatch(r -> r.getCertifiedKeyPair() != null && r.getCertifiedKeyPair().getPrivateKey() != null);
    }

    static boolean isCertificateReply(int type) {
        return type == PKIBody.TYPE_INIT_REP || type == PKIBody.TYPE_CERT_REP || type == PKIBody.TYPE_KEY_UPDATE_REP;
    }

    static boolean implicitConfirm(PKIHeader header) {
        return header.getGeneralInfo() != null && Arrays.stream(header.getGeneralInfo()).anyMatch(i -> i.getInfoType().equals(CMPObjectIdentifiers.it_implicitConfirm));
    }

    /** The certificate the server signs as (the listener's) and its chain, for the key packages of centrally generated keys. */
    List<X509CertificateHolder> chain() {
        return serverChain().holders();
    }

    /** A signer on the listener's key in the vault. */
    ContentSigner signer() {
        return identity.signer();
    }

    private ServerChain serverChain() {
        List<java.security.cert.X509Certificate> now = identity.chain();
        ServerChain known = serverChain;
        if (known.source() == now) {
            if (now.isEmpty()) {
                throw new CmpFailure(PKIFailureInfo.systemUnavail, "the server has no certificate yet: the issuing CA waits for its certificate");
            }
            return known;
        }
        List<X509CertificateHolder> holders = new ArrayList<>();
        for (java.security.cert.X509Certificate certificate : now) {
            try {
                holders.add(new X509CertificateHolder(certificate.getEncoded()));
            } catch (IOException | java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("the listener's certificate does not encode", e);
            }
        }
        Optional<byte[]> keyId = holders.isEmpty() ? Optional.empty()
                : Optional.ofNullable(SubjectKeyIdentifier.fromExtensions(holders.get(0).getExtensions())).map(SubjectKeyIdentifier::getKeyIdentifier);
        serverChain = new ServerChain(now, List.copyOf(holders), keyId);
        return serverChain();
    }

    /** The issuing CA chain, root last (caPubs, genm caCerts, extraCerts of certificate answers). */
    List<X509CertificateHolder> caChain() {
        CaChain known = caChain;
        Instant now = services.clock().instant();
        if (!known.holders().isEmpty() && known.readAt().plus(Duration.ofMinutes(1)).isAfter(now)) {
            return known.holders();
        }
        caChain = new CaChain(services.mailboxes().caCertificates(), now);
        return caChain.holders();
    }

    X509CertificateHolder root() {
        List<X509CertificateHolder> chain = caChain();
        return chain.get(chain.size() - 1);
    }

    static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }
}
