package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.Outbox;

/**
 * The CA behaves the same on every database: hierarchy on first start, issuance with the requester's right checked,
 * pairs, revocation, CRLs, OCSP and rollover, each checked with OpenSSL where a relying party would.
 */
public abstract class CaConformance {
    static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));
    static final Requester ADMIN = new Requester("carl", Set.of(Role.CA_ADMIN));
    static final Requester ALICE = new Requester("alice", Set.of(Role.MAILBOX_OWNER));
    static final Requester BOB = new Requester("bob", Set.of(Role.MAILBOX_OWNER));

    @TempDir
    Path dataDir;
    @TempDir
    Path work;

    protected final MovableClock clock = new MovableClock();
    protected Letterlock platform;
    protected CertificateAuthority ca;
    protected Tools tools;

    protected abstract Map<String, String> database(Path dataDir);

    @BeforeEach
    void start() {
        Map<String, String> settings = new HashMap<>(database(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.db.pool-size", "6");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
        tools = new Tools(work);
    }

    @AfterEach
    void stop() {
        if (ca != null) {
            ca.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private void verifiedMailbox(String address, String owner) throws Exception {
        platform.identities().register(address, owner);
        platform.identities().verify(Outbox.verificationToken(dataDir, address));
    }

    private static byte[] csr(KeyPair keys, String... mailboxes) throws Exception {
        return TestRequests.csr(keys, "CN=ignored", List.of(mailboxes)).getEncoded();
    }

    private IssuedCertificate issue(String profile, KeyPair keys, String mailbox, Requester requester) throws Exception {
        return ca.issue(IssueRequest.mailbox(profile, csr(keys, mailbox), mailbox), requester);
    }

    private X509CertificateHolder issuing() {
        return ca.issuer("issuing-1").orElseThrow().requireCertificate();
    }

    private X509CertificateHolder root() {
        return ca.issuer("root").orElseThrow().requireCertificate();
    }

    private X509CertificateHolder tlsIssuing() {
        return ca.issuer("tls-issuing-1").orElseThrow().requireCertificate();
    }

    /** openssl's verdict on a certificate for a purpose, through the issuing CA that issued it. */
    private Tools.Run verify(IssuedCertificate leaf, String purpose) throws Exception {
        return tools.openssl("verify", "-CAfile", tools.pem("root", root()).toString(),
                "-untrusted", tools.pem("issuing", ca.issuer(leaf.issuerId()).orElseThrow().requireCertificate()).toString(),
                "-purpose", purpose, tools.pem("leaf", leaf.holder()).toString());
    }

    @Test
    void firstStartCreatesRootIssuingCaAndDelegatedResponders() throws Exception {
        assertThat(ca.issuers()).extracting(IssuerRecord::id).containsExactly("root", "issuing-1", "tls-issuing-1");
        assertThat(ca.issuers()).allSatisfy(i -> {
            assertThat(i.state()).isEqualTo(IssuerRecord.State.ACTIVE);
            assertThat(i.ocspCertificate()).isPresent();
        });
        Tools.Run chain = tools.openssl("verify", "-CAfile", tools.pem("root", root()).toString(), tools.pem("issuing", issuing()).toString());
        assertThat(chain.exit()).as(chain.output()).isZero();
        Tools.Run text = tools.openssl("x509", "-noout", "-text", "-in", tools.pem("issuing-text", issuing()).toString());
        assertThat(text.output()).contains("CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "URI:http://ca.example.org/crl/root.crl",
                "CA Issuers - URI:http://ca.example.org/ca/root.crt", "Policy: X509v3 Any Policy", "E-mail Protection");
        X509CertificateHolder responder = ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow();
        Tools.Run responderText = tools.openssl("x509", "-noout", "-text", "-in", tools.pem("responder", responder).toString());
        assertThat(responderText.output()).contains("OCSP Signing", "OCSP No Check");
        Tools.Run responderChain = tools.openssl("verify", "-CAfile", tools.pem("root", root()).toString(), "-untrusted", tools.pem("issuing", issuing()).toString(),
                "-purpose", "ocsphelper", tools.pem("responder", responder).toString());
        assertThat(responderChain.exit()).as(responderChain.output()).isZero();
    }

    /**
     * Each issuing CA serves one purpose (S/MIME BR 7.1.2.2 g; TLS BR 7.1.2.6): the mailbox CA names emailProtection
     * alone, the TLS CA serverAuth and clientAuth; openssl then refuses a certificate of one purpose through the other.
     */
    @Test
    void mailboxAndTlsCertificatesComeFromIssuingCasOfOnePurposeEach() throws Exception {
        Tools.Run tlsChain = tools.openssl("verify", "-CAfile", tools.pem("root", root()).toString(), tools.pem("tls-issuing", tlsIssuing()).toString());
        assertThat(tlsChain.exit()).as(tlsChain.output()).isZero();
        assertThat(ExtendedKeyUsage.fromExtensions(issuing().getExtensions()).getUsages()).containsExactly(KeyPurposeId.id_kp_emailProtection);
        assertThat(ExtendedKeyUsage.fromExtensions(tlsIssuing().getExtensions()).getUsages())
                .containsExactly(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
        assertThat(ca.issuer("tls-issuing-1").orElseThrow().ocspCertificate()).as("the TLS CA has a responder of its own").isPresent();
        assertThat(ca.crl("tls-issuing-1", false)).as("and CRLs").isPresent();

        verifiedMailbox("nia@example.org", "nia");
        IssuedCertificate mailbox = issue("mailbox-signing", TestRequests.ec("secp256r1"), "nia@example.org", OFFICER);
        IssuedCertificate host = ca.issue(new IssueRequest("tls-server", Optional.of(TestRequests.csr(TestRequests.ec("secp256r1"), "CN=ignored", List.of()).getEncoded()),
                Optional.empty(), Optional.empty(), List.of("mx.example.org"), Optional.empty(), OptionalInt.empty(), false), OFFICER);
        assertThat(mailbox.issuerId()).isEqualTo("issuing-1");
        assertThat(host.issuerId()).isEqualTo("tls-issuing-1");
        assertThat(verify(mailbox, "smimesign").exit()).isZero();
        assertThat(verify(host, "sslserver").exit()).isZero();
        // openssl's own reading of each CA certificate's purposes (ISRG's dual-purpose root reads Yes on all four).
        Tools.Run mailCa = tools.openssl("x509", "-noout", "-purpose", "-in", tools.pem("mail-ca", issuing()).toString());
        assertThat(mailCa.output()).contains("S/MIME signing CA : Yes", "S/MIME encryption CA : Yes", "SSL server CA : No", "SSL client CA : No");
        Tools.Run tlsCa = tools.openssl("x509", "-noout", "-purpose", "-in", tools.pem("tls-ca", tlsIssuing()).toString());
        assertThat(tlsCa.output()).contains("SSL server CA : Yes", "SSL client CA : Yes", "S/MIME signing CA : No", "S/MIME encryption CA : No");
    }

    /** Rolling the TLS CA over leaves the mailbox CA issuing, and the other way round. */
    @Test
    void eachIssuingCaRollsOverOnItsOwn() throws Exception {
        IssuerRecord tls = ca.rollover(IssuerRecord.Kind.TLS_ISSUING, ADMIN);
        assertThat(tls.id()).isEqualTo("tls-issuing-2");
        assertThat(tls.subject()).contains("TLS Issuing CA 2");
        assertThat(ca.issuer("tls-issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.RETIRED);
        assertThat(ca.issuer("issuing-1").orElseThrow().state()).as("the mailbox CA is not touched").isEqualTo(IssuerRecord.State.ACTIVE);
        SubjectPublicKeyInfo hostKey = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        assertThat(ca.issueListenerCertificate(hostKey, List.of("mx.example.org"), Duration.ofDays(30)).issuerId()).isEqualTo("tls-issuing-2");
        assertThat(ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN).id()).isEqualTo("issuing-2");
        assertThat(ca.issuer("tls-issuing-2").orElseThrow().state()).as("the TLS CA is not touched").isEqualTo(IssuerRecord.State.ACTIVE);
        assertThatThrownBy(() -> ca.rollover(IssuerRecord.Kind.ROOT, ADMIN)).hasMessageContaining("not the root");
    }

    /**
     * An installation from before the TLS issuing CA (a root and issuing-1 alone) gets one at its next start; so does
     * one whose first making died half way (a PENDING row the internal root never certified).
     */
    @Test
    void anInstallationWithoutATlsIssuingCaGetsOneAtItsNextStart() throws Exception {
        try (java.sql.Connection connection = platform.database().dataSource().getConnection(); java.sql.Statement sql = connection.createStatement()) {
            sql.executeUpdate("DELETE FROM ca_crl WHERE issuer_id = 'tls-issuing-1'");
            sql.executeUpdate("DELETE FROM ca_certificate WHERE issuer_id = 'tls-issuing-1'");
            sql.executeUpdate("DELETE FROM ca_issuer WHERE id = 'tls-issuing-1'");
        }
        try (CertificateAuthority restarted = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()))) {
            assertThat(restarted.issuers()).extracting(IssuerRecord::id).containsExactly("root", "issuing-1", "tls-issuing-1");
        }
        try (java.sql.Connection connection = platform.database().dataSource().getConnection(); java.sql.Statement sql = connection.createStatement()) {
            sql.executeUpdate("DELETE FROM ca_crl WHERE issuer_id = 'tls-issuing-1'");
            sql.executeUpdate("DELETE FROM ca_certificate WHERE issuer_id = 'tls-issuing-1'");
            sql.executeUpdate("UPDATE ca_issuer SET state = 'PENDING', certificate = NULL, ocsp_key_uri = NULL, ocsp_certificate = NULL WHERE id = 'tls-issuing-1'");
        }
        try (CertificateAuthority restarted = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()))) {
            assertThat(restarted.issuers()).extracting(IssuerRecord::id).containsExactly("root", "issuing-1", "tls-issuing-1", "tls-issuing-2");
            assertThat(restarted.issuer("tls-issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.PENDING);
            IssuerRecord tls = restarted.issuer("tls-issuing-2").orElseThrow();
            assertThat(tls.state()).isEqualTo(IssuerRecord.State.ACTIVE);
            assertThat(tls.ocspCertificate()).isPresent();
            assertThat(ExtendedKeyUsage.fromExtensions(tls.requireCertificate().getExtensions()).hasKeyPurposeId(KeyPurposeId.id_kp_serverAuth)).isTrue();
        }
    }

    /**
     * The organisation's own signing certificate is reused for its key and exact address (found by the key's hash,
     * not among the first rows of its profile), and another address with the same key gets one of its own.
     */
    @Test
    void aSystemSigningCertificateIsReusedForItsKeyAndExactAddressOnly() throws Exception {
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo key = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                TestRequests.ec("secp256r1").getPublic().getEncoded());
        IssuedCertificate first = ca.systemSigningCertificate(key, "postmaster-sys@example.org", Duration.ofDays(365));
        assertThat(ca.systemSigningCertificate(key, "postmaster-sys@example.org", Duration.ofDays(365)).serial()).isEqualTo(first.serial());
        IssuedCertificate shorter = ca.systemSigningCertificate(key, "master-sys@example.org", Duration.ofDays(365));
        assertThat(shorter.serial()).as("an address that is a part of the other's is another address").isNotEqualTo(first.serial());
        assertThat(shorter.subject()).contains("master-sys@example.org").doesNotContain("postmaster");
        IssuedCertificate otherKey = ca.systemSigningCertificate(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                TestRequests.ec("secp256r1").getPublic().getEncoded()), "postmaster-sys@example.org", Duration.ofDays(365));
        assertThat(otherKey.serial()).isNotIn(first.serial(), shorter.serial());
    }

    @Test
    void anOwnerGetsASigningAndAnEncryptionCertificateLinkedAsAPair() throws Exception {
        verifiedMailbox("alice@example.org", "alice");
        IssuedCertificate signing = issue("mailbox-signing", TestRequests.ec("secp256r1"), "alice@example.org", ALICE);
        IssuedCertificate encryption = ca.issue(IssueRequest.mailbox("mailbox-encryption", csr(TestRequests.rsa(2048), "alice@example.org"), "alice@example.org")
                .inPair(signing.pairId().orElseThrow()), ALICE);

        assertThat(verify(signing, "smimesign").exit()).isZero();
        assertThat(verify(signing, "smimeencrypt").exit()).isNotZero();
        Tools.Run encrypting = verify(encryption, "smimeencrypt");
        assertThat(encrypting.exit()).as(encrypting.output()).isZero();
        assertThat(ca.pair(signing.pairId().orElseThrow(), ALICE)).extracting(IssuedCertificate::profile).containsExactly("mailbox-signing", "mailbox-encryption");
        assertThat(ca.search("alice@example.org", null, null, 10, ALICE)).hasSize(2);
        assertThat(signing.holder().getSubject().toString()).isEqualTo("CN=alice@example.org");
        assertThat(lastAudit("ca.issue").event().detail()).contains("mailbox-encryption/v1", "pair " + signing.pairId().get());
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("unverified mailbox", (Function<CaConformance, Runnable>) t -> () -> t.issueQuietly("mailbox-signing", "carol@example.org", "carol@example.org", ALICE), ErrorType.FORBIDDEN, "not verified"),
                Arguments.of("someone else's mailbox", (Function<CaConformance, Runnable>) t -> () -> t.issueQuietly("mailbox-signing", "alice@example.org", "alice@example.org", BOB), ErrorType.FORBIDDEN, "not a mailbox of bob"),
                Arguments.of("CSR names another address", (Function<CaConformance, Runnable>) t -> () -> t.issueQuietly("mailbox-signing", "alice@example.org", "mallory@example.org", ALICE), ErrorType.BAD_REQUEST, "which is not the mailbox"),
                Arguments.of("owner asks for TLS", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(new IssueRequest("tls-server", Optional.of(t.csrQuietly()), Optional.empty(), Optional.empty(), List.of("mx.example.org"), Optional.empty(), OptionalInt.empty(), false), ALICE), ErrorType.FORBIDDEN, "ra-officer"),
                Arguments.of("internal profile", (Function<CaConformance, Runnable>) t -> () -> t.issueQuietly("ocsp-signing", "alice@example.org", "alice@example.org", OFFICER), ErrorType.BAD_REQUEST, "requestable profiles"),
                Arguments.of("unknown profile", (Function<CaConformance, Runnable>) t -> () -> t.issueQuietly("mailbox-everything", "alice@example.org", "alice@example.org", OFFICER), ErrorType.BAD_REQUEST, "unknown profile"),
                Arguments.of("too long", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(new IssueRequest("mailbox-signing", Optional.of(t.csrQuietly()), Optional.empty(), Optional.of("alice@example.org"), List.of(), Optional.empty(), OptionalInt.of(900), false), OFFICER), ErrorType.BAD_REQUEST, "validity must be 1 to 825"),
                Arguments.of("garbage CSR", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(IssueRequest.mailbox("mailbox-signing", new byte[] {0x30, 0x03, 1, 2, 3}, "alice@example.org"), OFFICER), ErrorType.BAD_REQUEST, "PKCS#10"),
                Arguments.of("wildcard host", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(new IssueRequest("tls-server", Optional.of(t.csrQuietly()), Optional.empty(), Optional.empty(), List.of("*.example.org"), Optional.empty(), OptionalInt.empty(), false), OFFICER), ErrorType.BAD_REQUEST, "not a"),
                Arguments.of("handed-over key too weak", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(new IssueRequest("mailbox-signing", Optional.empty(), Optional.of(rsa1024()), Optional.of("alice@example.org"), List.of(), Optional.empty(), OptionalInt.empty(), false), OFFICER), ErrorType.BAD_REQUEST, "RSA keys must have 2048"),
                Arguments.of("unknown pair", (Function<CaConformance, Runnable>) t -> () -> t.ca.issue(IssueRequest.mailbox("mailbox-encryption", t.csrQuietly(), "alice@example.org").inPair("no-such-pair"), OFFICER), ErrorType.NOT_FOUND, "no pair"));
    }

    /** Which reason a revocation may give, by certificate and requester; null: allowed. */
    static Stream<Arguments> revocationReasons() {
        return Stream.of(
                Arguments.of("owner, keyCompromise", RevocationReason.KEY_COMPROMISE, ALICE, null),
                Arguments.of("owner, superseded", RevocationReason.SUPERSEDED, ALICE, null),
                Arguments.of("owner, no reason", RevocationReason.UNSPECIFIED, ALICE, null),
                Arguments.of("owner, privilegeWithdrawn", RevocationReason.PRIVILEGE_WITHDRAWN, ALICE, ErrorType.FORBIDDEN),
                Arguments.of("owner, cACompromise", RevocationReason.CA_COMPROMISE, ALICE, ErrorType.BAD_REQUEST),
                Arguments.of("ra-officer, privilegeWithdrawn", RevocationReason.PRIVILEGE_WITHDRAWN, OFFICER, null),
                Arguments.of("ca-admin, cACompromise of a mailbox certificate", RevocationReason.CA_COMPROMISE, ADMIN, ErrorType.BAD_REQUEST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("revocationReasons")
    void aRevocationGivesOnlyAReasonItsCertificateAndRequesterMay(String name, RevocationReason reason, Requester requester, ErrorType refused) throws Exception {
        verifiedMailbox("alice@example.org", "alice");
        IssuedCertificate leaf = issue("mailbox-signing", TestRequests.ec("secp256r1"), "alice@example.org", ALICE);
        if (refused == null) {
            assertThat(ca.revoke(leaf.serial(), reason, false, requester)).extracting(c -> c.revocation().orElseThrow().reason()).containsExactly(reason);
            return;
        }
        assertThatThrownBy(() -> ca.revoke(leaf.serial(), reason, true, requester)).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(refused));
        assertThat(ca.find(leaf.serial()).orElseThrow().revoked()).isFalse();
        assertThat(lastAudit("ca.revoke").event().outcome()).isIn(Outcome.DENIED, Outcome.FAILED);
    }

    private static SubjectPublicKeyInfo rsa1024() {
        try {
            return SubjectPublicKeyInfo.getInstance(TestRequests.rsa(1024).getPublic().getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] csrQuietly() {
        try {
            return csr(TestRequests.ec("secp256r1"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void issueQuietly(String profile, String mailbox, String csrAddress, Requester requester) {
        try {
            ca.issue(IssueRequest.mailbox(profile, csr(TestRequests.ec("secp256r1"), csrAddress), mailbox), requester);
        } catch (LetterlockException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusedRequestsGetAPreciseErrorAreAuditedAndStoreNothing(String name, Function<CaConformance, Runnable> call, ErrorType type, String message) throws Exception {
        verifiedMailbox("alice@example.org", "alice");
        platform.identities().register("carol@example.org", "alice");
        long before = new JdbcCertificateStore(platform.database().dataSource()).count();
        assertThatThrownBy(() -> call.apply(this).run()).isInstanceOf(LetterlockException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((LetterlockException) e).type()).isEqualTo(type));
        assertThat(new JdbcCertificateStore(platform.database().dataSource()).count()).isEqualTo(before);
        AuditRecord refusal = lastAudit("ca.issue");
        assertThat(refusal.event().outcome()).isIn(Outcome.DENIED, Outcome.FAILED);
        assertThat(refusal.event().detail()).contains(message);
    }

    @Test
    void aSecondSigningCertificateInOnePairIsRefused() throws Exception {
        IssuedCertificate signing = issue("mailbox-signing", TestRequests.ec("secp256r1"), "alice@example.org", OFFICER);
        assertThatThrownBy(() -> ca.issue(IssueRequest.mailbox("mailbox-signing", csr(TestRequests.ec("secp256r1")), "alice@example.org")
                .inPair(signing.pairId().orElseThrow()), OFFICER)).hasMessageContaining("renew the pair instead");
    }

    @Test
    void keyCompromiseRevokesThePairAndOcspAndCrlsSayIt() throws Exception {
        IssuedCertificate signing = issue("mailbox-signing", TestRequests.ec("secp256r1"), "dave@example.org", OFFICER);
        IssuedCertificate encryption = ca.issue(IssueRequest.mailbox("mailbox-encryption", csr(TestRequests.ec("secp256r1")), "dave@example.org")
                .inPair(signing.pairId().orElseThrow()), OFFICER);
        IssuedCertificate other = issue("mailbox-signing", TestRequests.ec("secp256r1"), "erin@example.org", OFFICER);
        assertThat(ocspWithOpenssl(signing, false).output()).contains("Cert Status: good");

        List<IssuedCertificate> revoked = ca.revoke(signing.serial(), RevocationReason.KEY_COMPROMISE, true, OFFICER);
        assertThat(revoked).extracting(IssuedCertificate::serial).containsExactlyInAnyOrder(signing.serial(), encryption.serial());
        assertThatThrownBy(() -> ca.revoke(signing.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER)).hasMessageContaining("revoked already");

        Tools.Run revokedAnswer = ocspWithOpenssl(encryption, true);
        assertThat(revokedAnswer.output()).contains("Response verify OK", "Cert Status: revoked", "Revocation Reason: keyCompromise");
        assertThat(ocspWithOpenssl(other, true).output()).contains("Cert Status: good");

        ca.publishAllCrls();
        Path crl = tools.write("full.crl", ca.crl("issuing-1", false).orElseThrow().der());
        Tools.Run crlText = tools.openssl("crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text", "-CAfile", tools.pem("chain", issuing(), root()).toString());
        assertThat(crlText.output()).contains("verify OK", "Serial Number: " + signing.serial().toString(16).toUpperCase(),
                "Serial Number: " + encryption.serial().toString(16).toUpperCase(), "Key Compromise", "X509v3 CRL Number", "Issuing Distribution Point: critical",
                "URI:http://ca.example.org/crl/issuing-1.crl", "Freshest CRL", "URI:http://ca.example.org/crl/issuing-1-delta.crl");
        assertThat(crlText.output()).doesNotContain(other.serial().toString(16).toUpperCase());

        Path crlPem = tools.write("full.pem", Certificates.pem("X509 CRL", ca.crl("issuing-1", false).get().der()).getBytes());
        Tools.Run crlCheck = tools.openssl("verify", "-crl_check", "-CAfile", tools.pem("chain-crl", issuing(), root()).toString(), "-CRLfile", crlPem.toString(),
                tools.pem("revoked-leaf", signing.holder()).toString());
        assertThat(crlCheck.exit()).isNotZero();
        assertThat(crlCheck.output()).contains("certificate revoked");
        Tools.Run goodCheck = tools.openssl("verify", "-crl_check", "-CAfile", tools.pem("chain-crl", issuing(), root()).toString(), "-CRLfile", crlPem.toString(),
                tools.pem("good-leaf", other.holder()).toString());
        assertThat(goodCheck.exit()).as(goodCheck.output()).isZero();

        long fullNumber = ca.crl("issuing-1", false).get().number();
        long deltaNumber = ca.crl("issuing-1", true).get().number();
        ca.revoke(other.serial(), RevocationReason.SUPERSEDED, false, OFFICER);
        CertificateStore.StoredCrl delta = awaitDelta(deltaNumber);
        Path deltaFile = tools.write("delta.crl", delta.der());
        Tools.Run deltaText = tools.openssl("crl", "-inform", "DER", "-in", deltaFile.toString(), "-noout", "-text", "-CAfile", tools.pem("chain", issuing(), root()).toString());
        assertThat(deltaText.output()).contains("verify OK", "Delta CRL Indicator: critical", String.valueOf(fullNumber),
                "Serial Number: " + other.serial().toString(16).toUpperCase(), "Superseded");
    }

    private CertificateStore.StoredCrl awaitDelta(long previous) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            Optional<CertificateStore.StoredCrl> delta = ca.crl("issuing-1", true);
            if (delta.isPresent() && delta.get().number() > previous) {
                return delta.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no delta CRL after revocation within 10 s");
    }

    /** openssl makes the request (with or without nonce), our responder answers, openssl verifies the answer. */
    private Tools.Run ocspWithOpenssl(IssuedCertificate leaf, boolean nonce) throws Exception {
        Path issuer = tools.pem("ocsp-issuer", ca.issuer(leaf.issuerId()).orElseThrow().requireCertificate());
        byte[] response = ca.ocsp().respond(ocspRequestByOpenssl(leaf, nonce)).der();
        tools.write("response.der", response);
        Tools.Run verified = tools.openssl("ocsp", "-reqin", "request.der", "-respin", "response.der", "-resp_text",
                "-CAfile", tools.pem("ocsp-root", root()).toString(), "-verify_other", issuer.toString());
        assertThat(verified.output()).as(verified.output()).contains("Response verify OK").doesNotContain("WARNING");
        return verified;
    }

    @Test
    void ocspSignaturesMadeOnRequestAreOnRecordByLeaseNotOneRecordEach() throws Exception {
        IssuedCertificate leaf = issue("mailbox-signing", TestRequests.ec("secp256r1"), "lease@example.org", OFFICER);
        String responderKey = ca.issuer(leaf.issuerId()).orElseThrow().ocspKey().orElseThrow().toString();
        long before = platform.auditLog().record("test.mark", "before", Outcome.ALLOWED, "").seq();

        for (int i = 0; i < 5; i++) {
            assertThat(ocspWithOpenssl(leaf, true).output()).contains("Cert Status: good");
        }
        List<AuditRecord> during = responderKeyUses(responderKey, before);
        assertThat(during).as("one committed grant covers the five signed answers").singleElement()
                .satisfies(grant -> assertThat(grant.event().action()).isEqualTo("vault.sign-lease"));

        clock.advance(Duration.ofMinutes(2));
        platform.vault().endExpiredSignatureLeases();
        assertThat(responderKeyUses(responderKey, before)).extracting(r -> r.event().action(), r -> r.event().detail()).endsWith(
                org.assertj.core.groups.Tuple.tuple("vault.sign", "1.2.840.10045.4.3.2: 5 signatures under the lease of record " + during.get(0).seq()));
    }

    @Test
    void nearItsIssuersEndAResponderIsMadeOnceAndAnExpiredIssuerStopsOnlyIssuance() throws Exception {
        java.time.Instant issuerEnd = issuing().getNotAfter().toInstant();
        clock.advance(Duration.between(clock.instant(), issuerEnd.minus(Duration.ofDays(20))));

        ca.maintain();
        X509CertificateHolder responder = ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow();
        assertThat(responder.getNotAfter().toInstant()).as("capped at the issuer's end").isEqualTo(issuerEnd);
        ca.maintain();
        assertThat(ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow().getSerialNumber())
                .as("a new responder would last no longer: none is made").isEqualTo(responder.getSerialNumber());

        clock.advance(Duration.ofDays(21));
        ca.maintain();
        assertThat(ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow().getSerialNumber())
                .as("an expired issuer gets no responder").isEqualTo(responder.getSerialNumber());
        assertThatThrownBy(() -> issue("mailbox-signing", TestRequests.ec("secp256r1"), "late@example.org", OFFICER))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.UNAVAILABLE))
                .hasMessageContaining("expired").hasMessageContaining("rollover");
    }

    @Test
    void aResponderOrIssuingCaRevokedBehindTheCasBackIsReplacedOrRetiredAtTheNextMaintenance() throws Exception {
        // As if the node that revoked them died before it stopped using them.
        JdbcCertificateStore direct = new JdbcCertificateStore(platform.database().dataSource());
        java.math.BigInteger responder = ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow().getSerialNumber();
        assertThat(direct.revoke(responder, clock.instant(), RevocationReason.KEY_COMPROMISE, "test")).isTrue();
        ca.maintain();
        assertThat(ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow().getSerialNumber()).isNotEqualTo(responder);

        assertThat(direct.revoke(issuing().getSerialNumber(), clock.instant(), RevocationReason.KEY_COMPROMISE, "test")).isTrue();
        ca.maintain();
        assertThat(ca.issuer("issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.RETIRED);
        assertThatThrownBy(() -> issue("mailbox-signing", TestRequests.ec("secp256r1"), "after@example.org", OFFICER))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.UNAVAILABLE));
    }

    @Test
    void aKeyRevokedForCompromiseIsNotCertifiedAgainInAnyEncoding() throws Exception {
        verifiedMailbox("compromised@example.org", "carol");
        KeyPair keys = TestRequests.ec("secp256r1");
        IssuedCertificate first = issue("mailbox-signing", keys, "compromised@example.org", OFFICER);
        KeyPair superseded = TestRequests.ec("secp256r1");
        IssuedCertificate replaced = issue("mailbox-signing", superseded, "compromised@example.org", OFFICER);
        ca.revoke(first.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER);
        ca.revoke(replaced.serial(), RevocationReason.SUPERSEDED, false, OFFICER);

        assertThatThrownBy(() -> issue("mailbox-signing", keys, "compromised@example.org", OFFICER))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                .hasMessageContaining("revoked for key compromise (certificate " + first.serialHex() + ")");
        SubjectPublicKeyInfo uncompressed = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        SubjectPublicKeyInfo compressed = new SubjectPublicKeyInfo(uncompressed.getAlgorithm(),
                ((org.bouncycastle.crypto.params.ECPublicKeyParameters) org.bouncycastle.crypto.util.PublicKeyFactory.createKey(uncompressed)).getQ().getEncoded(true));
        assertThatThrownBy(() -> ca.issue(new IssueRequest("mailbox-encryption", Optional.empty(), Optional.of(compressed), Optional.of("compromised@example.org"),
                List.of(), Optional.empty(), OptionalInt.empty(), false), OFFICER)).as("the same key with its point compressed")
                .hasMessageContaining("revoked for key compromise");
        assertThat(issue("mailbox-signing", superseded, "compromised@example.org", OFFICER).revoked()).as("superseded keys stay usable").isFalse();

        // Revoked before the list existed: listed when the CA starts.
        try (Connection connection = platform.database().dataSource().getConnection()) {
            connection.createStatement().executeUpdate("DELETE FROM ca_compromised_key");
        }
        JdbcCertificateStore store = new JdbcCertificateStore(platform.database().dataSource());
        assertThat(store.compromisedKey(KeyFamily.canonicalKeyHash(uncompressed))).isEmpty();
        assertThat(store.listCompromisedKeys()).isEqualTo(1);
        assertThat(store.listCompromisedKeys()).as("once").isZero();
        assertThat(store.compromisedKey(KeyFamily.canonicalKeyHash(compressed))).hasValue(first.serial());
    }

    /** S/MIME BR 4.9.1.1: a compromised key's other certificates are revoked too, whichever mailbox they are for. */
    @Test
    void aKeyRevokedForCompromiseTakesEveryCertificateCarryingItAlong() throws Exception {
        verifiedMailbox("olga@example.org", "olga");
        KeyPair shared = TestRequests.ec("secp256r1");
        IssuedCertificate olgas = issue("mailbox-signing", shared, "olga@example.org", OFFICER);
        IssuedCertificate petes = issue("mailbox-signing", shared, "pete@example.org", OFFICER);
        IssuedCertificate unrelated = issue("mailbox-signing", TestRequests.ec("secp256r1"), "pete@example.org", OFFICER);

        List<IssuedCertificate> revoked = ca.revoke(olgas.serial(), RevocationReason.KEY_COMPROMISE, false, new Requester("olga", Set.of(Role.MAILBOX_OWNER)));

        assertThat(revoked).as("the owner is answered with her own certificates only").extracting(IssuedCertificate::serial).containsExactly(olgas.serial());
        assertThat(ca.find(petes.serial()).orElseThrow().revocation()).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RevocationReason.KEY_COMPROMISE));
        assertThat(lastAudit("ca.revoke").event().detail()).contains("mailbox:pete@example.org", "same key as certificate " + olgas.serialHex());
        assertThat(ocspWithOpenssl(petes, true).output()).contains("Cert Status: revoked", "Revocation Reason: keyCompromise");
        assertThat(ca.find(unrelated.serial()).orElseThrow().revoked()).isFalse();
        assertThat(ca.revoke(unrelated.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER)).as("a key no other certificate carries").hasSize(1);
    }

    /** Certificates stored before their key hashes were kept: a starting node fills the hashes, then revokes what carries a compromised key. */
    @Test
    void certificatesStoredBeforeKeyHashesWereKeptAreRevokedWithTheirCompromisedKey() throws Exception {
        KeyPair shared = TestRequests.rsa(2048);
        IssuedCertificate first = issue("mailbox-signing", shared, "quinn@example.org", OFFICER);
        IssuedCertificate second = issue("mailbox-signing", shared, "rita@example.org", OFFICER);
        try (Connection connection = platform.database().dataSource().getConnection()) {
            connection.createStatement().executeUpdate("UPDATE ca_certificate SET key_hash = NULL");
        }
        assertThat(ca.revoke(first.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER)).as("no hash yet to find the second by").hasSize(1);
        assertThat(ca.find(second.serial()).orElseThrow().revoked()).isFalse();

        try (CertificateAuthority starting = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()))) {
            awaitTrue(() -> ca.find(second.serial()).orElseThrow().revoked(), "the starting node revokes the certificate of the compromised key");
        }
        assertThat(ca.find(second.serial()).orElseThrow().revocation()).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RevocationReason.KEY_COMPROMISE));
        try (Connection connection = platform.database().dataSource().getConnection();
             ResultSet rows = connection.createStatement().executeQuery("SELECT count(*), count(key_hash), count(DISTINCT key_hash) FROM ca_certificate "
                     + "WHERE serial IN ('" + first.serialHex() + "', '" + second.serialHex() + "')")) {
            rows.next();
            assertThat(List.of(rows.getInt(1), rows.getInt(2), rows.getInt(3))).as("both hashes filled, and equal").containsExactly(2, 2, 1);
        }
        assertThat(new JdbcCertificateStore(platform.database().dataSource()).fillKeyHashes(10)).as("every row filled").isZero();
    }

    /** Nodes saving CRLs at once, in any order and also as the first of their kind: the highest number is what stays. */
    @Test
    void crlsSavedAtOnceKeepTheHighestNumber() throws Exception {
        JdbcCertificateStore store = new JdbcCertificateStore(platform.database().dataSource());
        CertificateStore.StoredCrl full = store.crl("issuing-1", false).orElseThrow();
        try (Connection connection = platform.database().dataSource().getConnection()) {
            connection.createStatement().executeUpdate("DELETE FROM ca_crl WHERE delta = TRUE");
        }
        // Far above the CA's own numbers, so that its background publication cannot be the highest.
        long base = full.number() + 1_000_000;
        List<CertificateStore.StoredCrl> saves = new ArrayList<>();
        for (long n = base; n < base + 40; n++) {
            saves.add(new CertificateStore.StoredCrl("issuing-1", false, n, Optional.empty(), full.thisUpdate(), full.nextUpdate(), full.der()));
            saves.add(new CertificateStore.StoredCrl("issuing-1", true, n, Optional.of(full.number()), full.thisUpdate(), full.nextUpdate(), full.der()));
        }
        java.util.Collections.shuffle(saves);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> running = saves.stream().map(crl -> pool.submit(() -> store.saveCrl(crl))).collect(java.util.stream.Collectors.toList());
            for (Future<?> save : running) {
                save.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.crl("issuing-1", false).orElseThrow().number()).isEqualTo(base + 39);
        assertThat(store.crl("issuing-1", true).orElseThrow().number()).isEqualTo(base + 39);
        store.saveCrl(new CertificateStore.StoredCrl("issuing-1", true, base, Optional.of(full.number()), full.thisUpdate(), full.nextUpdate(), full.der()));
        assertThat(store.crl("issuing-1", true).orElseThrow().number()).as("a lower number saved later").isEqualTo(base + 39);
    }

    @Test
    void aPairRenewalWhoseEncryptionRequestIsRefusedIssuesNothing() throws Exception {
        IssuedCertificate signing = issue("mailbox-signing", TestRequests.ec("secp256r1"), "renew@example.org", OFFICER);
        String pair = signing.pairId().orElseThrow();
        int before = ca.search("renew@example.org", null, null, 100, OFFICER).size();
        Map<String, byte[]> refused = Map.of(
                "an Ed25519 key, which key management does not take", csr(TestRequests.keyPair("Ed25519", null, 0), "renew@example.org"),
                "another mailbox", csr(TestRequests.ec("secp256r1"), "someone-else@example.org"));
        refused.forEach((why, encryption) -> assertThatThrownBy(() -> ca.renewPair(pair, csr(TestRequests.ec("secp256r1"), "renew@example.org"),
                Optional.of(encryption), OFFICER)).as(why).isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST)));
        assertThat(ca.search("renew@example.org", null, null, 100, OFFICER)).as("no half-renewed pair").hasSize(before);

        assertThat(ca.renewPair(pair, csr(TestRequests.ec("secp256r1"), "renew@example.org"), Optional.of(csr(TestRequests.ec("secp256r1"), "renew@example.org")),
                OFFICER)).extracting(IssuedCertificate::profile).containsExactly("mailbox-signing", "mailbox-encryption");
    }

    /** An OCSP request for {@code leaf} made by openssl, also left in request.der. */
    private byte[] ocspRequestByOpenssl(IssuedCertificate leaf, boolean nonce) throws Exception {
        Path issuer = tools.pem("ocsp-issuer", ca.issuer(leaf.issuerId()).orElseThrow().requireCertificate());
        Path cert = tools.pem("ocsp-leaf", leaf.holder());
        Tools.Run request = tools.openssl("ocsp", "-issuer", issuer.toString(), "-cert", cert.toString(), nonce ? "-nonce" : "-no_nonce", "-reqout", "request.der");
        assertThat(request.exit()).as(request.output()).isZero();
        return java.nio.file.Files.readAllBytes(work.resolve("request.der"));
    }

    @Test
    void aNetworkThreadSignsOcspAnswersOnlyUnderALeaseAlreadyGranted() throws Exception {
        IssuedCertificate leaf = issue("mailbox-signing", TestRequests.ec("secp256r1"), "no-wait@example.org", OFFICER);
        String responderKey = ca.issuer(leaf.issuerId()).orElseThrow().ocspKey().orElseThrow().toString();
        byte[] withNonce = ocspRequestByOpenssl(leaf, true);
        clock.advance(Duration.ofMinutes(2));
        platform.vault().endExpiredSignatureLeases();
        long before = platform.auditLog().record("test.mark", "before", Outcome.ALLOWED, "").seq();

        assertThat(ca.ocsp().respondNow(withNonce)).as("no lease running: left to a thread that may commit the next grant").isEmpty();
        assertThat(responderKeyUses(responderKey, before)).as("nothing granted or signed on the network thread").isEmpty();

        assertThat(ca.ocsp().respond(withNonce).der()).isNotEmpty();
        assertThat(responderKeyUses(responderKey, before)).extracting(r -> r.event().action()).containsExactly("vault.sign-lease");
        assertThat(ca.ocsp().respondNow(withNonce)).as("signed under the lease the waiting thread was granted").isPresent();
        assertThat(responderKeyUses(responderKey, before)).as("no second grant").hasSize(1);
    }

    /** The audit records on the responder key after {@code after}, once all records queued so far are committed. */
    private List<AuditRecord> responderKeyUses(String responderKey, long after) {
        platform.auditLog().record("test.mark", "flush", Outcome.ALLOWED, "");
        return platform.auditLog().read(after, 100_000).stream().filter(r -> r.event().target().equals(responderKey)).toList();
    }

    @Test
    void ocspAnswersUnknownForSerialsNeverIssuedAndRefusesWhatItCannotParse() throws Exception {
        IssuedCertificate good = issue("mailbox-signing", TestRequests.ec("secp256r1"), "frank@example.org", OFFICER);
        OCSPResp unknown = new OCSPResp(ca.ocsp().respond(request(OcspResponder.certificateId(issuing(), BigInteger.valueOf(42)))).der());
        SingleResp single = ((BasicOCSPResp) unknown.getResponseObject()).getResponses()[0];
        assertThat(single.getCertStatus()).isInstanceOf(UnknownStatus.class);
        assertThat(((BasicOCSPResp) unknown.getResponseObject()).isSignatureValid(new JcaContentVerifierProviderBuilder()
                .build(ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow()))).isTrue();

        assertThat(new OCSPResp(ca.ocsp().respond(new byte[] {1, 2, 3}).der()).getStatus()).isEqualTo(1);
        assertThat(new OCSPResp(ca.ocsp().respond(new byte[0]).der()).getStatus()).isEqualTo(1);
        X509CertificateHolder foreign = TestRequests.foreignRoot();
        assertThat(new OCSPResp(ca.ocsp().respond(request(OcspResponder.certificateId(foreign, good.serial()))).der()).getStatus()).isEqualTo(6);
        assertThat(ca.revoke(good.serial(), RevocationReason.PRIVILEGE_WITHDRAWN, false, OFFICER)).hasSize(1);
        SingleResp revoked = ((BasicOCSPResp) new OCSPResp(ca.ocsp().respond(request(OcspResponder.certificateId(issuing(), good.serial()))).der())
                .getResponseObject()).getResponses()[0];
        assertThat(((RevokedStatus) revoked.getCertStatus()).getRevocationReason()).isEqualTo(RevocationReason.PRIVILEGE_WITHDRAWN.code());
    }

    private static byte[] request(org.bouncycastle.cert.ocsp.CertificateID id) throws Exception {
        return new OCSPReqBuilder().addRequest(id).build().getEncoded();
    }

    @Test
    void rolloverMakesANewIssuingCaWhileTheOldOneKeepsAnswering() throws Exception {
        IssuedCertificate before = issue("mailbox-signing", TestRequests.ec("secp256r1"), "gina@example.org", OFFICER);
        assertThatThrownBy(() -> ca.rollover(IssuerRecord.Kind.ISSUING, OFFICER)).hasMessageContaining("ca-admin");
        IssuerRecord next = ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN);
        assertThat(next.id()).isEqualTo("issuing-2");
        assertThat(next.subject()).isEqualTo("CN=Letterlock Issuing CA 2,O=Letterlock");
        assertThat(ca.issuer("issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.RETIRED);
        IssuedCertificate after = issue("mailbox-signing", TestRequests.ec("secp256r1"), "gina@example.org", OFFICER);
        assertThat(after.issuerId()).isEqualTo("issuing-2");
        assertThat(ocspWithOpenssl(before, true).output()).contains("Cert Status: good");
        assertThat(ocspWithOpenssl(after, true).output()).contains("Cert Status: good");
        ca.revoke(before.serial(), RevocationReason.CESSATION_OF_OPERATION, false, OFFICER);
        ca.publishAllCrls();
        Path oldCrl = tools.write("old.crl", ca.crl("issuing-1", false).orElseThrow().der());
        Tools.Run text = tools.openssl("crl", "-inform", "DER", "-in", oldCrl.toString(), "-noout", "-text", "-CAfile", tools.pem("old-chain", issuing(), root()).toString());
        assertThat(text.output()).contains("verify OK", before.serial().toString(16).toUpperCase());
        assertThat(ca.crl("issuing-2", false)).isPresent();
    }

    @Test
    void ownersAreMailedOnceBeforeTheirCertificateExpires() throws Exception {
        verifiedMailbox("hank@example.org", "hank");
        Requester hank = new Requester("hank", Set.of(Role.MAILBOX_OWNER));
        ca.issue(new IssueRequest("mailbox-signing", Optional.of(csr(TestRequests.ec("secp256r1"))), Optional.empty(), Optional.of("hank@example.org"), List.of(),
                Optional.empty(), OptionalInt.of(40), false), hank);
        int mails = Outbox.mailsTo(dataDir, "hank@example.org").size();
        ca.sendExpiryNotices();
        assertThat(Outbox.mailsTo(dataDir, "hank@example.org")).hasSize(mails);
        clock.advance(Duration.ofDays(11));
        ca.sendExpiryNotices();
        ca.sendExpiryNotices();
        List<String> after = Outbox.mailsTo(dataDir, "hank@example.org");
        assertThat(after).hasSize(mails + 1);
        assertThat(after.get(after.size() - 1)).contains("expires in 29 days");
        clock.advance(Duration.ofDays(25));
        ca.sendExpiryNotices();
        assertThat(Outbox.mailsTo(dataDir, "hank@example.org")).hasSize(mails + 2);
    }

    @Test
    void concurrentIssuanceHandsOutOnlyStoredCertificatesWithUniqueSerials() throws Exception {
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<IssuedCertificate>> futures = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String mailbox = "user" + i + "@example.org";
            futures.add(pool.submit(() -> ca.issue(new IssueRequest("mailbox-encryption", Optional.empty(), Optional.of(key), Optional.of(mailbox), List.of(),
                    Optional.empty(), OptionalInt.empty(), false), OFFICER)));
        }
        Set<BigInteger> serials = new HashSet<>();
        for (Future<IssuedCertificate> future : futures) {
            serials.add(future.get().serial());
        }
        pool.shutdown();
        assertThat(serials).hasSize(120);
        CertificateStore store = new JdbcCertificateStore(platform.database().dataSource());
        for (BigInteger serial : serials) {
            assertThat(store.certificate(serial)).isPresent();
        }
        try (Connection connection = platform.database().dataSource().getConnection(); Statement s = connection.createStatement();
             ResultSet row = s.executeQuery("SELECT COUNT(*), COUNT(DISTINCT serial) FROM ca_certificate WHERE profile = 'mailbox-encryption'")) {
            row.next();
            assertThat(row.getLong(1)).isEqualTo(120).isEqualTo(row.getLong(2));
        }
    }

    /**
     * Requests racing to join one pair, stored in the same commits as other mailboxes' certificates: one joins, the rest
     * are 409s, and every other certificate is stored and handed out.
     */
    @Test
    void racingIntoOnePairStoresOneAndEveryoneElsesCertificates() throws Exception {
        String pair = issue("mailbox-signing", TestRequests.ec("secp256r1"), "pat@example.org", OFFICER).pairId().orElseThrow();
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(TestRequests.ec("secp256r1").getPublic().getEncoded());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Future<IssuedCertificate>> joins = new ArrayList<>();
        List<Future<IssuedCertificate>> others = new ArrayList<>();
        try {
            for (int i = 0; i < 48; i++) {
                boolean join = i % 6 == 0;
                String mailbox = join ? "pat@example.org" : "racer" + i + "@example.org";
                IssueRequest request = new IssueRequest("mailbox-encryption", Optional.empty(), Optional.of(key), Optional.of(mailbox), List.of(),
                        join ? Optional.of(pair) : Optional.empty(), OptionalInt.empty(), false);
                (join ? joins : others).add(pool.submit(() -> {
                    start.await();
                    return ca.issue(request, OFFICER);
                }));
            }
            start.countDown();
            int joined = 0;
            for (Future<IssuedCertificate> attempt : joins) {
                try {
                    assertThat(attempt.get().pairId()).contains(pair);
                    joined++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(LetterlockException.class);
                    assertThat(((LetterlockException) e.getCause()).type()).as(String.valueOf(e.getCause())).isEqualTo(ErrorType.CONFLICT);
                    assertThat(e.getCause().getMessage()).contains("pair " + pair + " has a mailbox-encryption certificate already");
                }
            }
            assertThat(joined).isEqualTo(1);
            for (Future<IssuedCertificate> other : others) {
                assertThat(ca.find(other.get().serial())).as("handed out, so stored").isPresent();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ca.pair(pair, OFFICER)).extracting(IssuedCertificate::profile).containsExactly("mailbox-signing", "mailbox-encryption");
    }

    @Test
    void revokingWithThePairLaterStillReachesThePartner() throws Exception {
        IssuedCertificate signing = issue("mailbox-signing", TestRequests.ec("secp256r1"), "kim@example.org", OFFICER);
        IssuedCertificate encryption = ca.issue(IssueRequest.mailbox("mailbox-encryption", csr(TestRequests.ec("secp256r1")), "kim@example.org")
                .inPair(signing.pairId().orElseThrow()), OFFICER);
        assertThat(ca.revoke(signing.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER)).hasSize(1);
        assertThat(ca.revoke(signing.serial(), RevocationReason.KEY_COMPROMISE, true, OFFICER)).extracting(IssuedCertificate::serial)
                .containsExactly(encryption.serial());
        assertThatThrownBy(() -> ca.revoke(signing.serial(), RevocationReason.KEY_COMPROMISE, true, OFFICER)).hasMessageContaining("revoked already");
    }

    @Test
    void anAddressTooLongForACommonNameIsNamedByACriticalSubjectAltName() throws Exception {
        String address = "a-very-long-local-part-that-goes-on-and-on-and-on-for-the-test@example.org";
        assertThat(address.length()).isGreaterThan(64);
        IssuedCertificate certificate = issue("mailbox-signing", TestRequests.ec("secp256r1"), address, OFFICER);
        assertThat(certificate.holder().getSubject().getRDNs()).isEmpty();
        assertThat(certificate.holder().getExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName).isCritical()).isTrue();
        Tools.Run verified = verify(certificate, "smimesign");
        assertThat(verified.exit()).as(verified.output()).isZero();
    }

    @Test
    void aRevokedResponderIsReplacedAndARevokedIssuingCaIssuesNoMore() throws Exception {
        X509CertificateHolder responder = ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow();
        assertThatThrownBy(() -> ca.revoke(responder.getSerialNumber(), RevocationReason.KEY_COMPROMISE, false, OFFICER)).hasMessageContaining("ca-admin");
        ca.revoke(responder.getSerialNumber(), RevocationReason.KEY_COMPROMISE, false, ADMIN);
        assertThat(ca.issuer("issuing-1").orElseThrow().ocspCertificate().orElseThrow().getSerialNumber()).isNotEqualTo(responder.getSerialNumber());
        IssuedCertificate leaf = issue("mailbox-signing", TestRequests.ec("secp256r1"), "lee@example.org", OFFICER);
        assertThat(ocspWithOpenssl(leaf, true).output()).contains("Cert Status: good");

        ca.revoke(issuing().getSerialNumber(), RevocationReason.CA_COMPROMISE, false, ADMIN);
        assertThat(ca.issuer("issuing-1").orElseThrow().state()).isEqualTo(IssuerRecord.State.RETIRED);
        assertThatThrownBy(() -> issue("mailbox-signing", TestRequests.ec("secp256r1"), "lee@example.org", OFFICER))
                .hasMessageContaining("no issuing CA is active");
        assertThat(ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN).state()).isEqualTo(IssuerRecord.State.ACTIVE);
        assertThat(issue("mailbox-signing", TestRequests.ec("secp256r1"), "lee@example.org", OFFICER).issuerId()).isEqualTo("issuing-2");
    }

    /** Two CAs on one store and one vault, as two nodes of a cluster: each learns the other's revocations (OCSP and the published certificates) and rollovers. */
    @Test
    void aSecondNodeFollowsRevocationsAndRollovers() throws Exception {
        try (CertificateAuthority other = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()))) {
            assertThat(other.issuers()).extracting(IssuerRecord::id).containsExactly("root", "issuing-1", "tls-issuing-1");
            verifiedMailbox("max@example.org", "max");
            IssuedCertificate leaf = issue("mailbox-signing", TestRequests.ec("secp256r1"), "max@example.org", OFFICER);
            byte[] request = request(OcspResponder.certificateId(issuing(), leaf.serial()));
            assertThat(((BasicOCSPResp) new OCSPResp(other.ocsp().respond(request).der()).getResponseObject()).getResponses()[0].getCertStatus()).isNull();
            assertThat(ca.publishedFor("max@example.org")).extracting(IssuedCertificate::serial).containsExactly(leaf.serial());
            assertThat(other.publishedFor("Max@Example.org")).extracting(IssuedCertificate::serial).containsExactly(leaf.serial());

            ca.revoke(leaf.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER);
            assertThat(ca.publishedFor("max@example.org")).as("this node publishes a revocation at once").isEmpty();
            awaitTrue(() -> ((BasicOCSPResp) new OCSPResp(other.ocsp().respond(request).der()).getResponseObject()).getResponses()[0]
                    .getCertStatus() instanceof RevokedStatus, "the other node answers revoked");
            awaitTrue(() -> other.publishedFor("max@example.org").isEmpty(), "the other node stops publishing the revoked certificate");

            ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN);
            awaitTrue(() -> other.issuer("issuing-2").map(i -> i.state() == IssuerRecord.State.ACTIVE).orElse(false), "the other node sees issuing-2");
            assertThat(other.issue(IssueRequest.mailbox("mailbox-signing", csr(TestRequests.ec("secp256r1")), "max@example.org"), OFFICER).issuerId())
                    .isEqualTo("issuing-2");
        }
    }

    /**
     * Two nodes rolling over at once, and one rolling over on a view of the issuers that is seconds old: each rollover
     * ends with a new issuing CA or a 409; every CA certificate the root signed is in the store; one issuing CA is active.
     */
    @Test
    void rolloversOnTwoNodesAtOnceLeaveOneActiveIssuerAndNoCertificateOutsideTheStore() throws Exception {
        try (CertificateAuthority other = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()))) {
            ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN);
            assertThat(other.rollover(IssuerRecord.Kind.ISSUING, ADMIN).id()).as("the other node reads the store, not its copy from before the first rollover").isEqualTo("issuing-3");
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 4; round++) {
                    List<Future<IssuerRecord>> rollovers = List.of(pool.submit(() -> ca.rollover(IssuerRecord.Kind.ISSUING, ADMIN)), pool.submit(() -> other.rollover(IssuerRecord.Kind.ISSUING, ADMIN)));
                    int made = 0;
                    for (Future<IssuerRecord> rollover : rollovers) {
                        try {
                            rollover.get();
                            made++;
                        } catch (java.util.concurrent.ExecutionException e) {
                            assertThat(e.getCause()).isInstanceOf(LetterlockException.class);
                            assertThat(((LetterlockException) e.getCause()).type()).as(String.valueOf(e.getCause())).isEqualTo(ErrorType.CONFLICT);
                        }
                    }
                    assertThat(made).isPositive();
                }
            } finally {
                pool.shutdownNow();
            }
            List<IssuerRecord> issuers = new JdbcCertificateStore(platform.database().dataSource()).issuers();
            assertThat(issuers.stream().filter(i -> i.kind() == IssuerRecord.Kind.ISSUING && i.state() == IssuerRecord.State.ACTIVE)).hasSize(1);
            for (IssuerRecord issuer : issuers.stream().filter(i -> i.kind() == IssuerRecord.Kind.ISSUING && i.certificate().isPresent()).toList()) {
                assertThat(ca.find(issuer.requireCertificate().getSerialNumber())).as(issuer.id() + "'s certificate in the store").isPresent();
            }
            assertThat(issuers.stream().filter(i -> i.kind() == IssuerRecord.Kind.ISSUING && i.certificate().isEmpty()))
                    .as("an id taken by a rollover that lost the race is certified").isEmpty();
            verifiedMailbox("nora@example.org", "nora");
            IssuerRecord active = issuers.stream().filter(i -> i.state() == IssuerRecord.State.ACTIVE && i.kind() == IssuerRecord.Kind.ISSUING).findFirst().orElseThrow();
            for (CertificateAuthority node : List.of(ca, other)) {
                awaitTrue(() -> node.issue(IssueRequest.mailbox("mailbox-signing", csr(TestRequests.ec("secp256r1")), "nora@example.org"), OFFICER).issuerId()
                        .equals(active.id()), "both nodes issue under " + active.id());
            }
        }
    }

    /** Activations racing on two nodes, the later rollover's first or last: the later issuer is the one active, and only it. */
    @Test
    void activationsAtOnceLeaveTheLaterIssuerActiveAlone() throws Exception {
        JdbcCertificateStore store = new JdbcCertificateStore(platform.database().dataSource());
        IssuerRecord current = ca.issuer("issuing-1").orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 6; round++) {
                clock.advance(Duration.ofSeconds(10));
                List<String> ids = List.of("issuing-" + (100 + 2 * round), "issuing-" + (101 + 2 * round));
                for (int i = 0; i < 2; i++) {
                    store.insertIssuer(new IssuerRecord(ids.get(i), IssuerRecord.Kind.ISSUING, IssuerRecord.State.PENDING, current.key(), current.subject(),
                            Optional.empty(), Optional.empty(), clock.instant().plusSeconds(i), Optional.empty(), Optional.empty()));
                }
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                List<Future<String>> activations = ids.stream().map(id -> pool.submit(() -> {
                    together.await();
                    try {
                        store.activate(id, current.requireCertificate());
                        return id;
                    } catch (LetterlockException e) {
                        assertThat(e.type()).as(e.getMessage()).isEqualTo(ErrorType.CONFLICT);
                        return "refused " + id;
                    }
                })).toList();
                for (Future<String> activation : activations) {
                    activation.get();
                }
                assertThat(store.issuers().stream().filter(i -> i.kind() == IssuerRecord.Kind.ISSUING && i.state() == IssuerRecord.State.ACTIVE))
                        .extracting(IssuerRecord::id).as("round " + round).containsExactly(ids.get(1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Check check, String what) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + " within 10 s");
    }

    /** A mail host's certificate, checked by openssl verify and by a real TLS handshake (openssl s_server and s_client). */
    @Test
    void aTlsServerCertificateCarriesATlsHandshakeWithHostnameCheck() throws Exception {
        KeyPair keys = TestRequests.ec("secp256r1");
        IssuedCertificate host = ca.issue(new IssueRequest("tls-server", Optional.of(TestRequests.csr(keys, "CN=ignored", List.of()).getEncoded()),
                Optional.empty(), Optional.empty(), List.of("mx.example.org", "imap.example.org"), Optional.empty(), OptionalInt.empty(), false), OFFICER);
        assertThat(verify(host, "sslserver").exit()).isZero();
        assertThat(verify(host, "smimesign").exit()).as("a TLS certificate is not for mail signing").isNotZero();

        tools.write("host.key", Certificates.pem("PRIVATE KEY", keys.getPrivate().getEncoded()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Path chain = tools.pem("host-chain", host.holder(), tlsIssuing());
        Path root = tools.pem("tls-root", root());
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert", chain.toString(), "-key",
                work.resolve("host.key").toString(), "-cert_chain", chain.toString(), "-naccept", "2", "-quiet")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("s_server.log").toFile()).start();
        try {
            Tools.Run good = null;
            for (int attempt = 0; attempt < 50 && (good == null || good.output().contains("connect:errno")); attempt++) {
                Thread.sleep(100);
                good = tools.run("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "mx.example.org", "-verify_hostname", "mx.example.org",
                        "-verify_return_error", "-CAfile", root.toString(), "-brief");
            }
            assertThat(good.output()).as(good.output()).contains("Verification: OK");
            Tools.Run wrongName = tools.run("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-verify_hostname", "smtp.example.net",
                    "-verify_return_error", "-CAfile", root.toString(), "-brief");
            assertThat(wrongName.output()).contains("hostname mismatch");
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void ownersRevokeTheirOwnCertificatesOnly() throws Exception {
        verifiedMailbox("ivy@example.org", "ivy");
        Requester ivy = new Requester("ivy", Set.of(Role.MAILBOX_OWNER));
        IssuedCertificate mine = issue("mailbox-signing", TestRequests.ec("secp256r1"), "ivy@example.org", ivy);
        IssuedCertificate theirs = issue("mailbox-signing", TestRequests.ec("secp256r1"), "jack@example.org", OFFICER);
        assertThatThrownBy(() -> ca.revoke(theirs.serial(), RevocationReason.KEY_COMPROMISE, false, ivy)).hasMessageContaining("not a mailbox of ivy");
        assertThat(ca.revoke(mine.serial(), RevocationReason.KEY_COMPROMISE, false, ivy)).hasSize(1);
        assertThat(new JdbcCertificateStore(platform.database().dataSource()).certificate(theirs.serial()).orElseThrow().revoked()).isFalse();
    }

    private AuditRecord lastAudit(String action) {
        List<AuditRecord> records = platform.auditLog().read(0, 100_000);
        for (int i = records.size() - 1; i >= 0; i--) {
            if (records.get(i).event().action().equals(action)) {
                return records.get(i);
            }
        }
        throw new AssertionError("no audit record " + action);
    }

    private Tools.Run verifyTlsServer(IssuedCertificate leaf, String check, String name) throws Exception {
        return tools.openssl("verify", "-CAfile", tools.pem("root", root()).toString(), "-untrusted", tools.pem("tls-issuing", tlsIssuing()).toString(),
                "-purpose", "sslserver", "-attime", Long.toString(clock.instant().getEpochSecond()), check, name, tools.pem("tls-leaf", leaf.holder()).toString());
    }

    @Test
    void tlsIdentityIsCertifiedForItsHostsAndRenewedBeforeItExpires() throws Exception {
        List<String> hosts = List.of("keys.example.org", "127.0.0.1", "::1", "localhost");
        String token = platform.config().vault().tokenLabel();
        try (TlsIdentity identity = TlsIdentity.start(ca, platform.vault(), token, hosts, clock)) {
            IssuedCertificate first = identity.certificate().orElseThrow();
            assertThat(first.profile()).isEqualTo(Profiles.TLS_SERVER.name());
            for (String[] check : new String[][] {{"-verify_hostname", "keys.example.org"}, {"-verify_hostname", "localhost"}, {"-verify_ip", "127.0.0.1"},
                    {"-verify_ip", "::1"}}) {
                Tools.Run run = verifyTlsServer(first, check[0], check[1]);
                assertThat(run.exit()).as(String.join(" ", check) + ": " + run.output()).isZero();
            }
            assertThat(verifyTlsServer(first, "-verify_hostname", "other.example.org").exit()).isNotZero();
            assertThat(verifyTlsServer(first, "-verify_ip", "127.0.0.2").exit()).isNotZero();

            try (TlsIdentity restarted = TlsIdentity.start(ca, platform.vault(), token, hosts, clock)) {
                assertThat(restarted.certificate().orElseThrow().serial()).as("a restart keeps the stored certificate").isEqualTo(first.serial());
            }
            clock.advance(TlsIdentity.VALIDITY.multipliedBy(2).dividedBy(3).minusDays(1));
            identity.renewIfDue();
            assertThat(identity.certificate().orElseThrow().serial()).isEqualTo(first.serial());
            clock.advance(Duration.ofDays(2));
            identity.renewIfDue();
            IssuedCertificate renewed = identity.certificate().orElseThrow();
            assertThat(renewed.serial()).isNotEqualTo(first.serial());
            assertThat(renewed.notAfter()).isAfter(first.notAfter());
            assertThat(Certificates.der(renewed.holder().getSubjectPublicKeyInfo())).as("the key stays").isEqualTo(Certificates.der(first.holder().getSubjectPublicKeyInfo()));

            ca.revoke(renewed.serial(), RevocationReason.KEY_COMPROMISE, false, ADMIN);
            identity.renewIfDue();
            assertThat(identity.certificate().orElseThrow().serial()).as("a revoked certificate is replaced").isNotEqualTo(renewed.serial());
        }
        try (TlsIdentity renamed = TlsIdentity.start(ca, platform.vault(), token, List.of("ldap.example.org"), clock)) {
            IssuedCertificate certificate = renamed.certificate().orElseThrow();
            assertThat(verifyTlsServer(certificate, "-verify_hostname", "ldap.example.org").exit()).isZero();
            assertThat(verifyTlsServer(certificate, "-verify_hostname", "keys.example.org").exit()).as("other host names, another certificate").isNotZero();
        }
    }
}
