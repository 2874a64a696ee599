package org.letterlock.ca;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Makes the CA certificates: a self-signed root and issuing CAs under it, keys created in the vault. CA certificates
 * carry critical basicConstraints with a path length, critical keyUsage keyCertSign + cRLSign, SKI, and AKI below the root.
 */
public final class IssuerHierarchy {
    private static final BcX509ExtensionUtils EXTENSIONS = new BcX509ExtensionUtils();

    private final KeyVault vault;
    private final Clock clock;

    public IssuerHierarchy(KeyVault vault, Clock clock) {
        this.vault = vault;
        this.clock = clock;
    }

    /** A new root CA key and its self-signed certificate; path length 1 (one level of issuing CAs). */
    public X509CertificateHolder createRoot(KeyUri key, KeySpec spec, X500Name subject, Duration validity) {
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, spec).getEncoded());
        X509v3CertificateBuilder builder = caBuilder(subject, subject, publicKey, validity, 1);
        return builder.build(vault.signer(key));
    }

    /** A new issuing CA key, certified by the root's key; path length 0 (it issues only end-entity certificates). */
    public X509CertificateHolder createIssuing(KeyUri rootKey, X509CertificateHolder root, KeyUri key, KeySpec spec, X500Name subject, Duration validity) {
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(vault.createKey(key, spec).getEncoded());
        X509v3CertificateBuilder builder = caBuilder(root.getSubject(), subject, publicKey, validity, 0);
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false, Issuer.authorityKeyIdentifier(root));
        } catch (CertIOException e) {
            throw new IllegalStateException("could not encode the authorityKeyIdentifier", e);
        }
        return builder.build(vault.signer(rootKey));
    }

    private X509v3CertificateBuilder caBuilder(X500Name issuer, X500Name subject, SubjectPublicKeyInfo publicKey, Duration validity, int pathLength) {
        Instant notBefore = clock.instant().minusSeconds(60);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer, Serials.next(), Date.from(notBefore),
                Date.from(notBefore.plus(validity)), subject, publicKey);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, EXTENSIONS.createSubjectKeyIdentifier(publicKey));
        } catch (CertIOException e) {
            throw new IllegalStateException("could not encode a CA certificate extension", e);
        }
        return builder;
    }
}
