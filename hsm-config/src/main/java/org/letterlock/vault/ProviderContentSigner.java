package org.letterlock.vault;

import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * A Bouncy Castle {@link ContentSigner} over a JCA {@link Signature} of the vault's provider. Kept thin on purpose:
 * the benchmark holds it to 90% of a bare SunPKCS11 signing loop. Reusable: each {@link #getSignature()} resets it.
 */
final class ProviderContentSigner implements ContentSigner {
    private static final ConcurrentMap<String, AlgorithmIdentifier> IDENTIFIERS = new ConcurrentHashMap<>();

    private final AlgorithmIdentifier algorithmIdentifier;
    private final Signature signature;
    private final OutputStream stream;

    ProviderContentSigner(String algorithm, PrivateKey key, Provider provider) {
        try {
            this.algorithmIdentifier = IDENTIFIERS.computeIfAbsent(algorithm, a -> new DefaultSignatureAlgorithmIdentifierFinder().find(a));
        } catch (IllegalArgumentException e) {
            throw new VaultException(VaultException.Reason.UNSUPPORTED, "unknown signature algorithm '" + algorithm + "'", e);
        }
        try {
            this.signature = Signature.getInstance(algorithm, provider);
            this.signature.initSign(key);
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Reason.UNSUPPORTED,
                    provider.getName() + " cannot sign with " + algorithm + " using a " + key.getAlgorithm() + " key: " + e.getMessage(), e);
        }
        this.stream = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                try {
                    signature.update(bytes, offset, length);
                } catch (SignatureException e) {
                    throw new RuntimeOperatorException("signature update failed: " + e.getMessage(), e);
                }
            }
        };
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithmIdentifier;
    }

    @Override
    public OutputStream getOutputStream() {
        return stream;
    }

    @Override
    public byte[] getSignature() {
        try {
            return signature.sign();
        } catch (SignatureException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "signing failed: " + e.getMessage(), e);
        }
    }
}
