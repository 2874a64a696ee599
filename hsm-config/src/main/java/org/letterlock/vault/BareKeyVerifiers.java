package org.letterlock.vault;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifierProvider;

/** Checks with a bare public key: no certificate comes with it, so there is none to name. */
abstract class BareKeyVerifiers implements ContentVerifierProvider {
    @Override
    public final boolean hasAssociatedCertificate() {
        return false;
    }

    @Override
    public final X509CertificateHolder getAssociatedCertificate() {
        return null;
    }
}
