package org.letterlock.vault;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.signers.PlainDSAEncoding;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * ECDSA checks of one outside key with a token's signature engines. The DER signature is decoded here (strictly, as
 * Bouncy Castle's software check does) and handed over as r || s of the order's length: SunPKCS11 in Java 17 converts
 * DER itself to a length taken from the longer of r and s, so a valid signature whose r and s are both a byte short
 * (about 1 in 65,536) reached the token 62 bytes long and was refused.
 */
final class TokenEcVerifiers extends BareKeyVerifiers {
    private static final Map<ASN1ObjectIdentifier, String> DIGESTS = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA1, "SHA1",
            X9ObjectIdentifiers.ecdsa_with_SHA224, "SHA224",
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512");

    private final Provider provider;
    private final ECPublicKey key;
    private final BigInteger order;

    TokenEcVerifiers(Provider provider, ECPublicKey key) {
        this.provider = provider;
        this.key = key;
        this.order = key.getParams().getOrder();
    }

    @Override
    public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
        String digest = DIGESTS.get(algorithm.getAlgorithm());
        if (digest == null) {
            throw new OperatorCreationException("no ECDSA check for signature algorithm " + algorithm.getAlgorithm());
        }
        Signature signature;
        try {
            signature = Signature.getInstance(digest + "withECDSAinP1363Format", provider);
            signature.initVerify(key);
        } catch (GeneralSecurityException e) {
            throw new OperatorCreationException("the token cannot check " + digest + " ECDSA: " + e.getMessage(), e);
        }
        OutputStream content = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                try {
                    signature.update(bytes, offset, length);
                } catch (SignatureException e) {
                    throw new IOException(e);
                }
            }
        };
        return new ContentVerifier() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algorithm;
            }

            @Override
            public OutputStream getOutputStream() {
                return content;
            }

            @Override
            public boolean verify(byte[] der) {
                byte[] plain;
                try {
                    BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(order, der);
                    plain = PlainDSAEncoding.INSTANCE.encode(order, rs[0], rs[1]);
                } catch (IOException | RuntimeException e) {
                    return false;
                }
                try {
                    return signature.verify(plain);
                } catch (SignatureException e) {
                    return false;
                }
            }
        };
    }
}
