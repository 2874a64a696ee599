package org.letterlock.enroll.cmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertConfirmContent;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertStatus;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.cmp.PollReqContent;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.Tools;
import org.letterlock.escrow.KeyRecovery;
import org.letterlock.escrow.Pkcs12Format;
import org.letterlock.escrow.RecoveryRequest;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.store.Jdbc;

/**
 * CMP through Bouncy Castle's CMP/CRMF client classes ({@link CmpClient}) against the running server: enrollment with
 * a centrally generated encryption key under the secret and under the signing certificate, confirmation and its
 * rejection, replays, genm, every bad input the table names, and random and mutated messages.
 */
class CmpJavaClientTest {
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final Requester AUDITOR = new Requester("test-auditor", Set.of(Role.AUDITOR));

    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static CmpClient client;
    static X509CertificateHolder root;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        List<X509CertificateHolder> chain = fixture.services.mailboxes().caCertificates();
        root = chain.get(chain.size() - 1);
        client = new CmpClient(URI.create(fixture.url() + "/cmp"), fixture.clientTls(), root);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void irUnderTheSecretBringsASigningCertificateAndAnEscrowedEncryptionKeyInOnePair() throws Exception {
        String mailbox = EnrollFixture.newMailbox("java");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());

        CmpClient.Enrollment enrolled = client.enroll(PKIBody.TYPE_INIT_REQ, secret, mailbox, ecKey(), true, false, null);

