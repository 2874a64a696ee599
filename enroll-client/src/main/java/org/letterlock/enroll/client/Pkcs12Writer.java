package org.letterlock.enroll.client;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * The PKCS#12 files mail clients import. Modern: AES-256-CBC under PBKDF2-HMAC-SHA256 and an HMAC-SHA256 MAC
 * (Thunderbird, Outlook 365, OpenSSL 3, macOS 14+). Legacy: 3DES and a SHA-1 MAC, for gpgsm 2.2, older Outlook and
 * Windows before 10 1709, which refuse the modern one.
 */
final class Pkcs12Writer {
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final int PBKDF2_ITERATIONS = 600_000;
    /** OpenSSL's default for the PKCS#12 MAC and the legacy PBE; the MAC only guards integrity, the key bags carry the strength. */
    private static final int LEGACY_ITERATIONS = 2048;

    enum Format { MODERN, LEGACY }

    /** A private key with its certificate, under a name the mail client shows. */
    record KeyEntry(String name, PrivateKey key, X509Certificate certificate) {
    }

    private Pkcs12Writer() {
    }

    static byte[] write(List<KeyEntry> entries, List<X509Certificate> caChain, char[] passphrase, Format format) throws IOException {
        try {
            OutputEncryptor keyEncryptor = encryptor(format, passphrase);
            List<PKCS12SafeBag> certificateBags = new ArrayList<>();
            List<PKCS12SafeBag> keyBags = new ArrayList<>();
            for (KeyEntry entry : entries) {
                DEROctetString localKeyId = new DEROctetString(sha1(entry.certificate().getPublicKey().getEncoded()));
                certificateBags.add(new JcaPKCS12SafeBagBuilder(entry.certificate())
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERBMPString(entry.name()))
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
                keyBags.add(new JcaPKCS12SafeBagBuilder(entry.key(), keyEncryptor)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERBMPString(entry.name()))
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
            }
            for (X509Certificate ca : caChain) {
                certificateBags.add(new JcaPKCS12SafeBagBuilder(ca).build());
            }
            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            pfx.addEncryptedData(encryptor(format, passphrase), certificateBags.toArray(PKCS12SafeBag[]::new));
            for (PKCS12SafeBag keyBag : keyBags) {
                pfx.addData(keyBag);
            }
            JcePKCS12MacCalculatorBuilder mac = format == Format.MODERN
                    ? new JcePKCS12MacCalculatorBuilder(NISTObjectIdentifiers.id_sha256).setProvider(BC).setIterationCount(LEGACY_ITERATIONS)
                    : new JcePKCS12MacCalculatorBuilder(OIWObjectIdentifiers.idSHA1).setProvider(BC).setIterationCount(LEGACY_ITERATIONS);
            return pfx.build(mac, passphrase).getEncoded();
        } catch (OperatorCreationException | PKCSException | IOException e) {
            throw new IOException("cannot write the PKCS#12 file: " + e.getMessage(), e);
        }
    }

    private static OutputEncryptor encryptor(Format format, char[] passphrase) throws OperatorCreationException {
        if (format == Format.MODERN) {
            return new JcePKCSPBEOutputEncryptorBuilder(NISTObjectIdentifiers.id_aes256_CBC).setProvider(BC)
                    .setPRF(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE))
                    .setIterationCount(PBKDF2_ITERATIONS).build(passphrase);
        }
        return new JcePKCSPBEOutputEncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC).setProvider(BC).setIterationCount(LEGACY_ITERATIONS).build(passphrase);
    }

    private static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
