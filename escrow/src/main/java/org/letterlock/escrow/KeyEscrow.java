package org.letterlock.escrow;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssueRequest;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.MailboxCertificates;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.platform.Sha256;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.EscrowSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.MailAddress;
import org.letterlock.platform.identity.Role;
import org.letterlock.vault.KeySpec;

/**
 * Archiving side of escrow: encryption keys made here (sealed, certified, handed out once as PKCS#12) and keys made by
 * clients (accepted when encrypted to the transport certificate and matching their certificate). Signing keys are
 * refused whatever way they come.
 */
public final class KeyEscrow {
    /** Escrow's own identity towards the CA, for undoing a certificate whose key could not be archived. */
    private static final Requester ESCROW = new Requester("escrow", Set.of(Role.CA_ADMIN));
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = Logger.getLogger(KeyEscrow.class.getName());

    private final EscrowSettings settings;
    private final EscrowStore store;
    private final RecoveryKeys recoveryKeys;
    private final MailboxCertificates ca;
    private final AuditRecorder audit;
    private final Clock clock;
    private final KeyPairSource keyPairs;

    /** What the owner gets back, once: the certificate, the archive record, the PKCS#12 and a generated passphrase if they chose none. */
    public record GeneratedKey(IssuedCertificate certificate, ArchivedKey archive, byte[] pkcs12, Pkcs12Format format, Optional<char[]> generatedPassphrase) {
    }

    KeyEscrow(EscrowSettings settings, EscrowStore store, RecoveryKeys recoveryKeys, MailboxCertificates ca, AuditRecorder audit, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.recoveryKeys = recoveryKeys;
        this.ca = ca;
        this.audit = audit;
        this.clock = clock;
        this.keyPairs = new KeyPairSource(settings.keySpecs(), settings.rsaPool());
    }

    /** A key escrow made and archived, with its certificate: the private key goes to its owner once, in whatever form the protocol asks. */
    public record ArchivedKeyPair(IssuedCertificate certificate, ArchivedKey archive, PrivateKeyInfo privateKey) {
    }

    /**
     * Makes an encryption key pair for the mailbox, seals the private key to the recovery key, has the CA certify the
     * public key under mailbox-encryption (in {@code pairId}'s pair if given) and returns the one PKCS#12 the owner gets.
     */
    public GeneratedKey generate(String mailbox, Optional<KeySpec> requestedSpec, Optional<char[]> passphrase, Pkcs12Format format, Optional<String> pairId,
                                 Requester requester) {
        char[] chosen = Passphrases.chosenOrGenerated(passphrase);
        ArchivedKeyPair made = generateArchived(mailbox, requestedSpec, pairId, requester);
        byte[] pkcs12 = Pkcs12Files.build(List.of(entry(made.privateKey(), made.certificate())), chosen, format);
        return new GeneratedKey(made.certificate(), made.archive(), pkcs12, format, passphrase.isPresent() ? Optional.empty() : Optional.of(chosen));
    }

    /**
     * As {@link #generate}, handing back the private key itself for protocols that deliver it in their own envelope
     * (EST server-side key generation, CMP central key generation).
     */
    public ArchivedKeyPair generateArchived(String mailbox, Optional<KeySpec> requestedSpec, Optional<String> pairId, Requester requester) {
        String address = normalise(mailbox, "escrow.generate");
        ca.authorizeMailbox(requester, address, "escrow.generate");
        KeySpec spec = requestedSpec.orElse(settings.keySpecs().get(0));
        if (!settings.keySpecs().contains(spec)) {
            throw refuse("escrow.generate", "mailbox:" + address, ErrorType.BAD_REQUEST, "key spec " + spec.configName() + " is not allowed here; allowed: "
                    + settings.keySpecs().stream().map(KeySpec::configName).toList());
        }
        KeyPair keys = keyPairs.next(spec);
        PrivateKeyInfo privateKey = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        RecoveryKey recoveryKey = recoveryKeys.active();
        byte[] sealed = recoveryKeys.seal(privateKey, recoveryKey);
        IssuedCertificate certificate = ca.issue(new IssueRequest(Profiles.MAILBOX_ENCRYPTION.name(), Optional.empty(), Optional.of(publicKey), Optional.of(address),
                List.of(), pairId, OptionalInt.empty(), false), requester);
        ArchivedKey archive = archive(address, certificate, recoveryKey, ArchivedKey.Origin.SERVER, spec.configName(), publicKey, sealed, requester, "escrow.generate");
        return new ArchivedKeyPair(certificate, archive, privateKey);
    }

