package org.letterlock.escrow;

import java.io.IOException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSAuthEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.KeyTransRecipientId;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransAuthEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeyDecrypter;
import org.letterlock.vault.VaultException;

/**
 * Seals private keys to a recovery key's certificate as CMS AuthEnvelopedData (AES-256-GCM, RSA key transport) and
 * opens them again with the recovery key's vault decrypter: the recovery key never leaves the vault, and a backup of it
 * opens an archive with {@code openssl cms -decrypt} alone.
 */
final class KeySealer {
    static final Provider BC = new BouncyCastleProvider();
    /** SunPKCS11 decrypts PKCS#1 v1.5 only; OAEP would need the token's mechanism through a provider that has it. */
    private static final String KEY_TRANSPORT = "RSA/ECB/PKCS1Padding";
    private static final Set<ASN1ObjectIdentifier> CONTENT_ALGORITHMS = Set.of(NISTObjectIdentifiers.id_aes128_CBC, NISTObjectIdentifiers.id_aes192_CBC,
            NISTObjectIdentifiers.id_aes256_CBC, NISTObjectIdentifiers.id_aes128_GCM, NISTObjectIdentifiers.id_aes192_GCM, NISTObjectIdentifiers.id_aes256_GCM);
    private static final int MAX_CMS_BYTES = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeySealer() {
    }

