package org.letterlock.escrow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * PKCS#12 files for mail clients: each private key with its certificate (linked by localKeyId, named by friendlyName)
 * and the chain up to the root once, keys in shrouded key bags; certificates in clear bags (modern) or one encrypted
 * bag (legacy); the whole under the MAC.
 */
public final class Pkcs12Files {
    /** OpenSSL's default; the passphrases escrow generates carry about 140 bits, and chosen ones are at least 12 characters. */
    static final int ITERATIONS = 2048;
    private static final AlgorithmIdentifier HMAC_SHA256 = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE);

    /** One key for the file, with its certificate, its chain (issuing CA first) and the name clients show. */
    public record Entry(PrivateKeyInfo key, X509CertificateHolder certificate, List<X509CertificateHolder> chain, String friendlyName) {
    }

    private Pkcs12Files() {
    }

    public static byte[] build(List<Entry> entries, char[] passphrase, Pkcs12Format format) {
        try {
            OutputEncryptor keyEncryptor = encryptor(format == Pkcs12Format.MODERN ? null : PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC, passphrase);
            List<PKCS12SafeBag> keyBags = new ArrayList<>();
            List<PKCS12SafeBag> certificateBags = new ArrayList<>();
            Map<X509CertificateHolder, Boolean> chain = new LinkedHashMap<>();
            for (Entry entry : entries) {
                DEROctetString localKeyId = new DEROctetString(Sha256.of(entry.certificate().getSubjectPublicKeyInfo().getEncoded()));
                DERBMPString name = new DERBMPString(entry.friendlyName());
                certificateBags.add(new PKCS12SafeBagBuilder(entry.certificate())
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, name)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
                keyBags.add(new PKCS12SafeBagBuilder(entry.key(), keyEncryptor)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, name)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
                entry.chain().forEach(c -> chain.putIfAbsent(c, true));
            }
            // Root first, then down the chain, then the leaves: gpgsm imports in file order and wants each issuer before its subjects.
            List<PKCS12SafeBag> caBags = new ArrayList<>();
            for (X509CertificateHolder ca : chain.keySet()) {
                caBags.add(0, new PKCS12SafeBagBuilder(ca).build());
            }
            certificateBags.addAll(0, caBags);
            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            if (format == Pkcs12Format.MODERN) {
                // Certificates are public: a second PBKDF2 for them would double the cost of every file and protect nothing
                // (openssl pkcs12 -certpbe NONE); the MAC still covers them.
                for (PKCS12SafeBag bag : certificateBags) {
                    pfx.addData(bag);
                }
            } else {
                // Older clients expect the certificates in an encrypted bag (what openssl -legacy writes).
                pfx.addEncryptedData(encryptor(PKCSObjectIdentifiers.pbeWithSHAAnd40BitRC2_CBC, passphrase), certificateBags.toArray(PKCS12SafeBag[]::new));
            }
            for (PKCS12SafeBag keyBag : keyBags) {
                pfx.addData(keyBag);
            }
            JcePKCS12MacCalculatorBuilder mac = new JcePKCS12MacCalculatorBuilder(format == Pkcs12Format.MODERN ? NISTObjectIdentifiers.id_sha256 : OIWObjectIdentifiers.idSHA1)
                    .setProvider(KeySealer.BC).setIterationCount(ITERATIONS);
            return pfx.build(mac, passphrase).getEncoded(ASN1Encoding.DER);
        } catch (IOException | PKCSException | OperatorCreationException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "building the PKCS#12 file failed: " + e.getMessage(), e);
        }
    }

    /** PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA-256 when {@code legacyAlgorithm} is null. */
    private static OutputEncryptor encryptor(org.bouncycastle.asn1.ASN1ObjectIdentifier legacyAlgorithm, char[] passphrase) throws OperatorCreationException {
        JcePKCSPBEOutputEncryptorBuilder builder = legacyAlgorithm == null
                ? new JcePKCSPBEOutputEncryptorBuilder(NISTObjectIdentifiers.id_aes256_CBC).setPRF(HMAC_SHA256)
                : new JcePKCSPBEOutputEncryptorBuilder(legacyAlgorithm);
        return builder.setProvider(KeySealer.BC).setIterationCount(ITERATIONS).build(passphrase);
    }
}
