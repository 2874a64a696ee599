package org.letterlock.mail.smime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapabilitiesAttribute;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataStreamGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * S/MIME signing (RFC 8551 3.5.3, RFC 1847) of one MIME entity: a {@code multipart/signed} entity whose first part is
 * the entity exactly as given and whose second is a detached CMS SignedData. The entity streams through once, to the
 * output and to the digest; only the signature (a few kilobytes with the chain) is held until the end. The entity
 * must already be canonical (CRLF line ends) and 7-bit safe (RFC 8551 3.1.1): a relay that re-encodes it breaks the
 * signature. Can wrap an {@link SmimeEncryption}'s cleartext stream to sign, then encrypt.
 */
public final class SmimeSignature {
    /** RFC 8551 3.5.3.2 names; the digest follows from the signer's algorithm. */
    private static final Map<ASN1ObjectIdentifier, String> MICALG = Map.of(
            NISTObjectIdentifiers.id_sha256, "sha-256", NISTObjectIdentifiers.id_sha384, "sha-384", NISTObjectIdentifiers.id_sha512, "sha-512");
    private static final AttributeTable CAPABILITIES = capabilities();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Supplier<ContentSigner> signers;
    private final List<X509Certificate> chain;
    private final String micalg;

    private SmimeSignature(Supplier<ContentSigner> signers, List<X509Certificate> chain, String micalg) {
        this.signers = signers;
        this.chain = chain;
        this.micalg = micalg;
    }

    /**
     * Signing with the key behind {@code signers}, which gives a fresh signer for each message (such as
     * {@code () -> vault.signer(key)}: the key never leaves the vault); {@code chain} starts with that key's
     * certificate and goes up to, not necessarily including, the root, and is sent with every signature.
     */
    public static SmimeSignature by(Supplier<ContentSigner> signers, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "S/MIME signing needs the signer's certificate");
        }
        AlgorithmIdentifier algorithm = signers.get().getAlgorithmIdentifier();
        if (algorithm.getAlgorithm().equals(EdECObjectIdentifiers.id_Ed25519)) {
            // RFC 8419 defines it, but OpenSSL 3.0 neither makes nor verifies such signatures ("invalid digest")
            throw new LetterlockException(ErrorType.BAD_REQUEST, "S/MIME signing takes RSA or ECDSA keys; Ed25519 signatures are not widely verifiable");
        }
        ASN1ObjectIdentifier digest = new DefaultDigestAlgorithmIdentifierFinder().find(algorithm).getAlgorithm();
        String micalg = MICALG.get(digest);
        if (micalg == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the signer's digest " + digest + " is not SHA-256, SHA-384 or SHA-512");
        }
        return new SmimeSignature(signers, List.copyOf(chain), micalg);
    }

    /**
     * Writes the multipart/signed header fields and the first boundary to {@code out}, and returns the stream that
     * takes the entity to sign. Closing it writes the signature part and the closing boundary, and leaves {@code out} open.
     */
    public OutputStream open(OutputStream out) throws IOException {
        CMSSignedDataStreamGenerator generator = new CMSSignedDataStreamGenerator();
        try {
            generator.addSignerInfoGenerator(signerInfo());
            generator.addCertificates(new JcaCertStore(chain));
        } catch (CMSException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot prepare the S/MIME signature: " + e.getMessage(), e);
        }
        // 128 random bits: the boundary cannot be checked against content not yet seen; "=_" cannot occur in base64 or quoted-printable text
        String boundary = "=_" + HexFormat.of().formatHex(randomBytes());
        MimeOutput.header(out,
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";",
                "\tmicalg=" + micalg + "; boundary=\"" + boundary + "\"");
        MimeOutput.line(out, "--" + boundary);
        ByteArrayOutputStream signature = new ByteArrayOutputStream();
        // Bouncy Castle closes the stream it copies the content to, and out is the caller's
        OutputStream content = generator.open(signature, false, MimeOutput.finishing(out, () -> { }));
        return MimeOutput.finishing(content, () -> {
            content.close();
            // the CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1), not to the signed content
            out.write(MimeOutput.CRLF);
            MimeOutput.line(out, "--" + boundary);
            MimeOutput.header(out,
                    "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"",
                    "Content-Transfer-Encoding: base64",
                    "Content-Disposition: attachment; filename=\"smime.p7s\"");
            try (OutputStream body = MimeOutput.base64Body(out)) {
                signature.writeTo(body);
            }
            MimeOutput.line(out, "--" + boundary + "--");
        });
    }

    private SignerInfoGenerator signerInfo() throws CertificateEncodingException {
        try {
            // The message is hashed by the JDK on the CPU's SHA instructions (decision 017); the vault signs the hash.
            return new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider("SUN").build())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(CAPABILITIES))
                    .build(signers.get(), chain.get(0));
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("no digest for the S/MIME signature: " + e.getMessage(), e);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * SMIMECapabilities (RFC 8551 2.5.2), strongest first: what a reply to the organisation may be encrypted with,
     * the ciphers RFC 8551 2.7 asks receiving agents to support.
     */
    private static AttributeTable capabilities() {
        SMIMECapabilityVector capabilities = new SMIMECapabilityVector();
        capabilities.addCapability(NISTObjectIdentifiers.id_aes256_GCM);
        capabilities.addCapability(NISTObjectIdentifiers.id_aes128_GCM);
        capabilities.addCapability(SMIMECapability.aES256_CBC);
        capabilities.addCapability(SMIMECapability.aES128_CBC);
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        attributes.add(new SMIMECapabilitiesAttribute(capabilities));
        return new AttributeTable(attributes);
    }
}
