package org.letterlock.enroll.est;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.smime.SMIMECapabilities;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.letterlock.vault.KeySpec;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.enroll.EnrollmentProof;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.identity.Role;

/**
 * What EST refuses, as Java's HTTP client sees it: each bad request gets its status and a plain-text message that
 * says what is wrong, is audited, and issues nothing; random and mutated bodies never make the server fail.
 */
class EstRefusalsTest {
    private static final Requester OFFICER = new Requester("rita", Set.of(Role.RA_OFFICER));

    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static HttpClient anonymous;
    /** TLS with a current signing certificate of {@link #holder}, and with a revoked one. */
    static HttpClient current;
    static HttpClient revoked;
    /** TLS with {@link #holder}'s current encryption certificate, whose key escrow may have handed to someone else. */
    static HttpClient encryption;
    static String holder;
    static IssuedCertificate holderCertificate;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EnrollFixture(work);
        anonymous = HttpClient.newBuilder().sslContext(fixture.clientTls()).build();
        holder = EnrollFixture.newMailbox("holder");
        current = HttpClient.newBuilder().sslContext(tlsWithCertificate(holder, false)).build();
        revoked = HttpClient.newBuilder().sslContext(tlsWithCertificate(EnrollFixture.newMailbox("revoked"), true)).build();
        KeyPair encryptionKeys = ec("secp256r1");
        IssuedCertificate encryptionCertificate = fixture.ca.issue(new org.letterlock.ca.IssueRequest("mailbox-encryption", java.util.Optional.empty(),
                java.util.Optional.of(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(encryptionKeys.getPublic().getEncoded())), java.util.Optional.of(holder),
                List.of(), holderCertificate.pairId(), java.util.OptionalInt.empty(), false), OFFICER);
        encryption = HttpClient.newBuilder().sslContext(tls(encryptionKeys, encryptionCertificate)).build();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // name                                        | method | path                      | credential   | content type       | body             | status | message
            "rejects/no-credentials                        | POST   | simpleenroll              | none         | application/pkcs10 | csr              | 401    | ''",
            "rejects/wrong-secret                          | POST   | simpleenroll              | wrong-secret | application/pkcs10 | csr              | 401    | no open enrollment secret",
            "rejects/basic-user-not-an-address             | POST   | simpleenroll              | not-address  | application/pkcs10 | csr              | 401    | the HTTP Basic user must be your mailbox address",
            "rejects/revoked-client-certificate            | POST   | simpleenroll              | revoked-tls  | application/pkcs10 | csr              | 401    | not a current certificate of this CA",
            "rejects/encryption-certificate-over-tls       | POST   | simpleenroll              | encryption-tls | application/pkcs10 | csr            | 401    | not for signing",
            "rejects/serverkeygen-with-encryption-cert-tls | POST   | serverkeygen              | encryption-tls | application/pkcs10 | csr            | 401    | not for signing",
            "rejects/json-instead-of-pkcs10                | POST   | simpleenroll              | secret       | application/json   | csr              | 415    | send the CSR as application/pkcs10",
            "rejects/empty-body                            | POST   | simpleenroll              | secret       | application/pkcs10 | empty            | 400    | the request body is empty",
            "rejects/not-base64                            | POST   | simpleenroll              | secret       | application/pkcs10 | not-base64       | 400    | not base64",
            "rejects/not-a-csr                             | POST   | simpleenroll              | secret       | application/pkcs10 | garbage          | 400    | not a PKCS#10 certificate request",
            "rejects/csr-for-another-mailbox               | POST   | simpleenroll              | secret       | application/pkcs10 | csr-other        | 400    | but the credentials are for",
            "rejects/csr-with-a-broken-signature           | POST   | simpleenroll              | secret       | application/pkcs10 | csr-bad-sig      | 400    | proof of possession failed",
            "rejects/rsa-1024-key                          | POST   | simpleenroll              | secret       | application/pkcs10 | csr-rsa1024      | 400    | RSA keys must have 2048 to 8192 bits",
            "rejects/oversized-body                        | POST   | simpleenroll              | secret       | application/pkcs10 | huge             | 413    | larger than",
            "rejects/reenroll-with-a-secret                | POST   | simplereenroll            | secret       | application/pkcs10 | csr              | 401    | authenticates with the current signing certificate",
            "rejects/reenroll-with-another-subject         | POST   | simplereenroll            | current-tls  | application/pkcs10 | csr-other-subject| 400    | is not the current certificate's",
            "rejects/reenroll-for-another-mailbox          | POST   | simplereenroll            | current-tls  | application/pkcs10 | csr-other        | 400    | is not the current certificate's",
            "rejects/serverkeygen-for-another-mailbox      | POST   | serverkeygen              | secret       | application/pkcs10 | csr-other        | 400    | but the credentials are for",
            "rejects/serverkeygen-key-kind-not-made        | POST   | serverkeygen              | secret       | application/pkcs10 | csr-p521         | 400    | names no kind of key escrow makes",
            "rejects/serverkeygen-symmetric-key-id         | POST   | serverkeygen              | secret       | application/pkcs10 | csr-symmetric-id | 400    | this server shares none with clients",
            "rejects/serverkeygen-unknown-key-id           | POST   | serverkeygen              | secret       | application/pkcs10 | csr-unknown-id   | 400    | no current certificate of",
            "rejects/serverkeygen-key-id-of-revoked-cert   | POST   | serverkeygen              | secret       | application/pkcs10 | csr-revoked-id   | 400    | no current certificate of",
            "rejects/serverkeygen-key-id-of-signing-cert   | POST   | serverkeygen              | current-tls  | application/pkcs10 | csr-signing-id   | 400    | is not for key management: its keyUsage lacks keyAgreement",
            "rejects/serverkeygen-key-id-of-own-signing-cert| POST  | serverkeygen              | secret       | application/pkcs10 | csr-own-signing-id| 400   | is not for key management: its keyUsage lacks keyAgreement",
            "rejects/serverkeygen-wrong-secret-naming-a-cert| POST  | serverkeygen              | wrong-secret | application/pkcs10 | csr-own-signing-id| 401   | no open enrollment secret",
            "rejects/serverkeygen-key-id-not-octets        | POST   | serverkeygen              | secret       | application/pkcs10 | csr-id-not-octets| 400    | must occur once with one OCTET STRING",
            "rejects/serverkeygen-no-cipher-offered        | POST   | serverkeygen              | secret       | application/pkcs10 | csr-des-only     | 400    | list no content-encryption algorithm offered here",
            "rejects/get-on-simpleenroll                   | GET    | simpleenroll              | secret       | ''                 | empty            | 405    | simpleenroll takes POST",
            "rejects/post-on-cacerts                       | POST   | cacerts                   | none         | application/pkcs10 | csr              | 405    | cacerts takes GET",
            "rejects/unknown-label                         | GET    | tls/cacerts               | none         | ''                 | empty            | 404    | the labels are [smime]",
            "rejects/nested-label                          | GET    | smime/smime/cacerts       | none         | ''                 | empty            | 404    | the labels are [smime]",
            "rejects/unsupported-operation                 | POST   | fullcmc                   | secret       | application/pkcs10 | csr              | 404    | the operations are",
    })
    void badRequestsAreRefusedAuditedAndIssueNothing(String name, String method, String path, String credential, String type, String body, int status,
                                                      String message) throws Exception {
        String mailbox = credential.endsWith("-tls") && !credential.equals("revoked-tls") ? holder : EnrollFixture.newMailbox("refused");
        String secret = fixture.officerSecret(mailbox);
        byte[] content = body(body, mailbox);
        long auditedBefore = lastAuditSeq();
        int issuedBefore = issued(mailbox);

        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.url() + "/.well-known/est/" + path)).timeout(Duration.ofSeconds(30));
        switch (credential) {
            case "secret" -> request.header("Authorization", basic(mailbox, secret));
            case "wrong-secret" -> request.header("Authorization", basic(mailbox, "AAAA-BBBB-CCCC-DDDD-EEEE"));
            case "not-address" -> request.header("Authorization", basic("just-a-name", secret));
            default -> { }
        }
        if (!type.isEmpty()) {
            request.header("Content-Type", type);
        }
        request.method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(content));
        HttpClient client = switch (credential) {
            case "current-tls" -> current;
            case "revoked-tls" -> revoked;
            case "encryption-tls" -> encryption;
            default -> anonymous;
        };
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains(message).doesNotContain("Exception");
        if (status == 401) {
            assertThat(fixture.ca.search(mailbox, null, null, 1000, OFFICER)).as("an unauthenticated caller learns nothing of the mailbox's certificates")
                    .allSatisfy(c -> assertThat(response.body()).doesNotContain(c.serialHex()).doesNotContain(c.profile()));
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm="));
        }
        if (!response.body().isEmpty()) {
            assertThat(response.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
        }
        assertThat(issued(mailbox)).as("nothing issued").isEqualTo(issuedBefore);
        if (credential.equals("secret")) {
            assertThat(fixture.services.secrets().open(mailbox, "cmp", "192.0.2.1")).as("a refused request leaves the secret to try again with").isNotEmpty();
        }
        List<AuditRecord> audited = fixture.platform.auditLog().read(auditedBefore, 1000);
        assertThat(audited).as("the refusal is audited").anyMatch(r -> r.event().outcome() != Outcome.ALLOWED && !r.event().action().startsWith("enroll.secret.issue"));
    }

    /** Random bytes and mutations of a good request, over every operation and credential: answered, never with a 500. */
    @Test
    void randomAndMutatedBodiesNeverFailTheServer() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] good = csr(holder, holder, "CN=" + holder, ec("secp256r1"));
        List<String> operations = List.of("simpleenroll", "simplereenroll", "serverkeygen", "smime/simpleenroll", "csrattrs", "cacerts");
        List<String> types = List.of("application/pkcs10", "application/pkcs10", "application/pkcs10", "text/plain", "");
        for (int i = 0; i < 200; i++) {
            byte[] der = switch (random.nextInt(4)) {
                case 0 -> randomBytes(random, random.nextInt(600));
                case 1 -> flip(random, good.clone());
                case 2 -> java.util.Arrays.copyOf(good, random.nextInt(good.length));
                default -> splice(random, good);
            };
            byte[] body = switch (random.nextInt(3)) {
                case 0 -> der;
                case 1 -> Base64.getMimeEncoder().encode(der);
                default -> ("-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END").getBytes(StandardCharsets.US_ASCII);
            };
            String operation = operations.get(random.nextInt(operations.size()));
            String type = types.get(random.nextInt(types.size()));
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.url() + "/.well-known/est/" + operation)).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (!type.isEmpty()) {
                request.header("Content-Type", type);
            }
            if (random.nextInt(4) == 0) {
                request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(randomBytes(random, random.nextInt(40))));
            }
            HttpClient client = random.nextBoolean() ? current : anonymous;
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).as("seed " + seed + ", request " + i + " to " + operation + ": " + response.body()).isBetween(200, 499);
        }
    }

    private static byte[] body(String kind, String mailbox) throws Exception {
        return switch (kind) {
            case "csr" -> base64(csr(mailbox, mailbox, "CN=" + mailbox, ec("secp256r1")));
            case "csr-other" -> base64(csr(mailbox, "someone-else@example.org", "CN=" + mailbox, ec("secp256r1")));
            case "csr-other-subject" -> base64(csr(mailbox, mailbox, "CN=someone else", ec("secp256r1")));
            case "csr-bad-sig" -> {
                byte[] der = csr(mailbox, mailbox, "CN=" + mailbox, ec("secp256r1"));
                der[der.length - 3] ^= 0x01;
                yield base64(der);
            }
            case "csr-rsa1024" -> base64(csr(mailbox, mailbox, "CN=" + mailbox, rsa(1024)));
            case "csr-p521" -> base64(csr(mailbox, mailbox, "CN=" + mailbox, ec("secp521r1")));
            case "csr-symmetric-id" -> base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.DECRYPT_KEY_ID, new byte[16]));
            case "csr-unknown-id" -> base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, new byte[20]));
            case "csr-revoked-id" -> {
                IssuedCertificate encryption = fixture.services.mailboxes().encryptionKey(Optional.empty(), Optional.of(KeySpec.EC_P256),
                        new EnrollmentProof(mailbox, "test", "fixture")).certificate();
                fixture.ca.revoke(encryption.serial(), RevocationReason.SUPERSEDED, false, OFFICER);
                yield base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, subjectKeyId(encryption)));
            }
            case "csr-own-signing-id" -> {
                IssuedCertificate signing = fixture.services.mailboxes().signingCertificate(csr(mailbox, mailbox, "CN=" + mailbox, ec("secp256r1")),
                        new EnrollmentProof(mailbox, "test", "fixture"));
                yield base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, subjectKeyId(signing)));
            }
            case "csr-signing-id" -> base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, subjectKeyId(holderCertificate)));
            case "csr-id-not-octets" -> base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, new DERUTF8String("my key")));
            case "csr-des-only" -> {
                SMIMECapabilityVector capabilities = new SMIMECapabilityVector();
                capabilities.addCapability(SMIMECapability.dES_EDE3_CBC);
                yield base64(EstCsrs.asking(mailbox, ec("secp256r1"), KeyEncryptionRequest.ASYMMETRIC_DECRYPT_KEY_ID, new byte[20],
                        PKCSObjectIdentifiers.pkcs_9_at_smimeCapabilities, new SMIMECapabilities(new org.bouncycastle.asn1.DERSequence(capabilities.toASN1EncodableVector()))));
            }
            case "empty" -> new byte[0];
            case "not-base64" -> "%%% this is not base64 %%%".getBytes(StandardCharsets.US_ASCII);
            case "garbage" -> base64("certainly not DER".getBytes(StandardCharsets.US_ASCII));
            case "huge" -> new byte[200_000];
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static byte[] csr(String mailbox, String named, String subject, KeyPair keys) throws Exception {
        return request(named, subject, keys).build(new JcaContentSignerBuilder(keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA")
                .build(keys.getPrivate())).getEncoded();
    }

    private static JcaPKCS10CertificationRequestBuilder request(String named, String subject, KeyPair keys) throws Exception {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, named)));
        return (JcaPKCS10CertificationRequestBuilder) new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
    }

    /** A client TLS context with a signing certificate the CA issued for {@code mailbox} (revoked if asked). */
    private static SSLContext tlsWithCertificate(String mailbox, boolean revoke) throws Exception {
        KeyPair keys = ec("secp256r1");
        IssuedCertificate certificate = fixture.services.mailboxes().signingCertificate(csr(mailbox, mailbox, "CN=" + mailbox, keys),
                new EnrollmentProof(mailbox, "test", "fixture"));
        if (revoke) {
            fixture.ca.revoke(certificate.serial(), RevocationReason.KEY_COMPROMISE, false, OFFICER);
        } else {
            holderCertificate = certificate;
        }
        return tls(keys, certificate);
    }

    private static SSLContext tls(KeyPair keys, IssuedCertificate certificate) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", keys.getPrivate(), "client".toCharArray(), new X509Certificate[] {Certificates.x509(certificate.holder())});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, "client".toCharArray());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", Certificates.x509(fixture.ca.issuer("root").orElseThrow().requireCertificate()));
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }

    private static byte[] subjectKeyId(IssuedCertificate certificate) {
        return SubjectKeyIdentifier.fromExtensions(certificate.holder().getExtensions()).getKeyIdentifier();
    }

    private static int issued(String mailbox) {
        return fixture.ca.search(mailbox, null, null, 1000, OFFICER).size();
    }

    private static long lastAuditSeq() {
        List<AuditRecord> all = fixture.platform.auditLog().read(0, Integer.MAX_VALUE);
        return all.isEmpty() ? 0 : all.get(all.size() - 1).seq();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] base64(byte[] der) {
        return Base64.getMimeEncoder().encode(der);
    }

    private static KeyPair ec(String curve) throws Exception {
        return EstCsrs.ec(curve);
    }

    private static KeyPair rsa(int bits) throws Exception {
        return EstCsrs.rsa(bits);
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] flip(Random random, byte[] der) {
        for (int k = 1 + random.nextInt(4); k > 0; k--) {
            der[random.nextInt(der.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return der;
    }

    private static byte[] splice(Random random, byte[] der) {
        int at = random.nextInt(der.length);
        byte[] inserted = randomBytes(random, 1 + random.nextInt(16));
        byte[] out = new byte[der.length + inserted.length];
        System.arraycopy(der, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(der, at, out, at + inserted.length, der.length - at);
        return out;
    }
}
