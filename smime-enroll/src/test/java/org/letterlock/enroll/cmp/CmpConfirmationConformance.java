package org.letterlock.enroll.cmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.cmp.CertConfirmContent;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertStatus;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollFixture;

/**
 * certConf bound to the answer it confirms (RFC 4210 5.1.1: its recipNonce is the senderNonce of our ip), and
 * certificates never confirmed revoked by the sweep once the window closed (RFC 9483 4.1.1), with the transaction
 * store on each database: H2 ({@link H2CmpConfirmationTest}) and PostgreSQL ({@link PostgresCmpConfirmationTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CmpConfirmationConformance {
    EnrollFixture fixture;
    CmpClient client;

    /** The database settings of the store under test (none: the fixture's H2 file). */
    protected abstract Map<String, String> database();

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        fixture = new EnrollFixture(work, database());
        List<X509CertificateHolder> chain = fixture.services.mailboxes().caCertificates();
        client = new CmpClient(URI.create(fixture.url() + "/cmp"), fixture.clientTls(), chain.get(chain.size() - 1));
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** An ir under a fresh secret, not confirmed: its transaction id, the answer and the issued certificate. */
    private record Issued(CmpClient.Secret secret, byte[] transaction, PKIMessage answer, X509CertificateHolder certificate) {
        byte[] answerNonce() {
            return answer.getHeader().getSenderNonce().getOctets();
        }
    }

    private Issued issue(String name, boolean implicitConfirm) throws Exception {
        String mailbox = EnrollFixture.newMailbox(name);
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        byte[] transaction = CmpClient.randomBytes(16);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        PKIMessage answer = client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(client.signingRequest(0, mailbox, generator.generateKeyPair()))), implicitConfirm));
        X509CertificateHolder certificate = new X509CertificateHolder(CertRepMessage.getInstance(answer.getBody().getContent()).getResponse()[0]
                .getCertifiedKeyPair().getCertOrEncCert().getCertificate().getX509v3PKCert());
        return new Issued(secret, transaction, answer, certificate);
    }

    private PKIMessage confirm(Issued issued, byte[] recipNonce) throws Exception {
        CertStatus accepted = new CertStatus(MessageDigest.getInstance("SHA-256").digest(issued.certificate().getEncoded()), BigInteger.ZERO);
        return client.send(client.protect(issued.secret(), issued.transaction(), new PKIBody(PKIBody.TYPE_CERT_CONFIRM,
                CertConfirmContent.getInstance(new DERSequence(accepted))), false, recipNonce));
    }

    private IssuedCertificate stored(X509CertificateHolder certificate) {
        return fixture.ca.find(certificate.getSerialNumber()).orElseThrow();
    }

    @ParameterizedTest(name = "rejects/certconf-with-{0}-recipnonce")
    @ValueSource(strings = {"no", "random", "request-senderNonce-as"})
    void aCertConfMustRepeatTheSenderNonceOfTheCertificateAnswer(String recipNonce) throws Exception {
        Issued issued = issue("nonce", false);
        byte[] wrong = switch (recipNonce) {
            case "no" -> null;
            case "random" -> CmpClient.randomBytes(16);
            default -> issued.answer().getHeader().getRecipNonce().getOctets();
        };

        assertThatThrownBy(() -> confirm(issued, wrong)).isInstanceOfSatisfying(CmpClient.CmpError.class, e -> {
            assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.badRecipientNonce);
            assertThat(e.getMessage()).contains("senderNonce of the certificate answer");
        });
        assertThat(stored(issued.certificate()).revoked()).as("a bad certConf changes nothing").isFalse();
        assertThat(confirm(issued, issued.answerNonce()).getBody().getType()).as("the right recipNonce still confirms").isEqualTo(PKIBody.TYPE_CONFIRM);
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.cmp")
                && r.event().detail().startsWith("badRecipientNonce: "));
    }

    @Test
    void aClientThatEndsTheTransactionInsteadOfConfirmingHasItsCertificatesRevoked() throws Exception {
        Issued issued = issue("aborts", false);
        PKIMessage answer = client.send(client.protect(issued.secret(), issued.transaction(), new PKIBody(PKIBody.TYPE_ERROR,
                new org.bouncycastle.asn1.cmp.ErrorMsgContent(new org.bouncycastle.asn1.cmp.PKIStatusInfo(org.bouncycastle.asn1.cmp.PKIStatus.rejection,
                        new org.bouncycastle.asn1.cmp.PKIFreeText("the user cancelled")))), false, issued.answerNonce()));
        assertThat(answer.getBody().getType()).isEqualTo(PKIBody.TYPE_CONFIRM);
        assertThat(stored(issued.certificate()).revoked()).as("not accepted, so not left valid").isTrue();
        assertThat(stored(issued.certificate()).revocation().orElseThrow().reason()).isEqualTo(RevocationReason.CESSATION_OF_OPERATION);
    }

    @Test
    void aCertConfMustGiveOneStatusPerCertificate() throws Exception {
        String mailbox = EnrollFixture.newMailbox("twice");
        CmpClient.Secret secret = new CmpClient.Secret(mailbox, fixture.officerSecret(mailbox).toCharArray());
        byte[] transaction = CmpClient.randomBytes(16);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        PKIMessage answer = client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(
                new org.bouncycastle.asn1.crmf.CertReqMsg[] {client.signingRequest(0, mailbox, generator.generateKeyPair()),
                        client.centralKeyRequest(1, mailbox, java.util.Optional.empty())})), false));
        X509CertificateHolder signing = new X509CertificateHolder(CertRepMessage.getInstance(answer.getBody().getContent()).getResponse()[0]
                .getCertifiedKeyPair().getCertOrEncCert().getCertificate().getX509v3PKCert());
        CertStatus accepted = new CertStatus(MessageDigest.getInstance("SHA-256").digest(signing.getEncoded()), BigInteger.ZERO);

        assertThatThrownBy(() -> client.send(client.protect(secret, transaction, new PKIBody(PKIBody.TYPE_CERT_CONFIRM,
                CertConfirmContent.getInstance(new DERSequence(new CertStatus[] {accepted, accepted}))), false, answer.getHeader().getSenderNonce().getOctets())))
                .isInstanceOfSatisfying(CmpClient.CmpError.class, e -> {
                    assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.badRequest);
                    assertThat(e.getMessage()).contains("confirmed twice");
                });
    }

    @Test
    void aTransactionChecksTheMacOfOnlyAFewFailedCertConfs() throws Exception {
        Issued issued = issue("bounded", false);
        Issued wrong = new Issued(new CmpClient.Secret(issued.secret().mailbox(), "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray()), issued.transaction(),
                issued.answer(), issued.certificate());
        for (int i = 0; i < CmpResponder.MAX_FAILED_CONFIRMATIONS; i++) {
            assertThatThrownBy(() -> confirm(wrong, issued.answerNonce())).isInstanceOfSatisfying(CmpClient.CmpError.class, e -> {
                assertThat(e.failInfo()).isEqualTo(PKIFailureInfo.badMessageCheck);
                assertThat(e.getMessage()).contains("does not verify");
            });
        }
        assertThatThrownBy(() -> confirm(issued, issued.answerNonce())).as("not even the right secret is checked now")
                .isInstanceOfSatisfying(CmpClient.CmpError.class, e -> assertThat(e.getMessage()).contains("no more are checked"));
        assertThat(stored(issued.certificate()).revoked()).as("left to the confirmation window").isFalse();

        Issued other = issue("bounded-other", false);
        assertThatThrownBy(() -> confirm(new Issued(new CmpClient.Secret(other.secret().mailbox(), "AAAA-BBBB-CCCC-DDDD-EEEE".toCharArray()),
                other.transaction(), other.answer(), other.certificate()), other.answerNonce())).isInstanceOf(CmpClient.CmpError.class);
        assertThat(confirm(other, other.answerNonce()).getBody().getType()).as("a failure or two does not stop the holder").isEqualTo(PKIBody.TYPE_CONFIRM);
    }

    @Test
    void certificatesNeverConfirmedAreRevokedOnceTheWindowClosedAndOnlyThose() throws Exception {
        Issued neverConfirmed = issue("silent", false);
        Issued confirmed = issue("confirms", false);
        confirm(confirmed, confirmed.answerNonce());
        Issued implicit = issue("implicit", true);
        UnconfirmedCertificates sweep = new UnconfirmedCertificates(fixture.services, new CmpTransactions(fixture.platform.database().dataSource(), fixture.clock));

        assertThat(sweep.sweep()).as("nothing is due inside the window").isZero();
        assertThat(stored(neverConfirmed.certificate()).revoked()).isFalse();

        fixture.clock.advance(CmpTransactions.CONFIRM_WINDOW.plusMinutes(1));
        try {
            sweep.sweep();
            assertThat(sweep.sweep()).as("a transaction is swept once").isZero();
        } finally {
            fixture.clock.advance(CmpTransactions.CONFIRM_WINDOW.plusMinutes(1).negated());
        }

        IssuedCertificate revoked = stored(neverConfirmed.certificate());
        assertThat(revoked.revocation()).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RevocationReason.CESSATION_OF_OPERATION));
        assertThat(stored(confirmed.certificate()).revoked()).isFalse();
        assertThat(stored(implicit.certificate()).revoked()).isFalse();
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).anyMatch(r -> r.event().action().equals("enroll.cmp.unconfirmed")
                && r.event().target().equals("mailbox:" + neverConfirmed.secret().mailbox()) && r.event().detail().contains(revoked.serialHex())
                && r.event().actor().equals("enroll/cmp unconfirmed-sweep"));
        assertThat(org.letterlock.platform.audit.Actor.current()).as("the sweep's name ends with the sweep").isEqualTo(org.letterlock.platform.audit.Actor.SYSTEM);
        assertThatThrownBy(() -> confirm(neverConfirmed, neverConfirmed.answerNonce())).as("a certConf after the sweep")
                .isInstanceOfSatisfying(CmpClient.CmpError.class, e -> assertThat(e.getMessage()).contains("its certificates are revoked"));
    }

    /** RFC 9483 4.1.1 holds even when the CA fails: a revocation that failed is retried by the next sweep, not forgotten. */
    @Test
    void aRevocationThatFailedIsRetriedByTheNextSweep() throws Exception {
        Issued unconfirmed = issue("retried", false);
        String serial = IssuedCertificate.hex(unconfirmed.certificate().getSerialNumber());
        UnconfirmedCertificates sweep = new UnconfirmedCertificates(fixture.services, new CmpTransactions(fixture.platform.database().dataSource(), fixture.clock));
        fixture.clock.advance(CmpTransactions.CONFIRM_WINDOW.plusMinutes(1));
        try {
            // The store refuses to revoke this one certificate, as a database that fails for a while would.
            sql("ALTER TABLE ca_certificate ADD CONSTRAINT refuse_revoking_" + serial + " CHECK (revoked_at IS NULL OR serial <> '" + serial + "')");
            try {
                sweep.sweep();
            } finally {
                sql("ALTER TABLE ca_certificate DROP CONSTRAINT refuse_revoking_" + serial);
            }
            assertThat(stored(unconfirmed.certificate()).revoked()).as("the store refused the revocation").isFalse();

            sweep.sweep();
        } finally {
            fixture.clock.advance(CmpTransactions.CONFIRM_WINDOW.plusMinutes(1).negated());
        }
        assertThat(stored(unconfirmed.certificate()).revocation()).as("revoked by the next sweep")
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RevocationReason.CESSATION_OF_OPERATION));
        assertThat(fixture.platform.auditLog().read(0, 1_000_000)).filteredOn(r -> r.event().action().equals("enroll.cmp.unconfirmed")
                && r.event().detail().contains(serial)).hasSize(1);
    }

    private void sql(String statement) throws Exception {
        try (var connection = fixture.platform.database().dataSource().getConnection(); var sql = connection.createStatement()) {
            sql.execute(statement);
        }
    }
}
