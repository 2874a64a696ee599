package org.letterlock.mail.smime;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * What an S/MIME client announces it reads (RFC 8551 2.5.2): the SMIMECapabilities of a signature it made, or of its
 * certificate (RFC 4262), in its order of preference. Only the algorithms are kept; their parameters (RC2 key sizes)
 * choose nothing the gateway sends.
 *
 * @param algorithms the announced algorithm identifiers, most preferred first
 */
public record SmimeCapabilities(List<ASN1ObjectIdentifier> algorithms) {
    /** The SMIMECapabilities attribute and certificate extension (RFC 8551 2.5.2, RFC 4262). */
    public static final ASN1ObjectIdentifier OID = PKCSObjectIdentifiers.pkcs_9_at_smimeCapabilities;

    public SmimeCapabilities {
        algorithms = List.copyOf(algorithms);
    }

    /** Reads the DER {@code SMIMECapabilities} sequence, or BAD_REQUEST saying what is wrong with it. */
    public static SmimeCapabilities decode(byte[] der) {
        try {
            return of(ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der)));
        } catch (IOException | IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "SMIMECapabilities do not decode: " + e.getMessage());
        }
    }

    static SmimeCapabilities of(ASN1Sequence sequence) {
        return new SmimeCapabilities(StreamSupport.stream(sequence.spliterator(), false)
                .map(entry -> SMIMECapability.getInstance(entry).getCapabilityID()).toList());
    }

    /** The certificate's SMIMECapabilities extension (RFC 4262), if it has one; BAD_REQUEST if it has one that does not decode. */
    public static Optional<SmimeCapabilities> ofCertificate(X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(OID.getId());
        if (extension == null) {
            return Optional.empty();
        }
        return Optional.of(decode(ASN1OctetString.getInstance(extension).getOctets()));
    }

    /** The DER encoding, as stored. */
    public byte[] encoded() {
        try {
            ASN1EncodableVector entries = new ASN1EncodableVector();
            algorithms.forEach(algorithm -> entries.add(new SMIMECapability(algorithm, null)));
            return new DERSequence(entries).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("an SMIMECapabilities sequence does not encode", e);
        }
    }

    /** id-aes256-GCM is announced (RFC 5084). */
    public boolean readsAes256Gcm() {
        return algorithms.contains(NISTObjectIdentifiers.id_aes256_GCM);
    }

    /** id-RSAES-OAEP is announced (RFC 4055 / RFC 8551 2.3). */
    public boolean readsRsaesOaep() {
        return algorithms.contains(PKCSObjectIdentifiers.id_RSAES_OAEP);
    }
}
