package org.letterlock.mail.pgp;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.PreferredAEADCiphersuites;
import org.bouncycastle.bcpg.sig.PreferredAlgorithms;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.operator.PGPKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.PGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.mail.message.EntityEncryption;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * PGP/MIME encryption (RFC 3156): the cleartext MIME entity becomes the literal data (binary, unchanged) of one
 * OpenPGP message (RFC 9580), ASCII-armored in the second part of a {@code multipart/encrypted} entity.
 * <p>
 * To public keys, each recipient's usable encryption subkeys get one PKESK each ({@link PgpRecipientKeys}). The data
 * is SEIPD v2 (AEAD: OCB) only when every recipient key says in its features that it reads it, since gpg 2.2, sq 0.27
 * and rnp 0.16 cannot; otherwise SEIPD v1 with its modification detection code. To a passphrase, for people outside
 * who have no key: SKESK v4 and SEIPD v1, which gpg, sq and rnp all decrypt (gpg 2.2 and 2.4 refuse SKESK v6).
 * <p>
 * Nothing is compressed: mail bodies are often compressed already (images, office documents, archives), and
 * compressing before encrypting lets the ciphertext length tell about the content (the CRIME and BREACH attacks).
 */
public final class PgpMimeEncryption implements EntityEncryption {
    /** Strongest first: the ciphers Letterlock encrypts with. */
    private static final List<Integer> CIPHERS = List.of(SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_192,
            SymmetricKeyAlgorithmTags.AES_128);
    /**
     * The iterated and salted S2K's coded count: 0xFF hashes 65,011,712 octets of salt and passphrase, the most the
     * format can say and what gpg 2.2 writes on current machines (its agent calibrates to more). The JDK's SHA-256
     * spends about 65 ms of one core on it here, once per message.
     */
    private static final int S2K_COUNT = 0xFF;
    /**
     * AEAD chunks of 2^18 octets = 256 KiB (chunk size octet 12; Bouncy Castle takes the power of two): a reader holds
     * one chunk before it releases it, and each chunk costs a 16-octet tag.
     */
    private static final int AEAD_CHUNK_BITS = 18;
    /** Partial body lengths of 64 KiB, so that neither the literal nor the encrypted packet needs its length up front. */
    private static final int PACKET_BUFFER = 1 << 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    @FunctionalInterface
    private interface KeyEncryption {
        PGPKeyEncryptionMethodGenerator create() throws PGPException;
    }

    private final List<KeyEncryption> keyEncryptions;
    private final boolean seipdV2;
    private final int cipher;

    private PgpMimeEncryption(List<KeyEncryption> keyEncryptions, boolean seipdV2, int cipher) {
        this.keyEncryptions = List.copyOf(keyEncryptions);
        this.seipdV2 = seipdV2;
        this.cipher = cipher;
    }

