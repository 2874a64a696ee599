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
        try {
            return new DERSequence(fields).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sign(ArchivedKey archive, ContentSigner signer) {
        try (OutputStream out = signer.getOutputStream()) {
            out.write(signedContent(archive));
        } catch (IOException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "signing the archive failed: " + e.getMessage(), e);
        }
        return signer.getSignature();
    }

    static boolean verify(ArchivedKey archive, PublicKey integrityKey) {
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(integrityKey);
            verifier.update(signedContent(archive));
            return verifier.verify(archive.signature());
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
