package org.letterlock.bench;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * What the benchmarks need of OCSP and PKCS#10, with Bouncy Castle: OCSP requests with a SHA-1 CertID (RFC 5019), in
 * the GET form (base64 of the DER, URL-encoded, as the path) and as POST bodies with a nonce (RFC 8954); a check of
 * each answer (successful, signed by who it says, the status expected, the nonce echoed); and EC P-256 PKCS#10 requests
 * for a mailbox.
 */
public final class Ocsp {
    static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();
    /** The nonce length the benchmarks send (RFC 8954: 1 to 32 octets; 16 is what OpenSSL sends). */
    static final int NONCE_BYTES = 16;

    /** What the status of a certificate is expected to be. */
    enum Status {
        GOOD, REVOKED, UNKNOWN
    }

    private Ocsp() {
    }

    /** The CertID of a serial under an issuer, hashed with SHA-1 as RFC 5019 asks. */
    static CertificateID certId(X509CertificateHolder issuer, BigInteger serial) {
        try {
            DigestCalculator sha1 = new JcaDigestCalculatorProviderBuilder().setProvider(PROVIDER).build().get(CertificateID.HASH_SHA1);
            return new CertificateID(sha1, issuer, serial);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a SHA-1 CertID: " + e.getMessage(), e);
        }
    }

