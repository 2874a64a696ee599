package org.letterlock.vault;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcECContentVerifierProviderBuilder;
import org.bouncycastle.operator.bc.BcEdDSAContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/** Checks of signatures made by keys the vault does not hold: a request's proof of possession, for one. */
public final class SignatureVerifiers {
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();
    private static final DefaultDigestAlgorithmIdentifierFinder DIGESTS = new DefaultDigestAlgorithmIdentifierFinder();

    private SignatureVerifiers() {
    }

    /**
     * In Java: EC and EdDSA through Bouncy Castle's lightweight API, which takes the curve from its named-curve cache
     * (the JCA path rebuilds the curve for every key and redoes the fixed-point tables, measured 2-7x slower); RSA
     * through JCA. Fails with INVALID_INPUT for a key it cannot read.
     */
    public static ContentVerifierProvider software(SubjectPublicKeyInfo key) {
        try {
            if (isEc(key)) {
                return new BcECContentVerifierProviderBuilder(DIGESTS).build(PublicKeyFactory.createKey(key));
            }
            if (key.getAlgorithm().getAlgorithm().equals(EdECObjectIdentifiers.id_Ed25519)) {
                return new BcEdDSAContentVerifierProviderBuilder().build(PublicKeyFactory.createKey(key));
            }
            ContentVerifierProvider jca = new JcaContentVerifierProviderBuilder().setProvider(BOUNCY_CASTLE).build(key);
            if (isRsa(key)) {
                return exactLength(jca, (((RSAKeyParameters) PublicKeyFactory.createKey(key)).getModulus().bitLength() + 7) / 8);
            }
            return jca;
        } catch (OperatorCreationException | IOException | RuntimeException e) {
            throw new VaultException(VaultException.Reason.INVALID_INPUT, "the public key cannot be used to check signatures: " + e.getMessage(), e);
        }
    }

    /**
     * EC keys through {@code provider}'s signature engines (a token's). The key is read by the JDK's own key factory,
     * as a token's provider knows no key factory by OID; the engine makes the token object when a check starts.
     */
    static ContentVerifierProvider ecWith(Provider provider, SubjectPublicKeyInfo key) {
        try {
            return new TokenEcVerifiers(provider, (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(key.getEncoded())));
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new VaultException(VaultException.Reason.INVALID_INPUT, "the public key cannot be used to check signatures: " + e.getMessage(), e);
        }
    }

    /**
     * RFC 8017 8.2.2 step 1 and 9.1.2: an RSA signature is exactly as long as the modulus. Bouncy Castle's engine also takes
     * one cut by its leading zero bytes, which would make signatures malleable.
     */
    private static ContentVerifierProvider exactLength(ContentVerifierProvider verifiers, int modulusBytes) {
        return new BareKeyVerifiers() {
            @Override
            public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
                ContentVerifier verifier = verifiers.get(algorithm);
                return new ContentVerifier() {
                    @Override
                    public AlgorithmIdentifier getAlgorithmIdentifier() {
                        return verifier.getAlgorithmIdentifier();
                    }

                    @Override
                    public OutputStream getOutputStream() {
                        return verifier.getOutputStream();
                    }

                    @Override
                    public boolean verify(byte[] signature) {
                        return signature.length == modulusBytes && verifier.verify(signature);
                    }
                };
            }
        };
    }

    private static boolean isRsa(SubjectPublicKeyInfo key) {
        return key.getAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption) || key.getAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.id_RSASSA_PSS);
    }

    static boolean isEc(SubjectPublicKeyInfo key) {
        return key.getAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey);
    }
}
