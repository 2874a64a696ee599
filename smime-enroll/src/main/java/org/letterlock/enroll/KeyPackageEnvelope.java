package org.letterlock.enroll;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.PasswordRecipient;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JcePasswordRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.CollectionStore;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * A server-generated private key as EST (RFC 7030 4.4.2) and CMP (RFC 9483 4.1.6) hand it over encrypted: an
 * AsymmetricKeyPackage (RFC 5958) signed by the key generator (this server's listener key, its certificate chain in
 * the SignedData), the SignedData enveloped
 * to the requester (RFC 5958 section 4): under a shared password (PWRI, RFC 3211) or to a public key of the requester
 * (RSA key transport, or ephemeral-static ECDH with the X9.63 SHA-256 KDF and an AES key wrap, RFC 5753).
 */
public final class KeyPackageEnvelope {
    /** id-ct-KP-aKeyPackage (RFC 5958). */
    public static final ASN1ObjectIdentifier ASYMMETRIC_KEY_PACKAGE = new ASN1ObjectIdentifier("2.16.840.1.101.2.1.2.78.5");
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** PBKDF2 iterations for the PWRI key; the enrollment secret has 100 bits, so this guards only against reuse elsewhere. */
    private static final int PWRI_ITERATIONS = 10_000;

    /** The content-encryption algorithm and, for key agreement, the key wrap. */
    public record Ciphers(ASN1ObjectIdentifier contentEncryption, ASN1ObjectIdentifier keyWrap) {
        public static final Ciphers DEFAULT = new Ciphers(CMSAlgorithm.AES256_CBC, CMSAlgorithm.AES256_WRAP);
    }

    private KeyPackageEnvelope() {
    }

    /** Enveloped under {@code password} (AES-256-CBC, PBKDF2-HMAC-SHA256 with a fresh salt). */
    public static EnvelopedData underPassword(PrivateKeyInfo key, char[] password, ContentSigner signer, List<X509CertificateHolder> signerChain) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        RecipientInfoGenerator recipient = new JcePasswordRecipientInfoGenerator(CMSAlgorithm.AES256_CBC, password).setProvider(BC)
                .setPasswordConversionScheme(PasswordRecipient.PKCS5_SCHEME2_UTF8).setPRF(PasswordRecipient.PRF.HMacSHA256)
                .setSaltAndIterationCount(salt, PWRI_ITERATIONS);
        return envelope(key, recipient, Ciphers.DEFAULT, signer, signerChain);
    }

    /**
     * Enveloped to the key of {@code recipient}, named in the RecipientInfo by {@code keyId} (its subject key
     * identifier) when given, else by issuer and serial number. Refused (bad request) for a key that cannot decrypt:
     * neither RSA nor EC.
     */
    public static EnvelopedData toCertificate(PrivateKeyInfo key, X509CertificateHolder recipient, Optional<byte[]> keyId, Ciphers ciphers, ContentSigner signer,
                                              List<X509CertificateHolder> signerChain) {
        return envelope(key, recipient(recipient, keyId, ciphers), ciphers, signer, signerChain);
    }

    /**
     * What envelopes a key to {@code recipient} as {@link #toCertificate} does, for one key: built before the key is
     * made, it refuses (bad request) a recipient that cannot receive it while nothing is spent or made yet.
     */
    public static RecipientInfoGenerator recipient(X509CertificateHolder recipient, Optional<byte[]> keyId, Ciphers ciphers) {
        java.security.cert.X509Certificate certificate;
        try {
            certificate = new JcaX509CertificateConverter().getCertificate(recipient);
        } catch (CertificateException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the recipient certificate does not parse: " + e.getMessage());
        }
        PublicKey publicKey = certificate.getPublicKey();
        try {
            if (publicKey instanceof RSAPublicKey) {
                return (keyId.isPresent() ? new JceKeyTransRecipientInfoGenerator(keyId.get(), publicKey) : new JceKeyTransRecipientInfoGenerator(certificate))
                        .setProvider(BC);
            }
            if (publicKey instanceof ECPublicKey) {
                // Ephemeral-static ECDH (RFC 5753): a fresh sender key per delivery, on the recipient's named curve (so that
                // originatorKey names the curve rather than spelling out its parameters).
                KeyPairGenerator ephemeralGenerator = KeyPairGenerator.getInstance("EC", BC);
                ephemeralGenerator.initialize(new ECGenParameterSpec(ASN1ObjectIdentifier.getInstance(recipient.getSubjectPublicKeyInfo().getAlgorithm().getParameters()).getId()));
                KeyPair ephemeral = ephemeralGenerator.generateKeyPair();
                JceKeyAgreeRecipientInfoGenerator agreement = new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(),
                        ephemeral.getPublic(), ciphers.keyWrap()).setProvider(BC);
                return keyId.isPresent() ? agreement.addRecipient(keyId.get(), publicKey) : agreement.addRecipient(certificate);
            }
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a server-generated key is delivered to an RSA or EC key; the "
                    + publicKey.getAlgorithm() + " key of certificate " + recipient.getSerialNumber().toString(16) + " cannot decrypt");
        } catch (GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the key of certificate " + recipient.getSerialNumber().toString(16)
                    + " cannot receive the generated key: " + e.getMessage());
        }
    }

    /** Enveloped with {@code recipient} (from {@link #recipient}, used for this one key). */
    public static EnvelopedData envelope(PrivateKeyInfo key, RecipientInfoGenerator recipient, Ciphers ciphers, ContentSigner signer,
                                         List<X509CertificateHolder> signerChain) {
        try {
            CMSSignedDataGenerator signed = new CMSSignedDataGenerator();
            signed.addSignerInfoGenerator(new SignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(BC).build())
                    .build(signer, signerChain.get(0)));
            // The signer's chain, so that a client holding the root alone can verify the package.
            signed.addCertificates(new CollectionStore<>(signerChain));
            CMSSignedData keyPackage = signed.generate(new CMSProcessableByteArray(ASYMMETRIC_KEY_PACKAGE, new DERSequence(key).getEncoded()), true);
            CMSEnvelopedDataGenerator enveloped = new CMSEnvelopedDataGenerator();
            enveloped.addRecipientInfoGenerator(recipient);
            byte[] signedData = keyPackage.toASN1Structure().getContent().toASN1Primitive().getEncoded();
            org.bouncycastle.cms.CMSEnvelopedData envelope = enveloped.generate(new CMSProcessableByteArray(CMSObjectIdentifiers.signedData, signedData),
                    new JceCMSContentEncryptorBuilder(ciphers.contentEncryption()).setProvider(BC).build());
            return EnvelopedData.getInstance(envelope.toASN1Structure().getContent());
        } catch (CMSException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("enveloping the generated key failed", e);
        }
    }
}