    static byte[] seal(PrivateKeyInfo key, X509CertificateHolder recoveryCertificate) {
        try {
            CMSAuthEnvelopedDataGenerator generator = new CMSAuthEnvelopedDataGenerator();
            generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(x509(recoveryCertificate)).setProvider(BC));
            OutputAEADEncryptor encryptor = (OutputAEADEncryptor) new JceCMSContentEncryptorBuilder(NISTObjectIdentifiers.id_aes256_GCM).setProvider(BC).build();
            return generator.generate(new CMSProcessableByteArray(key.getEncoded()), encryptor).getEncoded();
        } catch (CMSException | IOException | java.security.cert.CertificateEncodingException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "sealing a key to the recovery key failed: " + e.getMessage(), e);
        }
    }

    /** Opens an archive sealed by {@link #seal}; a failure here means the archive or the recovery key is damaged. */
    static PrivateKeyInfo unseal(byte[] sealed, X509CertificateHolder recoveryCertificate, KeyDecrypter decrypter) {
        try {
            CMSAuthEnvelopedData data = new CMSAuthEnvelopedData(sealed);
            return privateKey(recipient(data.getRecipientInfos(), recoveryCertificate).getContent(authEnveloped(decrypter, false)));
        } catch (LetterlockException e) {
            throw e.type() == ErrorType.UNAVAILABLE ? e : new LetterlockException(ErrorType.CONFLICT, "the sealed key cannot be opened with its recovery key ("
                    + e.getMessage() + ")");
        } catch (CMSException | RuntimeException e) {
            throw new LetterlockException(ErrorType.CONFLICT, "the sealed key cannot be opened with its recovery key (" + e.getMessage() + ")");
        }
    }

    /**
     * Opens a private key a client encrypted to the transport certificate: CMS EnvelopedData (AES-CBC) or
     * AuthEnvelopedData (AES-GCM), DER, with an RSA key-transport recipient for that certificate; the content a PKCS#8
     * PrivateKeyInfo. Every decryption failure reads the same, so the answer says nothing about the RSA padding.
     */
    static PrivateKeyInfo openSubmitted(byte[] cms, X509CertificateHolder transportCertificate, KeyDecrypter decrypter) {
        if (cms.length > MAX_CMS_BYTES) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key is larger than " + MAX_CMS_BYTES + " bytes");
        }
        ContentInfo info;
        try {
            info = ContentInfo.getInstance(cms);
        } catch (RuntimeException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key is not DER CMS (ContentInfo): " + e.getMessage());
        }
        if (info == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key is empty");
        }
        RecipientInformation recipient;
        byte[] content;
        try {
            if (CMSObjectIdentifiers.envelopedData.equals(info.getContentType())) {
                CMSEnvelopedData data = new CMSEnvelopedData(info);
                requireContentAlgorithm(data.getContentEncryptionAlgorithm().getAlgorithm());
                recipient = recipient(data.getRecipientInfos(), transportCertificate);
                content = open(recipient, enveloped(decrypter));
            } else if (CMSObjectIdentifiers.authEnvelopedData.equals(info.getContentType())) {
                CMSAuthEnvelopedData data = new CMSAuthEnvelopedData(info);
                requireContentAlgorithm(new ASN1ObjectIdentifier(data.getEncryptionAlgOID()));
                recipient = recipient(data.getRecipientInfos(), transportCertificate);
                content = open(recipient, authEnveloped(decrypter, true));
            } else {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key must be CMS EnvelopedData or AuthEnvelopedData, not " + info.getContentType());
            }
        } catch (CMSException | IllegalArgumentException | ClassCastException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key is not valid CMS: " + e.getMessage());
        }
        try {
            return privateKey(content);
        } catch (RuntimeException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the decrypted content is not a PKCS#8 private key (PrivateKeyInfo, DER)");
        }
    }

    private static byte[] open(RecipientInformation recipient, Recipient with) {
        if (!PKCSObjectIdentifiers.rsaEncryption.getId().equals(recipient.getKeyEncryptionAlgOID())) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "encrypt the key with RSA PKCS#1 v1.5 key transport (rsaEncryption, openssl cms -encrypt's default), not "
                    + recipient.getKeyEncryptionAlgOID());
        }
        try {
            return recipient.getContent(with);
        } catch (LetterlockException e) {
            throw e;
        } catch (CMSException | RuntimeException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the encrypted key cannot be decrypted with the recovery transport key: encrypt it to the current "
                    + "transport certificate (GET /api/escrow/transport-certificate)");
        }
    }

    private static void requireContentAlgorithm(ASN1ObjectIdentifier algorithm) {
        if (!CONTENT_ALGORITHMS.contains(algorithm)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the key must be encrypted with AES (CBC or GCM), not " + algorithm);
        }
    }

    private static RecipientInformation recipient(RecipientInformationStore recipients, X509CertificateHolder certificate) {
        RecipientInformation found = recipients.get(new KeyTransRecipientId(certificate.getIssuer(), certificate.getSerialNumber(), subjectKeyId(certificate)));
        if (found == null) {
            Collection<RecipientInformation> all = recipients.getRecipients();
            found = all.stream().filter(r -> r.getRID().match(certificate)).findFirst().orElse(null);
        }
        if (found == null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the key is not encrypted to the recovery transport certificate (serial "
                    + certificate.getSerialNumber().toString(16) + ")");
        }
        return found;
    }

    private static byte[] subjectKeyId(X509CertificateHolder certificate) {
        org.bouncycastle.asn1.x509.SubjectKeyIdentifier ski = org.bouncycastle.asn1.x509.SubjectKeyIdentifier.fromExtensions(certificate.getExtensions());
        return ski == null ? null : ski.getKeyIdentifier();
    }

    private static PrivateKeyInfo privateKey(byte[] content) {
        PrivateKeyInfo key = PrivateKeyInfo.getInstance(content);
        if (key == null) {
            throw new IllegalArgumentException("empty");
        }
        return key;
    }

    /**
     * The content-encryption key through the vault. A padding failure gives a random key of the right size instead
     * (implicit rejection), so it fails at content decryption like any other wrong key.
     */
    private static Key contentKey(KeyDecrypter decrypter, AlgorithmIdentifier contentAlgorithm, byte[] encryptedKey, boolean hideFailure) throws CMSException {
        int size = contentKeySize(contentAlgorithm.getAlgorithm());
        byte[] key;
        try {
            key = decrypter.decrypt(KEY_TRANSPORT, encryptedKey);
        } catch (VaultException e) {
            if (e.reason() != VaultException.Reason.INVALID_INPUT) {
                throw new LetterlockException(ErrorType.UNAVAILABLE, "the vault cannot decrypt with the recovery key now: " + e.getMessage(), e);
            }
            if (!hideFailure) {
                throw new CMSException("the recovery key refused the encrypted content key: " + e.getMessage(), e);
            }
            key = new byte[size];
            RANDOM.nextBytes(key);
        }
        if (key.length != size) {
            key = new byte[size];
            RANDOM.nextBytes(key);
        }
        return new SecretKeySpec(key, "AES");
    }

    private static int contentKeySize(ASN1ObjectIdentifier algorithm) {
        if (algorithm.equals(NISTObjectIdentifiers.id_aes128_CBC) || algorithm.equals(NISTObjectIdentifiers.id_aes128_GCM)) {
            return 16;
        }
        if (algorithm.equals(NISTObjectIdentifiers.id_aes192_CBC) || algorithm.equals(NISTObjectIdentifiers.id_aes192_GCM)) {
            return 24;
        }
        return 32;
    }

    private static Recipient enveloped(KeyDecrypter decrypter) {
        return new JceKeyTransEnvelopedRecipient(NO_KEY) {
            @Override
            protected Key extractSecretKey(AlgorithmIdentifier keyAlgorithm, AlgorithmIdentifier contentAlgorithm, byte[] encryptedKey) throws CMSException {
                return contentKey(decrypter, contentAlgorithm, encryptedKey, true);
            }
        }.setProvider(BC);
    }

    private static Recipient authEnveloped(KeyDecrypter decrypter, boolean hideFailure) {
        return new JceKeyTransAuthEnvelopedRecipient(NO_KEY) {
            @Override
            protected Key extractSecretKey(AlgorithmIdentifier keyAlgorithm, AlgorithmIdentifier contentAlgorithm, byte[] encryptedKey) throws CMSException {
                return contentKey(decrypter, contentAlgorithm, encryptedKey, hideFailure);
            }
        }.setProvider(BC);
    }

    /** The recipient classes want a private key; the vault decrypts instead, so they never get one. */
    private static final PrivateKey NO_KEY = null;

    static X509Certificate x509(X509CertificateHolder certificate) {
        try {
            return new JcaX509CertificateConverter().getCertificate(certificate);
        } catch (CertificateException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "cannot read certificate: " + e.getMessage(), e);
        }
    }
}