    /**
     * Encryption to the usable encryption subkeys of every key in {@code recipients} at {@code now}. A key without any
     * is refused (BAD_REQUEST, naming its fingerprint): ask {@link PgpRecipientKeys#encryptionSubkeys} first.
     */
    public static PgpMimeEncryption forKeys(List<PGPPublicKeyRing> recipients, Instant now) {
        if (recipients.isEmpty()) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "no OpenPGP key to encrypt to");
        }
        Date at = Date.from(now);
        List<KeyEncryption> keyEncryptions = new ArrayList<>();
        boolean allReadSeipdV2 = true;
        List<int[]> seipdV1Ciphers = new ArrayList<>();
        List<int[]> seipdV2Ciphers = new ArrayList<>();
        for (PGPPublicKeyRing recipient : recipients) {
            OpenPGPCertificate certificate = PgpRecipientKeys.certificate(recipient);
            List<PGPPublicKey> subkeys = PgpRecipientKeys.encryptionSubkeys(certificate, now);
            if (subkeys.isEmpty()) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "the OpenPGP key " + OpenPgpKeys.fingerprint(recipient.getPublicKey())
                        + " has no key usable for encryption at " + now + " (they are revoked, expired, not validly bound or not flagged for encryption)");
            }
            for (PGPPublicKey subkey : subkeys) {
                keyEncryptions.add(() -> new BcPublicKeyKeyEncryptionMethodGenerator(subkey));
            }
            OpenPGPCertificate.OpenPGPPrimaryKey primary = certificate.getPrimaryKey();
            Features features = primary.getFeatures(at);
            allReadSeipdV2 &= features != null && features.supportsSEIPDv2();
            PreferredAlgorithms ciphers = primary.getSymmetricCipherPreferences(at);
            if (ciphers != null) {
                seipdV1Ciphers.add(ciphers.getPreferences());
            }
            PreferredAEADCiphersuites suites = primary.getAEADCipherSuitePreferences(at);
            if (suites != null) {
                seipdV2Ciphers.add(ocbCiphers(suites));
            }
        }
        return allReadSeipdV2
                ? new PgpMimeEncryption(keyEncryptions, true, strongestCommonCipher(seipdV2Ciphers))
                : new PgpMimeEncryption(keyEncryptions, false, strongestCommonCipher(seipdV1Ciphers));
    }

    /**
     * Encryption to {@code passphrase} (a copy is kept for this encryption's life; the caller may wipe its array):
     * SKESK v4 with an iterated and salted SHA-256 S2K, SEIPD v1 with AES-256.
     */
    public static PgpMimeEncryption forPassphrase(char[] passphrase) {
        if (passphrase.length == 0) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "an empty passphrase protects nothing");
        }
        char[] copy = passphrase.clone();
        // The S2K's 65 MB of hashing through the JDK's SHA-256 (CPU instructions): 65 ms here against Bouncy Castle's 271 ms.
        KeyEncryption skesk = () -> new JcePBEKeyEncryptionMethodGenerator(copy,
                new JcaPGPDigestCalculatorProviderBuilder().setProvider("SUN").build().get(HashAlgorithmTags.SHA256), S2K_COUNT).setProvider("SunJCE");
        return new PgpMimeEncryption(List.of(skesk), false, SymmetricKeyAlgorithmTags.AES_256);
    }

    /** The symmetric algorithms a recipient pairs with OCB, the AEAD mode Letterlock writes. */
    private static int[] ocbCiphers(PreferredAEADCiphersuites suites) {
        return Arrays.stream(suites.getAlgorithms())
                .filter(suite -> suite.getAeadAlgorithm() == AEADAlgorithmTags.OCB)
                .mapToInt(PreferredAEADCiphersuites.Combination::getSymmetricAlgorithm)
                .toArray();
    }

    /**
     * The strongest of Letterlock's ciphers that every recipient who states preferences lists. Recipients who state
     * none do not narrow the choice: AES-256 is read by every OpenPGP implementation in use. When the lists share none
     * of them, AES-128: RFC 9580 makes it mandatory to implement, tacitly at the end of every list.
     */
    static int strongestCommonCipher(List<int[]> statedPreferences) {
        return CIPHERS.stream()
                .filter(cipher -> statedPreferences.stream().allMatch(listed -> Arrays.stream(listed).anyMatch(a -> a == cipher)))
                .findFirst()
                .orElse(SymmetricKeyAlgorithmTags.AES_128);
    }

    @Override
    public OutputStream open(OutputStream out) throws IOException {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        // A delimiter line is "--" and the boundary. Armor lines begin with "--" only in "-----BEGIN" and "-----END",
        // whose third character is '-', never the boundary's '=': no line of the body can be taken for a delimiter.
        String boundary = "=_letterlock_pgp_" + HexFormat.of().formatHex(random);
        out.write(entityStart(boundary).getBytes(US_ASCII));
        // The armor checksum is only for readers older than RFC 9580, and SEIPD v2 readers are not.
        ArmoredOutputStream armor = ArmoredOutputStream.builder().clearHeaders().enableCRC(!seipdV2).build(new CrlfLineEnds(out));
        try {
            PGPEncryptedDataGenerator encryption = encryption();
            OutputStream encrypted = encryption.open(armor, new byte[PACKET_BUFFER]);
            PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
            // No file name and no date (NOW is zero, "no specific time"): the entity's own header fields say what it is.
            OutputStream cleartext = literal.open(encrypted, PGPLiteralData.BINARY, "", PGPLiteralData.NOW, new byte[PACKET_BUFFER]);
            return new Cleartext(cleartext, () -> {
                literal.close();
                encryption.close();
                armor.close();
                out.write(("\r\n--" + boundary + "--\r\n").getBytes(US_ASCII));
                out.flush();
            });
        } catch (PGPException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "cannot start the OpenPGP encryption: " + e.getMessage(), e);
        }
    }

    private PGPEncryptedDataGenerator encryption() throws PGPException {
        PGPDataEncryptorBuilder data;
        if (seipdV2) {
            // The JDK has no OCB: Bouncy Castle's AES.
            data = new BcPGPDataEncryptorBuilder(cipher).setWithAEAD(AEADAlgorithmTags.OCB, AEAD_CHUNK_BITS).setUseV6AEAD();
        } else {
            // CFB through the JDK's AES and the MDC through its SHA-1, both on CPU instructions.
            data = new JcePGPDataEncryptorBuilder(cipher).setWithIntegrityPacket(true).setProvider("SunJCE");
        }
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(data);
        for (KeyEncryption keyEncryption : keyEncryptions) {
            generator.addMethod(keyEncryption.create());
        }
        return generator;
    }

    /** Everything before the armored message: the header fields, the version part, the encrypted part's header. */
    private static String entityStart(String boundary) {
        return """
                Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";
                \tboundary="%1$s"
                Content-Transfer-Encoding: 7bit

                This is an OpenPGP/MIME encrypted message (RFC 3156).
                --%1$s
                Content-Type: application/pgp-encrypted
                Content-Description: PGP/MIME version identification

                Version: 1

                --%1$s
                Content-Type: application/octet-stream; name="encrypted.asc"
                Content-Description: OpenPGP encrypted message
                Content-Disposition: inline; filename="encrypted.asc"

                """.formatted(boundary).replace("\n", "\r\n");
    }

    @FunctionalInterface
    private interface Finish {
        void run() throws IOException;
    }

    /** Takes the cleartext entity; closing it ends the literal data, the encryption, the armor and the multipart. */
    private static final class Cleartext extends OutputStream {
        private final OutputStream literal;
        private final Finish finish;
        private boolean closed;

        Cleartext(OutputStream literal, Finish finish) {
            this.literal = literal;
            this.finish = finish;
        }

        @Override
        public void write(int b) throws IOException {
            literal.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            literal.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                finish.run();
            }
        }
    }

    /**
     * Gives the armor CRLF line ends, as MIME text needs: Bouncy Castle ends armor lines with the platform's line
     * separator, and armor holds no other CR or LF.
     */
    private static final class CrlfLineEnds extends FilterOutputStream {
        private static final byte[] CRLF = {'\r', '\n'};

        CrlfLineEnds(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            if (b == '\n') {
                out.write(CRLF);
            } else if (b != '\r') {
                out.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int run = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n' || b[i] == '\r') {
                    out.write(b, run, i - run);
                    if (b[i] == '\n') {
                        out.write(CRLF);
                    }
                    run = i + 1;
                }
            }
            out.write(b, run, off + len - run);
        }
    }
}
