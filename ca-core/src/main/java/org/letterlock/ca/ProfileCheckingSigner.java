package org.letterlock.ca;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.operator.ContentSigner;

/**
 * Wraps the issuing key's signer: collects the TBSCertificate the builder writes, checks it against the profile, and
 * only then lets the vault sign those same bytes.
 */
final class ProfileCheckingSigner implements ContentSigner {
    private final ContentSigner issuingKey;
    private final CertificateProfile profile;
    private final ByteArrayOutputStream tbs = new ByteArrayOutputStream(1024);

    ProfileCheckingSigner(ContentSigner issuingKey, CertificateProfile profile) {
        this.issuingKey = issuingKey;
        this.profile = profile;
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return issuingKey.getAlgorithmIdentifier();
    }

    @Override
    public OutputStream getOutputStream() {
        return tbs;
    }

    @Override
    public byte[] getSignature() {
        byte[] bytes = tbs.toByteArray();
        List<String> violations = ProfileCheck.violations(TBSCertificate.getInstance(bytes), profile);
        if (!violations.isEmpty()) {
            throw new ProfileViolation(profile, violations);
        }
        try (OutputStream out = issuingKey.getOutputStream()) {
            out.write(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("the issuing key's signer refused the certificate bytes", e);
        }
        return issuingKey.getSignature();
    }
}