    /**
     * Archives a key the client made: {@code encryptedKey} is CMS to the active transport certificate holding the PKCS#8
     * key of the encryption certificate {@code serial}.
     */
    public ArchivedKey archiveSubmitted(BigInteger serial, byte[] encryptedKey, Requester requester) {
        String target = "certificate:" + IssuedCertificate.hex(serial);
        IssuedCertificate certificate = ca.find(serial).orElseThrow(() -> refuse("escrow.archive", target, ErrorType.NOT_FOUND,
                "no certificate with serial " + IssuedCertificate.hex(serial)));
        String mailbox = certificate.mailbox().orElseThrow(() -> refuse("escrow.archive", target, ErrorType.FORBIDDEN,
                "only mailbox encryption keys are escrowed; certificate " + certificate.serialHex() + " is a " + certificate.profile() + " certificate"));
        ca.authorizeMailbox(requester, mailbox, "escrow.archive");
        refuseSigningKeys(certificate, target);
        if (certificate.revoked()) {
            throw refuse("escrow.archive", target, ErrorType.CONFLICT, "certificate " + certificate.serialHex() + " is revoked");
        }
        if (certificate.notAfter().isBefore(clock.instant())) {
            throw refuse("escrow.archive", target, ErrorType.CONFLICT, "certificate " + certificate.serialHex() + " expired on " + certificate.notAfter());
        }
        if (store.archiveOfCertificate(serial).isPresent()) {
            throw refuse("escrow.archive", target, ErrorType.CONFLICT, "the key of certificate " + certificate.serialHex() + " is archived already");
        }
        PrivateKeyInfo privateKey;
        try {
            privateKey = recoveryKeys.openSubmitted(encryptedKey);
        } catch (LetterlockException e) {
            throw refuse("escrow.archive", target, e.type(), e.getMessage());
        }
        SubjectPublicKeyInfo publicKey = certificate.holder().getSubjectPublicKeyInfo();
        if (!matches(privateKey, publicKey)) {
            throw refuse("escrow.archive", target, ErrorType.BAD_REQUEST, "the submitted private key does not belong to certificate " + certificate.serialHex());
        }
        RecoveryKey recoveryKey = recoveryKeys.active();
        byte[] sealed = recoveryKeys.seal(privateKey, recoveryKey);
        return archive(mailbox, certificate, recoveryKey, ArchivedKey.Origin.CLIENT, keySpecName(publicKey), publicKey, sealed, requester, "escrow.archive");
    }

    /** The archive records of a mailbox (never the keys). */
    public List<ArchivedKey> archives(String mailbox, Requester requester) {
        String address = normalise(mailbox, "escrow.read");
        if (!requester.has(Role.RECOVERY_AGENT) && !requester.has(Role.AUDITOR)) {
            ca.authorizeMailbox(requester, address, "escrow.read");
        }
        return store.archives(address);
    }

