package org.letterlock.escrow;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Date;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERGeneralizedTime;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.operator.ContentSigner;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The signature on an archive row: a vault key signs a DER sequence of everything that says whose key it is and what
 * it is (id, mailbox, certificate, recovery key, origin, spec, public-key and sealed-bytes hashes, time, creator), so a
 * changed byte or a row moved to another owner no longer verifies.
 */
final class ArchiveIntegrity {
    static final String ALGORITHM = "SHA256withECDSA";
    private static final int VERSION = 1;

    private ArchiveIntegrity() {
    }

    static byte[] signedContent(ArchivedKey archive) {
        ASN1EncodableVector fields = new ASN1EncodableVector();
        fields.add(new ASN1Integer(VERSION));
        fields.add(new DERUTF8String(archive.id()));
        fields.add(new DERUTF8String(archive.mailbox()));
        fields.add(new ASN1Integer(archive.certificateSerial()));
        fields.add(new DERUTF8String(archive.recoveryKeyId()));
        fields.add(new DERUTF8String(archive.origin().name()));
        fields.add(new DERUTF8String(archive.keySpec()));
        fields.add(new DEROctetString(archive.publicKeySha256()));
        fields.add(new DEROctetString(Sha256.of(archive.sealed())));
        fields.add(new DERGeneralizedTime(Date.from(archive.createdAt())));
        fields.add(new DERUTF8String(archive.createdBy()));
        return der(fields);
    }

    /**
     * What a release is signed over: the request, who asked, the approvals needed and the agents who gave them, and
     * until when it may be downloaded. Tagged apart from archive content so one can never pass for the other.
     */
    static byte[] releaseContent(RecoveryRequest request) {
        ASN1EncodableVector fields = new ASN1EncodableVector();
        fields.add(new DERUTF8String("letterlock recovery release"));
        fields.add(new ASN1Integer(VERSION));
        fields.add(new DERUTF8String(request.id()));
        fields.add(new DERUTF8String(request.mailbox()));
        fields.add(new DERUTF8String(request.requestedBy()));
        fields.add(new ASN1Integer(request.approvalsNeeded()));
        ASN1EncodableVector approvers = new ASN1EncodableVector();
        request.approvers().forEach(agent -> approvers.add(new DERUTF8String(agent)));
        fields.add(new DERSequence(approvers));
        fields.add(new DERGeneralizedTime(Date.from(request.expiresAt())));
        return der(fields);
    }

    /**
     * What a request is sealed over when it is made: who asked, for which mailbox and why, and how many approvals it
     * needs. Not its deadline, which a release moves.
     */
    static byte[] requestContent(RecoveryRequest request) {
        ASN1EncodableVector fields = new ASN1EncodableVector();
        fields.add(new DERUTF8String("letterlock recovery request"));
        fields.add(new ASN1Integer(VERSION));
        fields.add(new DERUTF8String(request.id()));
        fields.add(new DERUTF8String(request.mailbox()));
        fields.add(new DERUTF8String(request.reason()));
        fields.add(new DERUTF8String(request.requestedBy()));
        fields.add(new ASN1Integer(request.approvalsNeeded()));
        fields.add(new DERGeneralizedTime(Date.from(request.createdAt())));
        return der(fields);
    }

    /** What an agent's decision is sealed over when it is recorded: the request, the agent, yes or no, the comment and the time. */
    static byte[] decisionContent(String recoveryId, RecoveryRequest.Decision decision) {
        ASN1EncodableVector fields = new ASN1EncodableVector();
        fields.add(new DERUTF8String("letterlock recovery decision"));
        fields.add(new ASN1Integer(VERSION));
        fields.add(new DERUTF8String(recoveryId));
        fields.add(new DERUTF8String(decision.agent()));
        fields.add(org.bouncycastle.asn1.ASN1Boolean.getInstance(decision.approved()));
        fields.add(new DERUTF8String(decision.comment().orElse("")));
        fields.add(new DERGeneralizedTime(Date.from(decision.at())));
        return der(fields);
    }

    private static byte[] der(ASN1EncodableVector fields) {
        try {
            return new DERSequence(fields).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sign(byte[] content, ContentSigner signer) {
        try (OutputStream out = signer.getOutputStream()) {
            out.write(content);
        } catch (IOException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "signing failed: " + e.getMessage(), e);
        }
        return signer.getSignature();
    }

    static boolean verify(byte[] content, byte[] signature, PublicKey integrityKey) {
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(integrityKey);
            verifier.update(content);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
