package org.letterlock.enroll.cmp;

import java.io.IOException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.crmf.EncryptedKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
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
import org.bouncycastle.asn1.cmp.PKIFailureInfo;

/**
 * The private half of a centrally generated key as RFC 9483 4.1.6 hands it over: an AsymmetricKeyPackage (RFC 5958)
 * signed by the key generation authority (this server's protection key), enveloped to the requester: under the
 * shared secret (PWRI, RFC 3211) when the request was MAC-protected, to the key of its protecting certificate otherwise.
 */
final class CentralKeyDelivery {
    /** id-ct-KP-aKeyPackage (RFC 5958). */
    static final ASN1ObjectIdentifier ASYMMETRIC_KEY_PACKAGE = new ASN1ObjectIdentifier("2.16.840.1.101.2.1.2.78.5");
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    /** PBKDF2 iterations for the PWRI key; the secret has 100 bits, so this guards only against reuse elsewhere. */
    private static final int PWRI_ITERATIONS = 10_000;

    private CentralKeyDelivery() {
    }

    static EncryptedKey underSecret(PrivateKeyInfo key, char[] secret, ContentSigner signer, X509CertificateHolder signerCertificate) {
        RecipientInfoGenerator recipient = new JcePasswordRecipientInfoGenerator(CMSAlgorithm.AES256_CBC, secret).setProvider(BC)
                .setPasswordConversionScheme(PasswordRecipient.PKCS5_SCHEME2_UTF8).setPRF(PasswordRecipient.PRF.HMacSHA256)
                .setSaltAndIterationCount(salt(), PWRI_ITERATIONS);
        return envelope(key, recipient, signer, signerCertificate);
    }

    static EncryptedKey toCertificate(PrivateKeyInfo key, X509CertificateHolder recipientCertificate, ContentSigner signer, X509CertificateHolder signerCertificate) {
        X509Certificate recipient;
        try {
            recipient = new JcaX509CertificateConverter().getCertificate(recipientCertificate);
        } catch (CertificateException e) {
            throw new CmpFailure(PKIFailureInfo.badCertId, "the protecting certificate does not parse: " + e.getMessage());
        }
        PublicKey publicKey = recipient.getPublicKey();
        try {
            RecipientInfoGenerator generator;
            if (publicKey instanceof RSAPublicKey) {
                generator = new JceKeyTransRecipientInfoGenerator(recipient).setProvider(BC);
            } else if (publicKey instanceof ECPublicKey ec) {
                // Ephemeral-static ECDH (RFC 5753): a fresh sender key per delivery.
                KeyPairGenerator generatorOfEphemeral = KeyPairGenerator.getInstance("EC", BC);
                generatorOfEphemeral.initialize(ec.getParams());
                KeyPair ephemeral = generatorOfEphemeral.generateKeyPair();
                generator = new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(), ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP)
                        .setProvider(BC).addRecipient(recipient);
            } else {
                throw new CmpFailure(PKIFailureInfo.badAlg, "a centrally generated key is delivered to an RSA or EC key; the protecting certificate's "
                        + publicKey.getAlgorithm() + " key cannot decrypt");
            }
            return envelope(key, generator, signer, signerCertificate);
        } catch (java.security.GeneralSecurityException e) {
            throw new CmpFailure(PKIFailureInfo.badAlg, "the protecting certificate's key cannot receive the generated key: " + e.getMessage());
        }
    }

    private static EncryptedKey envelope(PrivateKeyInfo key, RecipientInfoGenerator recipient, ContentSigner signer, X509CertificateHolder signerCertificate) {
        try {
            CMSSignedDataGenerator signed = new CMSSignedDataGenerator();
            signed.addSignerInfoGenerator(new SignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(BC).build())
                    .build(signer, signerCertificate));
            signed.addCertificate(signerCertificate);
            CMSSignedData keyPackage = signed.generate(new CMSProcessableByteArray(ASYMMETRIC_KEY_PACKAGE, new DERSequence(key).getEncoded()), true);
            CMSEnvelopedDataGenerator enveloped = new CMSEnvelopedDataGenerator();
            enveloped.addRecipientInfoGenerator(recipient);
            byte[] signedData = keyPackage.toASN1Structure().getContent().toASN1Primitive().getEncoded();
            org.bouncycastle.cms.CMSEnvelopedData envelope = enveloped.generate(new CMSProcessableByteArray(CMSObjectIdentifiers.signedData, signedData),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider(BC).build());
            return new EncryptedKey(EnvelopedData.getInstance(envelope.toASN1Structure().getContent()));
        } catch (CMSException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("enveloping the generated key failed", e);
        }
    }

    private static byte[] salt() {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        return salt;
    }
}