    private ArchivedKey archive(String mailbox, IssuedCertificate certificate, RecoveryKey recoveryKey, ArchivedKey.Origin origin, String keySpec,
                                SubjectPublicKeyInfo publicKey, byte[] sealed, Requester requester, String action) {
        List<CompletableFuture<AuditRecord>> keyUses = new ArrayList<>(1);
        try {
            ArchivedKey unsigned = new ArchivedKey(UUID.randomUUID().toString(), mailbox, certificate.serial(), recoveryKey.id(), origin, keySpec,
                    Sha256.of(Certificates.der(publicKey)), sealed, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS), requester.name(), new byte[0]);
            ArchivedKey signed = withSignature(unsigned, recoveryKeys.sign(unsigned, keyUses));
            store.insertArchive(signed);
            audit.record(action, "certificate:" + certificate.serialHex(), Outcome.ALLOWED, origin.name().toLowerCase() + " " + keySpec + " mailbox:" + mailbox
                    + " archive " + signed.id() + " sealed to " + recoveryKey.id());
            keyUses.forEach(CompletableFuture::join);
            return signed;
        } catch (RuntimeException e) {
            if (origin == ArchivedKey.Origin.SERVER) {
                // A certificate whose key escrow does not hold would be an encryption key nobody can recover: take it back.
                try {
                    ca.revoke(certificate.serial(), RevocationReason.CESSATION_OF_OPERATION, false, ESCROW);
                } catch (RuntimeException revocationFailure) {
                    e.addSuppressed(revocationFailure);
                    LOG.log(Level.SEVERE, "certificate " + certificate.serialHex() + " was issued but its key was not archived, and revoking it failed: "
                            + "revoke it by hand", revocationFailure);
                }
            }
            throw e instanceof LetterlockException le && le.type() == ErrorType.CONFLICT ? refuse(action, "certificate:" + certificate.serialHex(), le.type(), le.getMessage()) : e;
        }
    }

    private static ArchivedKey withSignature(ArchivedKey a, byte[] signature) {
        return new ArchivedKey(a.id(), a.mailbox(), a.certificateSerial(), a.recoveryKeyId(), a.origin(), a.keySpec(), a.publicKeySha256(), a.sealed(), a.createdAt(),
                a.createdBy(), signature);
    }

    /** Signing keys keep their non-repudiation only if nobody else ever holds them. */
    private void refuseSigningKeys(IssuedCertificate certificate, String target) {
        KeyUsage usage = KeyUsage.fromExtensions(certificate.holder().getExtensions());
        boolean signs = usage == null || usage.hasUsages(KeyUsage.digitalSignature) || usage.hasUsages(KeyUsage.nonRepudiation);
        boolean encrypts = usage != null && (usage.hasUsages(KeyUsage.keyEncipherment) || usage.hasUsages(KeyUsage.keyAgreement));
        if (!certificate.profile().equals(Profiles.MAILBOX_ENCRYPTION.name()) || signs || !encrypts) {
            throw refuse("escrow.archive", target, ErrorType.FORBIDDEN, "signing keys are never escrowed: certificate " + certificate.serialHex() + " ("
                    + certificate.profile() + ") " + (signs ? "can sign" : "is not a key-management certificate") + "; only mailbox-encryption keys are archived");
        }
    }

    Pkcs12Files.Entry entry(PrivateKeyInfo key, IssuedCertificate certificate) {
        return new Pkcs12Files.Entry(key, certificate.holder(), ca.chain(certificate.issuerId()), friendlyName(certificate));
    }

    static String friendlyName(IssuedCertificate certificate) {
        return certificate.mailbox().orElse("escrow") + " encryption key " + DAY.format(certificate.notBefore()) + " (" + certificate.serialHex().substring(0,
                Math.min(8, certificate.serialHex().length())) + ")";
    }

    /** Pairwise consistency: the private key signs a random challenge that the certificate's public key verifies. */
    static boolean matches(PrivateKeyInfo privateKeyInfo, SubjectPublicKeyInfo publicKeyInfo) {
        try {
            String algorithm = publicKeyInfo.getAlgorithm().getAlgorithm().equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : "EC";
            if (!privateKeyInfo.getPrivateKeyAlgorithm().getAlgorithm().equals(publicKeyInfo.getAlgorithm().getAlgorithm()) || !sane(privateKeyInfo, publicKeyInfo)) {
                return false;
            }
            KeyFactory factory = KeyFactory.getInstance(algorithm);
            PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(privateKeyInfo.getEncoded()));
            PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicKeyInfo.getEncoded()));
            String signatureAlgorithm = algorithm.equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(signatureAlgorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(signatureAlgorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Cheap structural checks before any private-key operation, so a submitted key with oversized CRT parameters or
     * scalar cannot make the signature check run for minutes: an RSA key's modulus and exponent must be the
     * certificate's and p * q = n; an EC scalar no longer than the largest curve's order.
     */
    private static boolean sane(PrivateKeyInfo privateKeyInfo, SubjectPublicKeyInfo publicKeyInfo) throws IOException {
        if (publicKeyInfo.getAlgorithm().getAlgorithm().equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption)) {
            org.bouncycastle.asn1.pkcs.RSAPrivateKey key = org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(privateKeyInfo.parsePrivateKey());
            org.bouncycastle.asn1.pkcs.RSAPublicKey certified = org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(publicKeyInfo.parsePublicKey());
            BigInteger n = certified.getModulus();
            int half = (n.bitLength() + 1) / 2 + 1;
            return key.getModulus().equals(n) && key.getPublicExponent().equals(certified.getPublicExponent()) && key.getPrime1().bitLength() <= half
                    && key.getPrime2().bitLength() <= half && key.getPrime1().multiply(key.getPrime2()).equals(n)
                    && key.getPrivateExponent().bitLength() <= n.bitLength() && key.getExponent1().bitLength() <= half
                    && key.getExponent2().bitLength() <= half && key.getCoefficient().bitLength() <= half;
        }
        org.bouncycastle.asn1.sec.ECPrivateKey key = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(privateKeyInfo.parsePrivateKey());
        return key.getKey().bitLength() <= 521;
    }

    private static String keySpecName(SubjectPublicKeyInfo publicKey) {
        try {
            PublicKey key = KeyFactory.getInstance(publicKey.getAlgorithm().getAlgorithm().equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption)
                    ? "RSA" : "EC").generatePublic(new X509EncodedKeySpec(publicKey.getEncoded()));
            if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
                return "rsa-" + rsa.getModulus().bitLength();
            }
            if (key instanceof java.security.interfaces.ECPublicKey ec) {
                return "ec-p" + ec.getParams().getCurve().getField().getFieldSize();
            }
        } catch (GeneralSecurityException | IOException e) {
            // named below
        }
        return publicKey.getAlgorithm().getAlgorithm().getId();
    }

    private String normalise(String mailbox, String action) {
        try {
            return MailAddress.normalise(mailbox);
        } catch (LetterlockException e) {
            throw refuse(action, "mailbox:" + mailbox, ErrorType.BAD_REQUEST, e.getMessage());
        }
    }

    private LetterlockException refuse(String action, String target, ErrorType type, String message) {
        return audit.refusal(action, target, type, message);
    }

    void close() {
        keyPairs.close();
    }
}
