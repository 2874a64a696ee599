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
    /**
     * Bouncy Castle's DER encoder writes a structure in many small pieces, and on a token an {@code update} may be a
     * native call (C_SignUpdate): unbuffered, the writes were 9% of an OCSP signing thread's samples. A certificate or
     * an OCSP answer fits whole; larger content (a CRL) goes to the provider in pieces of this size.
     */
    private final byte[] buffer = new byte[2048];
    private int buffered;

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
                if (buffered == buffer.length) {
                    drain();
                }
                buffer[buffered++] = (byte) b;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                if (length > buffer.length - buffered) {
                    drain();
                }
                if (length >= buffer.length) {
                    update(bytes, offset, length);
                } else {
                    System.arraycopy(bytes, offset, buffer, buffered, length);
                    buffered += length;
                }
            }
        };
    }

    private void drain() {
        int length = buffered;
        buffered = 0;
        if (length > 0) {
            update(buffer, 0, length);
        }
    }

    private void update(byte[] bytes, int offset, int length) {
        try {
            signature.update(bytes, offset, length);
        } catch (SignatureException e) {
            throw new RuntimeOperatorException("signature update failed: " + e.getMessage(), e);
        }
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
            drain();
            return signature.sign();
        } catch (SignatureException e) {
            throw new VaultException(VaultException.Reason.BACKEND_FAILURE, "signing failed: " + e.getMessage(), e);
        }
    }
}
