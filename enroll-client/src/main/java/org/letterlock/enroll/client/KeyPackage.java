package org.letterlock.enroll.client;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Opens an encrypted server-generated key (RFC 7030 4.4.2): EnvelopedData to our encryption key, around SignedData by
 * the server, around an AsymmetricKeyPackage (RFC 5958) holding the one key. The server signs key packages with its
 * TLS listener key, so the signer must hold the public key of the TLS server certificate the answer came over (the
 * EST server we checked the host name of); its chain from the SignedData must also be one the TLS trust accepts.
 */
final class KeyPackage {
    private static final ASN1ObjectIdentifier ASYMMETRIC_KEY_PACKAGE = new ASN1ObjectIdentifier("2.16.840.1.101.2.1.2.78.5");
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private KeyPackage() {
    }

    /**
     * The PKCS#8 (OneAsymmetricKey v1) DER of the key inside {@code envelopedData} (a ContentInfo), signed by the key
     * of {@code server}, the TLS server certificate the answer came over.
     */
    static byte[] open(byte[] envelopedData, PrivateKey decryptionKey, X509Certificate server, X509TrustManager trust) throws IOException {
        try {
            Collection<RecipientInformation> recipients = new CMSEnvelopedData(envelopedData).getRecipientInfos().getRecipients();
            if (recipients.size() != 1) {
                throw new IOException("serverkeygen: the encrypted key names " + recipients.size() + " recipients, not one");
            }
            Recipient recipient = decryptionKey.getAlgorithm().equals("RSA") ? new JceKeyTransEnvelopedRecipient(decryptionKey).setProvider(BC)
                    : new JceKeyAgreeEnvelopedRecipient(decryptionKey).setProvider(BC);
            CMSSignedData signed = new CMSSignedData(new ContentInfo(CMSObjectIdentifiers.signedData,
                    SignedData.getInstance(recipients.iterator().next().getContent(recipient))));
            if (!signed.getSignedContentTypeOID().equals(ASYMMETRIC_KEY_PACKAGE.getId())) {
                throw new IOException("serverkeygen: the signed content is " + signed.getSignedContentTypeOID() + ", not an AsymmetricKeyPackage");
            }
            requireSignedByTheServer(signed, server, trust);
            ASN1Sequence keys = ASN1Sequence.getInstance(signed.getSignedContent().getContent());
            if (keys.size() != 1) {
                throw new IOException("serverkeygen: the key package holds " + keys.size() + " keys, not one");
            }
            return keys.getObjectAt(0).toASN1Primitive().getEncoded();
        } catch (CMSException | IllegalArgumentException e) {
            throw new IOException("serverkeygen: the encrypted key does not open with the encryption key it was asked for: " + e.getMessage(), e);
        }
    }

    /**
     * One signer, whose signature verifies, whose key is the TLS server's (a certificate renewed since keeps the key),
     * and whose chain (from the SignedData) the TLS trust accepts.
     */
    private static void requireSignedByTheServer(CMSSignedData signed, X509Certificate server, X509TrustManager trust) throws IOException, CMSException {
        Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new IOException("serverkeygen: the key package has " + signers.size() + " signers, not one");
        }
        SignerInformation signer = signers.iterator().next();
        Collection<X509CertificateHolder> matching = signed.getCertificates().getMatches(signer.getSID());
        if (matching.isEmpty()) {
            throw new IOException("serverkeygen: the key package does not carry its signer's certificate");
        }
        X509CertificateHolder signerCertificate = matching.iterator().next();
        try {
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(signerCertificate))) {
                throw new IOException("serverkeygen: the key package's signature does not verify");
            }
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            X509Certificate signerX509 = converter.getCertificate(signerCertificate);
            if (!Arrays.equals(signerX509.getPublicKey().getEncoded(), server.getPublicKey().getEncoded())) {
                throw new IOException("serverkeygen: the key package is signed by " + signerX509.getSubjectX500Principal().getName() + ", not by the key of the TLS server "
                        + server.getSubjectX500Principal().getName() + " that sent it");
            }
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(signerX509);
            for (X509CertificateHolder other : signed.getCertificates().getMatches(null)) {
                if (!other.equals(signerCertificate)) {
                    chain.add(converter.getCertificate(other));
                }
            }
            trust.checkServerTrusted(chain.toArray(X509Certificate[]::new), "UNKNOWN");
        } catch (OperatorCreationException | CertificateException e) {
            throw new IOException("serverkeygen: the key package's signer is not the server this client trusts: " + e.getMessage(), e);
        }
    }
}