    /** A DER OCSPRequest for one CertID, with a nonce extension when {@code nonce} is not null. */
    static byte[] request(CertificateID id, byte[] nonce) {
        try {
            OCSPReqBuilder builder = new OCSPReqBuilder().addRequest(id);
            if (nonce != null) {
                builder.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                        new DEROctetString(nonce).getEncoded())));
            }
            return builder.build().getEncoded();
        } catch (OCSPException | IOException e) {
            throw new IllegalStateException("cannot build an OCSP request: " + e.getMessage(), e);
        }
    }

    /** The RFC 5019 GET form of a request, the part after the responder's URL: URL-encoded base64 of the DER. */
    static String getPath(byte[] request) {
        return URLEncoder.encode(Base64.getEncoder().encodeToString(request), StandardCharsets.US_ASCII);
    }

    static byte[] nonce(SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    /** What a checked answer was: its status, size, who signed it and whether it carried the signer's certificate. */
    record Checked(Status status, int bytes, String signer, boolean certificateIncluded) {

        /** Several answers in a few words, e.g. "good and revoked, 445-470 bytes, signed by CN=x (certificate included)". */
        static String summary(List<Checked> answers) {
            if (answers.isEmpty()) {
                return "none";
            }
            List<String> statuses = answers.stream().map(c -> c.status().name().toLowerCase(Locale.ROOT)).distinct().toList();
            int min = answers.stream().mapToInt(Checked::bytes).min().orElse(0);
            int max = answers.stream().mapToInt(Checked::bytes).max().orElse(0);
            List<String> signers = answers.stream().map(c -> c.signer() + (c.certificateIncluded() ? " (certificate included)" : "")).distinct().toList();
            return String.join(" and ", statuses) + ", " + (min == max ? min : min + "-" + max) + " bytes, signed by " + String.join(", ", signers);
        }
    }

    /**
     * Checks an OCSP response: it parses, is "successful", is a basic response whose signature verifies with the
     * responder certificate it carries (or the issuer's key when it carries none), answers for exactly {@code id} with
     * {@code expected}, and echoes {@code nonce} (when not null). Throws {@link IllegalStateException} saying what is wrong.
     */
    static Checked check(byte[] der, CertificateID id, Status expected, byte[] nonce, X509CertificateHolder issuer) {
        try {
            OCSPResp response = new OCSPResp(der);
            if (response.getStatus() != OCSPResp.SUCCESSFUL) {
                throw new IllegalStateException("responseStatus " + response.getStatus() + " (0 successful, 1 malformedRequest, 2 internalError, "
                        + "3 tryLater, 5 sigRequired, 6 unauthorized)");
            }
            if (!(response.getResponseObject() instanceof BasicOCSPResp basic)) {
                throw new IllegalStateException("not a basic OCSP response");
            }
            X509CertificateHolder[] certificates = basic.getCerts();
            X509CertificateHolder signer = certificates.length > 0 ? certificates[0] : issuer;
            if (!basic.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(PROVIDER).build(signer))) {
                throw new IllegalStateException("the response's signature does not verify with " + signer.getSubject());
            }
            if (!signer.equals(issuer) && !signer.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(PROVIDER).build(issuer))) {
                throw new IllegalStateException("the responder certificate " + signer.getSubject() + " is not signed by the issuer " + issuer.getSubject());
            }
            SingleResp[] answers = basic.getResponses();
            if (answers.length != 1 || !answers[0].getCertID().equals(id)) {
                throw new IllegalStateException("the response answers " + answers.length + " CertID(s), not the one asked about (serial "
                        + id.getSerialNumber().toString(16) + ")");
            }
            Status status = status(answers[0].getCertStatus());
            if (status != expected) {
                throw new IllegalStateException("serial " + id.getSerialNumber().toString(16) + " is answered " + status + ", expected " + expected);
            }
            Extension echoed = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            if (nonce != null) {
                if (echoed == null) {
                    throw new IllegalStateException("the request's nonce is not in the response");
                }
                byte[] value = DEROctetString.getInstance(echoed.getParsedValue()).getOctets();
                if (!Arrays.equals(value, nonce)) {
                    throw new IllegalStateException("the response's nonce " + HexFormat.of().formatHex(value) + " is not the request's "
                            + HexFormat.of().formatHex(nonce));
                }
            }
            return new Checked(status, der.length, signer.getSubject().toString(), certificates.length > 0);
        } catch (IOException | OCSPException | java.security.cert.CertificateException | org.bouncycastle.operator.OperatorCreationException
                 | org.bouncycastle.cert.CertException e) {
            throw new IllegalStateException("not a readable OCSP response (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
    }

    static Status status(CertificateStatus status) {
        if (status == CertificateStatus.GOOD) {
            return Status.GOOD;
        }
        if (status instanceof RevokedStatus) {
            return Status.REVOKED;
        }
        if (status instanceof UnknownStatus) {
            return Status.UNKNOWN;
        }
        throw new IllegalStateException("unexpected certificate status " + status);
    }

    /** An EC P-256 key pair from Bouncy Castle (SunEC is several times slower on Java 17). */
    static KeyPair ecP256() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", PROVIDER);
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make an EC P-256 key: " + e.getMessage(), e);
        }
    }

    /** A PEM PKCS#10 request for a mailbox: subject CN=mailbox, the mailbox as rfc822Name in an extensionRequest, signed by the key. */
    static String csr(KeyPair key, String mailbox) {
        try {
            return pem(request(key, mailbox));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a CSR for " + mailbox + ": " + e.getMessage(), e);
        }
    }

    /** The same request as {@link #csr}, DER encoded. */
    static byte[] certificationRequest(KeyPair key, String mailbox) {
        try {
            return request(key, mailbox).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a CSR for " + mailbox + ": " + e.getMessage(), e);
        }
    }

    private static PKCS10CertificationRequest request(KeyPair key, String mailbox) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + mailbox), key.getPublic());
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new Extensions(new Extension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)).getEncoded())));
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").setProvider(PROVIDER).build(key.getPrivate());
            return builder.build(signer);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a CSR for " + mailbox + ": " + e.getMessage(), e);
        }
    }

    static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    /** The first certificate in a PEM text. */
    static X509CertificateHolder certificate(String pem) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (object instanceof X509CertificateHolder certificate) {
                return certificate;
            }
            throw new IllegalStateException("not a PEM certificate: " + Json.abbreviate(pem));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read a PEM certificate: " + e.getMessage(), e);
        }
    }
}