        IssuedCertificate signing = fixture.ca.find(enrolled.signing().getSerialNumber()).orElseThrow();
        IssuedCertificate encryption = fixture.ca.find(enrolled.encryption().orElseThrow().getSerialNumber()).orElseThrow();
        assertThat(signing.profile()).isEqualTo("mailbox-signing");
        assertThat(encryption.profile()).isEqualTo("mailbox-encryption");
        assertThat(encryption.pairId()).isPresent().isEqualTo(signing.pairId());
        assertThat(belongTogether(enrolled.encryptionKey().orElseThrow(), enrolled.encryption().get())).isTrue();
        assertThat(enrolled.caPubs()).containsExactly(root);
        assertThat(fixture.escrow.keys().archives(mailbox, AUDITOR)).anyMatch(a -> a.certificateSerial().equals(encryption.serial()));
        assertThat(state(enrolled.transactionId())).isEqualTo("done");
    }

    /** The benchmark's client is wired right: its MAC (the server's own calculator, so this checks wiring, not interop) is taken and the answer's checked. */
    @Test
    void theLoadGeneratorsClientEnrollsUnderTheSecret() throws Exception {
        String mailbox = EnrollFixture.newMailbox("load");
        CmpClient forLoad = CmpClient.forLoad(URI.create(fixture.url() + "/cmp"), fixture.clientTls(), root);

        CmpClient.Enrollment enrolled = forLoad.enroll(PKIBody.TYPE_INIT_REQ, new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray()), mailbox,
                ecKey(), false, true, null);

        assertThat(fixture.ca.find(enrolled.signing().getSerialNumber()).orElseThrow().mailbox()).hasValue(mailbox);
        assertThat(enrolled.implicitlyConfirmed()).isTrue();
    }

    /** The promise for the encryption key: made and archived by escrow, so a copy recovered under two approvals opens what was encrypted to it. */
    @Test
    void theCentrallyGeneratedKeyOpensMailAndSoDoesItsRecoveredCopy() throws Exception {
        Requester officer = new Requester("rita", Set.of(Role.RA_OFFICER));
        List<Requester> agents = List.of(new Requester("ann", Set.of(Role.RECOVERY_AGENT)), new Requester("ben", Set.of(Role.RECOVERY_AGENT)),
                new Requester("cid", Set.of(Role.RECOVERY_AGENT)));
        for (Requester agent : agents) {
            fixture.platform.admins().create(agent.name(), agent.roles(), Optional.empty());
        }
        String mailbox = EnrollFixture.newMailbox("escrowed");
        CmpClient.Enrollment enrolled = client.enroll(PKIBody.TYPE_INIT_REQ, new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray()), mailbox,
                ecKey(), true, true, null);
        Tools tools = new Tools(work);
        Path certificate = tools.pem("escrowed-encryption", enrolled.encryption().orElseThrow());
        Path message = tools.write("message.txt", "Subject: payroll\n\nthe figures are attached\n".getBytes());
        Tools.Run encrypted = tools.openssl("cms", "-encrypt", "-aes256", "-in", message.toString(), "-out", "message.p7m", certificate.toString());
        assertThat(encrypted.exit()).as(encrypted.output()).isZero();

        Path deliveredKey = tools.write("delivered.key", Certificates.pem("PRIVATE KEY", enrolled.encryptionKey().orElseThrow().getEncoded()).getBytes());
        assertThat(tools.openssl("cms", "-decrypt", "-in", "message.p7m", "-recip", certificate.toString(), "-inkey", deliveredKey.toString()).output())
                .contains("the figures are attached");

        RecoveryRequest request = fixture.escrow.recovery().request(mailbox, "the mailbox's owner left", officer);
        fixture.escrow.recovery().approve(request.id(), Optional.empty(), agents.get(0));
        fixture.escrow.recovery().approve(request.id(), Optional.empty(), agents.get(1));
        KeyRecovery.RecoveredKeys recovered = fixture.escrow.recovery().download(request.id(), Pkcs12Format.MODERN, Optional.empty(), officer);
        Path p12 = tools.write("recovered.p12", recovered.pkcs12());
        Tools.Run opened = tools.openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(recovered.passphrase()), "-nocerts", "-nodes",
                "-out", "recovered.key");
        assertThat(opened.exit()).as(opened.output()).isZero();

        assertThat(tools.openssl("cms", "-decrypt", "-in", "message.p7m", "-recip", certificate.toString(), "-inkey", "recovered.key").output())
                .contains("the figures are attached");
    }

    @Test
    void kurSignedWithTheSigningCertificateRenewsThePairAndEnvelopesTheNewKeyToIt() throws Exception {
        String mailbox = EnrollFixture.newMailbox("renews");
        KeyPair first = ecKey();
        CmpClient.Enrollment enrolled = client.enroll(PKIBody.TYPE_INIT_REQ, new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray()), mailbox,
                first, false, true, null);
        assertThat(enrolled.implicitlyConfirmed()).isTrue();

        CmpClient.Enrollment renewed = client.enroll(PKIBody.TYPE_KEY_UPDATE_REQ, new CmpClient.Signer(enrolled.signing(), first.getPrivate()), mailbox, ecKey(),
                true, true, first.getPrivate());

        IssuedCertificate signing = fixture.ca.find(renewed.signing().getSerialNumber()).orElseThrow();
        assertThat(signing.mailbox()).contains(mailbox);
        assertThat(signing.pairId()).isNotEqualTo(fixture.ca.find(enrolled.signing().getSerialNumber()).orElseThrow().pairId());
        assertThat(fixture.ca.find(renewed.encryption().orElseThrow().getSerialNumber()).orElseThrow().pairId()).isEqualTo(signing.pairId());
        assertThat(belongTogether(renewed.encryptionKey().orElseThrow(), renewed.encryption().get())).isTrue();
    }

    /** RFC 9481 6.1.2: PBMAC1 in place of PasswordBasedMac, for the ir, the answer (with its central key under the secret) and the certConf. */
    @Test
    void irUnderPbmac1IsAnsweredUnderPbmac1AndConfirmed() throws Exception {
        String mailbox = EnrollFixture.newMailbox("pbmac1");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray(), true);

        CmpClient.Enrollment enrolled = client.enroll(PKIBody.TYPE_INIT_REQ, secret, mailbox, ecKey(), true, false, null);

        assertThat(fixture.ca.find(enrolled.signing().getSerialNumber()).orElseThrow().mailbox()).contains(mailbox);
        assertThat(belongTogether(enrolled.encryptionKey().orElseThrow(), enrolled.encryption().orElseThrow())).isTrue();
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).as("the PBMAC1-protected certConf confirmed both")
                .anyMatch(r -> r.event().action().equals("enroll.cmp.confirm") && r.event().target().equals("mailbox:" + mailbox));
    }

    @Test
    void aCertificateTheClientRejectsInCertConfIsRevoked() throws Exception {
        String mailbox = EnrollFixture.newMailbox("rejects");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        byte[] transaction = CmpClient.randomBytes(16);
        PKIMessage ip = client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(client.signingRequest(0, mailbox, ecKey()))), false));
        X509CertificateHolder issued = new X509CertificateHolder(CertRepMessage.getInstance(ip.getBody().getContent()).getResponse()[0]
                .getCertifiedKeyPair().getCertOrEncCert().getCertificate().getX509v3PKCert());

        PKIMessage answer = client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_CERT_CONFIRM, confirmation(
                new CertStatus(sha256(issued.getEncoded()), BigInteger.ZERO, new PKIStatusInfo(PKIStatus.rejection), new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256)))),
                false, ip.getHeader().getSenderNonce().getOctets()));

        assertThat(answer.getBody().getType()).isEqualTo(PKIBody.TYPE_CONFIRM);
        assertThat(fixture.ca.find(issued.getSerialNumber()).orElseThrow().revoked()).isTrue();
        assertThatThrownBy(() -> client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_CERT_CONFIRM, confirmation(
                new CertStatus(sha256(issued.getEncoded()), BigInteger.ZERO))), false, ip.getHeader().getSenderNonce().getOctets())))
                .isInstanceOfSatisfying(CmpClient.CmpError.class, e -> assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.certConfirmed));
    }

    @Test
    void aReplayedOrReusedTransactionIdIsRefusedAndSpendsNothing() throws Exception {
        String mailbox = EnrollFixture.newMailbox("replays");
        KeyPair key = ecKey();
        CmpClient.Enrollment enrolled = client.enroll(PKIBody.TYPE_INIT_REQ, new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray()), mailbox,
                key, false, true, null);
        PKIMessage kur = client.protect(new CmpClient.Signer(enrolled.signing(), key.getPrivate()), CmpClient.randomBytes(16),
                new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(client.signingRequest(0, mailbox, ecKey()))), true);
        client.send(kur);

        assertThatThrownBy(() -> client.send(kur)).isInstanceOfSatisfying(CmpClient.CmpError.class,
                e -> assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.transactionIdInUse));

        CmpClient.Secret second = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        assertThatThrownBy(() -> client.send(client.protect(second, enrolled.transactionId(), new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(client.signingRequest(0, mailbox, ecKey()))), true)))
                .isInstanceOfSatisfying(CmpClient.CmpError.class, e -> assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.transactionIdInUse));
        assertThat(client.enroll(PKIBody.TYPE_INIT_REQ, second, mailbox, ecKey(), false, true, null).signing()).isNotNull();
    }

    @Test
    void genmListsTheCaCertificatesAndKeyTypes() throws Exception {
        InfoTypeAndValue[] answer = client.generalMessage(CMPObjectIdentifiers.id_it_caCerts, CMPObjectIdentifiers.it_encKeyPairTypes);

        assertThat(answer).extracting(InfoTypeAndValue::getInfoType).containsExactly(CMPObjectIdentifiers.id_it_caCerts, CMPObjectIdentifiers.it_encKeyPairTypes);
        ASN1Sequence certificates = ASN1Sequence.getInstance(answer[0].getInfoValue());
        assertThat(certificates.size()).isEqualTo(fixture.services.mailboxes().caCertificates().size());
        assertThat(new X509CertificateHolder(certificates.getObjectAt(certificates.size() - 1).toASN1Primitive().getEncoded())).isEqualTo(root);
    }

    // ---- bad input: every case is a CMP error with its failure bit, audited, and nothing issued

    /** Builds a bad request for a mailbox with a fresh open secret. */
    interface BadRequest {
        byte[] build(String mailbox, CmpClient.Secret secret) throws Exception;
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad("rejects/not-der", PKIFailureInfo.badDataFormat, (m, s) -> "not a PKIMessage".getBytes()),
                bad("rejects/truncated-message", PKIFailureInfo.badDataFormat, (m, s) -> Arrays.copyOf(ir(m, s, client.signingRequest(0, m, ecKey())), 100)),
                bad("rejects/unprotected-ir", PKIFailureInfo.badMessageCheck, (m, s) -> new PKIMessage(header(m, PKIHeader.CMP_2000, Instant.now()),
                        new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(client.signingRequest(0, m, ecKey())))).getEncoded()),
                bad("rejects/wrong-secret", PKIFailureInfo.badMessageCheck, (m, s) -> ir(m, new CmpClient.Secret(m, "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray()),
                        client.signingRequest(0, m, ecKey()))),
                bad("rejects/secret-of-another-mailbox", PKIFailureInfo.badMessageCheck, (m, s) -> ir(m, new CmpClient.Secret(EnrollFixture.newMailbox("x"),
                        s.secret()), client.signingRequest(0, m, ecKey()))),
                bad("rejects/csr-for-another-mailbox", PKIFailureInfo.badCertTemplate, (m, s) -> ir(m, s, client.signingRequest(0, "ceo@example.org", ecKey()))),
                bad("rejects/wrong-key-type", PKIFailureInfo.badCertTemplate, (m, s) -> ir(m, s, client.signingRequest(0, m, rsaKey(1024)))),
                // Curves the CA does not certify: refused for the curve (badCertTemplate), not for the proof of possession, also when
                // the JDK's key factory, which reads keys for the SoftHSM2 verifier, does not know the curve (FRP256v1).
                bad("rejects/curve-secp256k1", PKIFailureInfo.badCertTemplate, (m, s) -> ir(m, s, client.signingRequest(0, m, ecKey("secp256k1")))),
                bad("rejects/curve-FRP256v1", PKIFailureInfo.badCertTemplate, (m, s) -> ir(m, s, client.signingRequest(0, m, ecKey("FRP256v1")))),
                bad("rejects/pop-by-another-key", PKIFailureInfo.badPOP, (m, s) -> ir(m, s, popByAnotherKey(m))),
                bad("rejects/central-key-of-unoffered-type", PKIFailureInfo.badAlg, (m, s) -> ir(m, s, client.signingRequest(0, m, ecKey()),
                        client.centralKeyRequest(1, m, Optional.of(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519))))),
                bad("rejects/three-requests", PKIFailureInfo.badRequest, (m, s) -> ir(m, s, client.signingRequest(0, m, ecKey()),
                        client.signingRequest(1, m, ecKey()), client.centralKeyRequest(2, m, Optional.empty()))),
                bad("rejects/two-signing-keys", PKIFailureInfo.badRequest, (m, s) -> ir(m, s, client.signingRequest(0, m, ecKey()),
                        client.signingRequest(1, m, ecKey()))),
                bad("rejects/stale-message-time", PKIFailureInfo.badTime, (m, s) -> macProtected(m, s, PKIHeader.CMP_2000, Instant.now().minus(Duration.ofHours(1)),
                        new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(client.signingRequest(0, m, ecKey()))))),
                bad("rejects/pvno-1", PKIFailureInfo.unsupportedVersion, (m, s) -> macProtected(m, s, 1, Instant.now(),
                        new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(client.signingRequest(0, m, ecKey()))))),
                bad("rejects/short-transaction-id", PKIFailureInfo.badRequest, (m, s) -> client.protect(s, new byte[4], new PKIBody(PKIBody.TYPE_INIT_REQ,
                        new CertReqMessages(client.signingRequest(0, m, ecKey()))), false).getEncoded()),
                bad("rejects/kur-under-a-secret", PKIFailureInfo.notAuthorized, (m, s) -> client.protect(s, CmpClient.randomBytes(16),
                        new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(client.signingRequest(0, m, ecKey()))), false).getEncoded()),
                bad("rejects/rr-under-a-secret", PKIFailureInfo.notAuthorized, (m, s) -> client.protect(s, CmpClient.randomBytes(16),
                        client.revocationBody(root, 1), false).getEncoded()),
                bad("rejects/poll-with-nothing-waiting", PKIFailureInfo.badRequest, (m, s) -> client.protect(s, CmpClient.randomBytes(16),
                        new PKIBody(PKIBody.TYPE_POLL_REQ, new PollReqContent(BigInteger.ZERO)), false).getEncoded()),
                bad("rejects/certconf-without-enrollment", PKIFailureInfo.badRequest, (m, s) -> client.protect(s, CmpClient.randomBytes(16),
                        new PKIBody(PKIBody.TYPE_CERT_CONFIRM, confirmation(new CertStatus(new byte[32], BigInteger.ZERO))), false).getEncoded()),
                bad("rejects/unoffered-body-type", PKIFailureInfo.badRequest, (m, s) -> client.protect(s, CmpClient.randomBytes(16),
                        new PKIBody(PKIBody.TYPE_CROSS_CERT_REQ, new CertReqMessages(client.signingRequest(0, m, ecKey()))), false).getEncoded()),
                bad("rejects/pbm-iterations-too-many", PKIFailureInfo.badAlg, (m, s) -> macWithIterations(m, s, 1_000_000)),
                bad("rejects/pbmac1-iterations-too-few", PKIFailureInfo.badAlg, (m, s) -> pbmac1Over(m, s, org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256, 10)),
                bad("rejects/pbmac1-with-hmac-sha1", PKIFailureInfo.badAlg, (m, s) -> pbmac1Over(m, s, org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA1, 10_000)),
                bad("rejects/pbmac1-keylength-too-long", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, new org.bouncycastle.asn1.pkcs.PBKDF2Params(
                        CmpClient.randomBytes(16), 100_000, 1 << 30, org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder.PRF_SHA256))),
                bad("rejects/pbmac1-keylength-above-one-sha512-block", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, new org.bouncycastle.asn1.pkcs.PBKDF2Params(
                        CmpClient.randomBytes(16), 10_000, 65, org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder.PRF_SHA256))),
                bad("rejects/pbmac1-keylength-too-short", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, new org.bouncycastle.asn1.pkcs.PBKDF2Params(
                        CmpClient.randomBytes(16), 10_000, 8, org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder.PRF_SHA256))),
                bad("rejects/pbmac1-iteration-count-past-an-int", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, org.bouncycastle.asn1.pkcs.PBKDF2Params.getInstance(
                        new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {new org.bouncycastle.asn1.DEROctetString(CmpClient.randomBytes(16)),
                                new org.bouncycastle.asn1.ASN1Integer(1L << 40), new org.bouncycastle.asn1.ASN1Integer(32),
                                org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder.PRF_SHA256})))),
                bad("rejects/pbmac1-with-default-sha1-prf", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, new org.bouncycastle.asn1.pkcs.PBKDF2Params(
                        CmpClient.randomBytes(16), 10_000, 32))),
                bad("rejects/pbmac1-with-sha1-prf", PKIFailureInfo.badAlg, (m, s) -> pbmac1Unchecked(m, new org.bouncycastle.asn1.pkcs.PBKDF2Params(
                        CmpClient.randomBytes(16), 10_000, 32, new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA1,
                        org.bouncycastle.asn1.DERNull.INSTANCE)))),
                bad("rejects/pbm-without-parameters", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m, new AlgorithmIdentifier(CMPObjectIdentifiers.passwordBasedMac))),
                bad("rejects/pbmac1-without-parameters", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m,
                        new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1))),
                bad("rejects/pbkdf2-without-parameters", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m, new AlgorithmIdentifier(
                        org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1, new org.bouncycastle.asn1.pkcs.PBMAC1Params(
                        new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBKDF2),
                        new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256, org.bouncycastle.asn1.DERNull.INSTANCE))))),
                bad("rejects/pbm-with-md5", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m, pbm(CmpClient.randomBytes(16),
                        org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.md5, org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256))),
                bad("rejects/pbm-with-hmac-md5", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m, pbm(CmpClient.randomBytes(16),
                        NISTObjectIdentifiers.id_sha256, org.bouncycastle.asn1.iana.IANAObjectIdentifiers.hmacMD5))),
                bad("rejects/pbm-with-a-4-byte-salt", PKIFailureInfo.badAlg, (m, s) -> macUnchecked(m, pbm(CmpClient.randomBytes(4),
                        NISTObjectIdentifiers.id_sha256, org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256))),
                bad("rejects/other-certificate-first-in-extra-certs", PKIFailureInfo.badMessageCheck, (m, s) -> signedWithOtherCertificateFirst(m)),
                bad("rejects/pbmac1-under-a-wrong-secret", PKIFailureInfo.badMessageCheck, (m, s) -> pbmac1Over(m, new CmpClient.Secret(m, "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray()),
                        org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256, 10_000)),
                bad("rejects/signer-unknown-here", PKIFailureInfo.signerNotTrusted, (m, s) -> kur(selfSigned(m, ecKey()), m, Optional.empty())),
                bad("rejects/tampered-signature", PKIFailureInfo.badMessageCheck, (m, s) -> tampered(kur(enrolledSigner(m, s, ecKey()), m, Optional.empty()))),
                bad("rejects/rr-of-another-mailboxs-certificate", PKIFailureInfo.notAuthorized, (m, s) -> client.protect(enrolledSigner(m, s, ecKey()),
                        CmpClient.randomBytes(16), client.revocationBody(othersCertificate(), 1), false).getEncoded()),
                bad("rejects/rr-giving-privilege-withdrawn", PKIFailureInfo.badRequest, (m, s) -> {
                    CmpClient.Signer signer = enrolledSigner(m, s, ecKey());
                    return client.protect(signer, CmpClient.randomBytes(16), client.revocationBody(signer.certificate(), 9), false).getEncoded();
                }),
                bad("rejects/rr-giving-ca-compromise", PKIFailureInfo.badRequest, (m, s) -> {
                    CmpClient.Signer signer = enrolledSigner(m, s, ecKey());
                    return client.protect(signer, CmpClient.randomBytes(16), client.revocationBody(signer.certificate(), 2), false).getEncoded();
                }),
                bad("rejects/kur-naming-another-certificate", PKIFailureInfo.badCertId, (m, s) -> kur(enrolledSigner(m, s, ecKey()), m,
                        Optional.of(othersCertificate()))),
                bad("rejects/central-key-to-a-key-that-cannot-decrypt", PKIFailureInfo.badAlg, (m, s) -> {
                    CmpClient.Signer signer = enrolledSigner(m, s, ed25519Key());
                    return client.protect(signer, CmpClient.randomBytes(16), new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(
                            client.centralKeyRequest(0, m, Optional.empty()))), false).getEncoded();
                })
        );
    }

    private static Arguments bad(String name, int failInfo, BadRequest request) {
        return Arguments.of(Named.of(name, request), failInfo);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputIsACmpErrorAuditedWithNothingIssued(BadRequest request, int failInfo) throws Exception {
        String mailbox = EnrollFixture.newMailbox("bad");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        byte[] body = request.build(mailbox, secret);
        long auditedBefore = lastAudit();
        int certificatesBefore = fixture.ca.search(mailbox, null, null, 100, AUDITOR).size();

        HttpResponse<byte[]> response = client.post(body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains(CmpClient.MEDIA_TYPE);
        PKIMessage answer = PKIMessage.getInstance(response.body());
        assertThat(answer.getBody().getType()).isEqualTo(PKIBody.TYPE_ERROR);
        PKIStatusInfo status = ErrorMsgContent.getInstance(answer.getBody().getContent()).getPKIStatusInfo();
        assertThat(status.getStatus().intValue()).isEqualTo(PKIStatus.REJECTION);
        assertThat(status.getFailInfo().intValue()).as(status.getStatusString().getStringAtUTF8(0).getString()).isEqualTo(failInfo);
        assertThat(status.getStatusString().getStringAtUTF8(0).getString()).isNotBlank().doesNotContain("Exception");
        assertThat(answer.getProtection()).as("errors are protected: signed, or MACed under the sender's secret").isNotNull();
        assertThat(fixture.platform.auditLog().read(auditedBefore, 1000)).anyMatch(r -> r.event().action().equals("enroll.cmp")
                && r.event().detail().contains(status.getStatusString().getStringAtUTF8(0).getString()));
        assertThat(fixture.ca.search(mailbox, null, null, 100, AUDITOR)).hasSize(certificatesBefore).noneMatch(IssuedCertificate::revoked);
        assertThat(fixture.ca.search("ceo@example.org", null, null, 10, AUDITOR)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rejects/get                 | GET  | /cmp          | application/pkixcmp | 405",
            "rejects/wrong-media-type    | POST | /cmp          | application/der     | 415",
            "rejects/deep-path           | POST | /cmp/a/b      | application/pkixcmp | 404",
            "accepts/label               | POST | /cmp/mail     | application/pkixcmp | 200",
    })
    void httpLevelProblemsGetAnHttpStatus(String name, String method, String path, String type, int status) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(fixture.clientTls()).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.url() + path)).header("Content-Type", type);
        request = method.equals("GET") ? request.GET() : request.POST(HttpRequest.BodyPublishers.ofByteArray("x".getBytes()));

        assertThat(http.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(status);
    }

    @Test
    void anOversizedMessageIsRefusedBeforeItIsRead() throws Exception {
        assertThat(client.post(new byte[CmpEndpoint.MAX_MESSAGE_BYTES + 1]).statusCode()).isEqualTo(413);
    }

    /** Random bytes, and valid messages with bytes flipped, cut or repeated: always a CMP answer, never a 500 or a dropped connection. */
    @Test
    void randomAndMutatedMessagesNeverBreakTheServer() throws Exception {
        Random random = new Random(20261129L);
        String mailbox = EnrollFixture.newMailbox("fuzz");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        List<byte[]> seeds = List.of(ir(mailbox, secret, client.signingRequest(0, mailbox, ecKey()), client.centralKeyRequest(1, mailbox, Optional.empty())),
                client.protect(secret, CmpClient.randomBytes(16), client.revocationBody(root, 1), false).getEncoded(),
                new PKIMessage(header(mailbox, PKIHeader.CMP_2000, Instant.now()), new PKIBody(PKIBody.TYPE_GEN_MSG,
                        new org.bouncycastle.asn1.cmp.GenMsgContent(new InfoTypeAndValue(CMPObjectIdentifiers.id_it_caCerts)))).getEncoded());
        for (int i = 0; i < 300; i++) {
            byte[] body;
            if (i % 5 == 0) {
                body = new byte[random.nextInt(2000)];
                random.nextBytes(body);
            } else {
                body = mutate(seeds.get(random.nextInt(seeds.size())), random);
            }
            HttpResponse<byte[]> response = client.post(body);

            assertThat(response.statusCode()).as("case %d: %s", i, HexFormat.of().formatHex(body, 0, Math.min(body.length, 64))).isEqualTo(200);
            assertThat(PKIMessage.getInstance(response.body()).getBody().getType()).isIn(PKIBody.TYPE_ERROR, PKIBody.TYPE_GEN_REP, PKIBody.TYPE_INIT_REP,
                    PKIBody.TYPE_REVOCATION_REP);
        }
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] body = seed.clone();
        switch (random.nextInt(3)) {
            case 0 -> {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    body[random.nextInt(body.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> body = Arrays.copyOf(body, random.nextInt(body.length));
            default -> {
                int at = random.nextInt(body.length);
                byte[] longer = Arrays.copyOf(body, body.length + 8);
                System.arraycopy(body, at, longer, at + 8, body.length - at);
                body = longer;
            }
        }
        return body;
    }

    // ---- helpers

    private static byte[] ir(String mailbox, CmpClient.Secret secret, CertReqMsg... requests) throws Exception {
        return client.protect(secret, CmpClient.randomBytes(16), new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(requests)), false).getEncoded();
    }

    /** A signing certificate of {@code mailbox}, enrolled under its secret with implicit confirmation. */
    private static CmpClient.Signer enrolledSigner(String mailbox, CmpClient.Secret secret, KeyPair key) throws Exception {
        return new CmpClient.Signer(client.enroll(PKIBody.TYPE_INIT_REQ, secret, mailbox, key, false, true, null).signing(), key.getPrivate());
    }

    private static X509CertificateHolder othersCertificate() throws Exception {
        String other = EnrollFixture.newMailbox("other");
        return enrolledSigner(other, new CmpClient.Secret(other, fixture.officerSecret(other).toCharArray()), ecKey()).certificate();
    }

    /** A kur for a new key, with an oldCertID control naming {@code old} when given (inside the proof of possession, as RFC 4211 signs it). */
    private static byte[] kur(CmpClient.Signer signer, String mailbox, Optional<X509CertificateHolder> old) throws Exception {
        KeyPair key = ecKey();
        org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder request = new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(BigInteger.ZERO)
                .setSubject(new X500Name("CN=" + mailbox)).setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()));
        if (old.isPresent()) {
            request.addControl(new org.bouncycastle.cert.crmf.OldCertIDControl(new org.bouncycastle.asn1.crmf.CertId(new GeneralName(old.get().getIssuer()),
                    old.get().getSerialNumber())));
        }
        request.setProofOfPossessionSigningKeySigner(CmpClient.signer(key.getPrivate()));
        return client.protect(signer, CmpClient.randomBytes(16), new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(request.build().toASN1Structure())),
                false).getEncoded();
    }

    private static CmpClient.Signer selfSigned(String mailbox, KeyPair key) throws Exception {
        X509CertificateHolder certificate = new org.bouncycastle.cert.X509v3CertificateBuilder(new X500Name("CN=" + mailbox), BigInteger.valueOf(7),
                java.util.Date.from(Instant.now().minus(Duration.ofDays(1))), java.util.Date.from(Instant.now().plus(Duration.ofDays(1))), new X500Name("CN=" + mailbox),
                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded())).build(CmpClient.signer(key.getPrivate()));
        return new CmpClient.Signer(certificate, key.getPrivate());
    }

    /** The message with one bit of its protection flipped. */
    private static byte[] tampered(byte[] encoded) throws Exception {
        PKIMessage message = PKIMessage.getInstance(encoded);
        byte[] protection = message.getProtection().getBytes();
        protection[protection.length / 2] ^= 1;
        return new PKIMessage(message.getHeader(), message.getBody(), new org.bouncycastle.asn1.DERBitString(protection), message.getExtraCerts()).getEncoded();
    }

    private static PKIHeader header(String mailbox, int pvno, Instant time) {
        return CmpClient.header(pvno, new GeneralName(new X500Name("CN=" + mailbox)), CmpClient.randomBytes(16), CmpClient.randomBytes(16), time);
    }

    /** A MAC-protected message with a header of our choosing (version, time), built as RFC 4210 5.1.3.1 says. */
    private static byte[] macProtected(String mailbox, CmpClient.Secret secret, int pvno, Instant time, PKIBody body) throws Exception {
        return macOver(mailbox, secret, pvno, time, body, 1000);
    }

    private static byte[] macWithIterations(String mailbox, CmpClient.Secret secret, int iterations) throws Exception {
        return macOver(mailbox, secret, PKIHeader.CMP_2000, Instant.now(), new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(client.signingRequest(0, mailbox, ecKey()))), iterations);
    }

    private static byte[] macOver(String mailbox, CmpClient.Secret secret, int pvno, Instant time, PKIBody body, int iterations) throws Exception {
        org.bouncycastle.asn1.cmp.PBMParameter parameters = new org.bouncycastle.asn1.cmp.PBMParameter(CmpClient.randomBytes(16),
                new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), iterations, new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(CMPObjectIdentifiers.passwordBasedMac, parameters);
        return macOver(mailbox, pvno, time, body, algorithm, new org.bouncycastle.cert.crmf.PKMACBuilder(new org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator()
                .setProvider(BC), 10_000_000).get(algorithm, secret.secret()));
    }

    /** An ir under PBMAC1 (RFC 9481 6.1.2) with PBKDF2-HMAC-SHA256 and the MAC {@code hmac}. */
    private static byte[] pbmac1Over(String mailbox, CmpClient.Secret secret, org.bouncycastle.asn1.ASN1ObjectIdentifier hmac, int iterations) throws Exception {
        org.bouncycastle.asn1.pkcs.PBMAC1Params parameters = new org.bouncycastle.asn1.pkcs.PBMAC1Params(new AlgorithmIdentifier(
                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBKDF2, new org.bouncycastle.asn1.pkcs.PBKDF2Params(CmpClient.randomBytes(16), iterations, 32,
                org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder.PRF_SHA256)), new AlgorithmIdentifier(hmac, org.bouncycastle.asn1.DERNull.INSTANCE));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1, parameters);
        return macOver(mailbox, PKIHeader.CMP_2000, Instant.now(), new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(client.signingRequest(0, mailbox, ecKey()))),
                algorithm, new org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorProviderBuilder().setProvider(BC).build().get(algorithm, secret.secret()));
    }

    /**
     * An ir under PBMAC1 with PBKDF2 parameters {@code kdf} and HMAC-SHA256, its MAC left zero: parameters the server
     * must refuse before it derives a key (deriving it here would cost what the refusal saves the server).
     */
    private static byte[] pbmac1Unchecked(String mailbox, org.bouncycastle.asn1.pkcs.PBKDF2Params kdf) throws Exception {
        return macUnchecked(mailbox, new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1, new org.bouncycastle.asn1.pkcs.PBMAC1Params(
                new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBKDF2, kdf),
                new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256, org.bouncycastle.asn1.DERNull.INSTANCE))));
    }

    /** PasswordBasedMac parameters with {@code salt}, {@code owf} and {@code mac}, 1,000 iterations. */
    private static AlgorithmIdentifier pbm(byte[] salt, org.bouncycastle.asn1.ASN1ObjectIdentifier owf, org.bouncycastle.asn1.ASN1ObjectIdentifier mac) {
        return new AlgorithmIdentifier(CMPObjectIdentifiers.passwordBasedMac, new org.bouncycastle.asn1.cmp.PBMParameter(salt, new AlgorithmIdentifier(owf), 1000,
                new AlgorithmIdentifier(mac)));
    }

    /** An ir protected, by its header, with {@code algorithm}, and a MAC of zeros: for parameters refused before any MAC is computed. */
    private static byte[] macUnchecked(String mailbox, AlgorithmIdentifier algorithm) throws Exception {
        PKIBody body = new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(client.signingRequest(0, mailbox, ecKey())));
        return new PKIMessage(protectedHeader(mailbox, PKIHeader.CMP_2000, Instant.now(), algorithm), body, new org.bouncycastle.asn1.DERBitString(new byte[32])).getEncoded();
    }

    /** A kur signed (so it says) by a certificate of a kind other than X.509, first in extraCerts. */
    private static byte[] signedWithOtherCertificateFirst(String mailbox) throws Exception {
        PKIBody body = new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(client.signingRequest(0, mailbox, ecKey())));
        org.bouncycastle.asn1.cmp.CMPCertificate other = new org.bouncycastle.asn1.cmp.CMPCertificate(2, new DERSequence(new org.bouncycastle.asn1.ASN1Integer(1)));
        return new PKIMessage(protectedHeader(mailbox, PKIHeader.CMP_2000, Instant.now(), new AlgorithmIdentifier(org.bouncycastle.asn1.x9.X9ObjectIdentifiers.ecdsa_with_SHA256)),
                body, new org.bouncycastle.asn1.DERBitString(new byte[64]), new org.bouncycastle.asn1.cmp.CMPCertificate[] {other}).getEncoded();
    }

    private static PKIHeader protectedHeader(String mailbox, int pvno, Instant time, AlgorithmIdentifier protection) {
        return new org.bouncycastle.asn1.cmp.PKIHeaderBuilder(pvno, new GeneralName(new X500Name("CN=" + mailbox)), new GeneralName(new X500Name("CN=Letterlock")))
                .setTransactionID(CmpClient.randomBytes(16)).setSenderNonce(CmpClient.randomBytes(16)).setSenderKID(mailbox.getBytes())
                .setMessageTime(new org.bouncycastle.asn1.ASN1GeneralizedTime(java.util.Date.from(time))).setProtectionAlg(protection).build();
    }

    private static byte[] macOver(String mailbox, int pvno, Instant time, PKIBody body, AlgorithmIdentifier algorithm, org.bouncycastle.operator.MacCalculator mac)
            throws Exception {
        PKIHeader header = protectedHeader(mailbox, pvno, time, algorithm);
        try (var out = mac.getOutputStream()) {
            out.write(new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {header, body}).getEncoded());
        }
        return new PKIMessage(header, body, new org.bouncycastle.asn1.DERBitString(mac.getMac())).getEncoded();
    }

    private static CertReqMsg popByAnotherKey(String mailbox) throws Exception {
        CertReqMsg honest = client.signingRequest(0, mailbox, ecKey());
        CertReqMsg other = client.signingRequest(0, mailbox, ecKey());
        return new CertReqMsg(honest.getCertReq(), other.getPop(), null);
    }

    private static KeyPair ecKey() throws Exception {
        return ecKey("secp256r1");
    }

    private static KeyPair ecKey(String curve) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    private static KeyPair ed25519Key() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
    }

    private static KeyPair rsaKey(int bits) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BC);
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    /** The private key signs, and the certificate's public key verifies: the two halves of one key pair. */
    private static boolean belongTogether(PrivateKeyInfo privateKeyInfo, X509CertificateHolder certificate) throws Exception {
        PrivateKey key = KeyFactory.getInstance("EC", BC).generatePrivate(new PKCS8EncodedKeySpec(privateKeyInfo.getEncoded()));
        byte[] challenge = CmpClient.randomBytes(32);
        Signature sign = Signature.getInstance("SHA256withECDSA", BC);
        sign.initSign(key);
        sign.update(challenge);
        byte[] signature = sign.sign();
        Signature verify = Signature.getInstance("SHA256withECDSA", BC);
        verify.initVerify(new JcaX509CertificateConverter().getCertificate(certificate).getPublicKey());
        verify.update(challenge);
        return verify.verify(signature);
    }

    private static String state(byte[] transactionId) {
        return new Jdbc(fixture.platform.database().dataSource()).query("SELECT state FROM cmp_transaction WHERE id = ?",
                s -> s.setString(1, HexFormat.of().formatHex(transactionId)), row -> row.getString(1)).get(0);
    }

    private static long lastAudit() {
        return new Jdbc(fixture.platform.database().dataSource()).query("SELECT COALESCE(MAX(seq), 0) FROM audit_record", s -> { }, row -> row.getLong(1)).get(0);
    }

    private static CertConfirmContent confirmation(CertStatus... statuses) {
        return CertConfirmContent.getInstance(new DERSequence(statuses));
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return java.security.MessageDigest.getInstance("SHA-256").digest(data);
    }
}
