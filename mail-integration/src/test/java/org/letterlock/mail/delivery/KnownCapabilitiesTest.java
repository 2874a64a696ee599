package org.letterlock.mail.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.ca.TestRequests;
import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.policy.CapabilityStore;
import org.letterlock.mail.queue.Envelope;
import org.letterlock.mail.smime.SignedMessages;
import org.letterlock.mail.smime.SmimeCapabilities;
import org.letterlock.mail.smime.SmimeChoice.KnownRecipient;
import org.letterlock.platform.audit.AuditEvent;
import org.letterlock.platform.audit.AuditRecord;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.TestDatabases;

/**
 * Which source of a recipient certificate's capabilities wins (signed mail, then the certificate's extension, then
 * nothing), that learned capabilities apply only to certificates from the signer's own CA, and that a signingTime far
 * ahead of the clock is not stored.
 */
class KnownCapabilitiesTest {
    private static final String BOB = "bob@example.org";

    @TempDir
    Path dataDir;

    private final MovableClock clock = new MovableClock();
    private Letterlock platform;
    private CapabilityStore store;
    private KeyPair caKeys;
    private X509Certificate ca;
    private KnownCapabilities known;

    @BeforeEach
    void start() throws Exception {
        Map<String, String> settings = new HashMap<>(TestDatabases.h2(dataDir));
        settings.put("letterlock.data-dir", dataDir.toString());
        settings.put("letterlock.vault.type", "memory");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        store = new CapabilityStore(platform.database().dataSource());
        caKeys = TestRequests.rsa(2048);
        ca = certificate("CN=Bob's CA", caKeys, "CN=Bob's CA", caKeys, null, null);
        known = new KnownCapabilities(store, List.of(ca), platform.auditLog(), clock);
    }

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void signedMailWinsOverTheCertificateAndAppliesOnlyToCertificatesFromTheSignersCa() throws Exception {
        KeyPair bobKeys = TestRequests.rsa(2048);
        X509Certificate signing = certificate("CN=" + BOB, bobKeys, "CN=Bob's CA", caKeys, BOB, null);
        X509Certificate encryption = certificate("CN=" + BOB, TestRequests.rsa(2048), "CN=Bob's CA", caKeys, BOB,
                new SmimeCapabilities(List.of(NISTObjectIdentifiers.id_aes128_CBC)).encoded());
        KeyPair otherCaKeys = TestRequests.rsa(2048);
        X509Certificate fromAnotherCa = certificate("CN=" + BOB, TestRequests.rsa(2048), "CN=Another CA", otherCaKeys, BOB, null);
        assertThat(known.of(BOB, encryption).source()).isEqualTo("certificate");

        learn(SignedMessages.detachedSignature(signing, bobKeys.getPrivate(), Optional.of(clock.instant()), NISTObjectIdentifiers.id_aes256_GCM));

        KnownRecipient learned = known.of(BOB, encryption);
        assertThat(learned.source()).isEqualTo("signed-mail");
        assertThat(learned.capabilities().orElseThrow().readsAes256Gcm()).isTrue();
        assertThat(known.of(BOB, fromAnotherCa)).isEqualTo(KnownRecipient.unknown(fromAnotherCa));
        assertThat(known.of("carol@example.org", encryption).source()).as("another address").isEqualTo("certificate");
    }

    @Test
    void aSigningTimeMoreThanTheClockSkewAheadIsNotStored() throws Exception {
        KeyPair bobKeys = TestRequests.rsa(2048);
        X509Certificate signing = certificate("CN=" + BOB, bobKeys, "CN=Bob's CA", caKeys, BOB, null);
        Instant ahead = clock.instant().plus(KnownCapabilities.CLOCK_SKEW).plusSeconds(60);

        learn(SignedMessages.detachedSignature(signing, bobKeys.getPrivate(), Optional.of(ahead), NISTObjectIdentifiers.id_aes256_GCM));

        assertThat(store.find(BOB, ca.getSubjectX500Principal().getName())).isEmpty();
        assertThat(audited()).anyMatch(detail -> detail.contains("is in the future"));
    }

    @Test
    void aCertificateExtensionThatDoesNotDecodeLeavesTheRecipientUnknown() throws Exception {
        X509Certificate broken = certificate("CN=" + BOB, TestRequests.rsa(2048), "CN=Bob's CA", caKeys, BOB, new byte[] {0x30, 0x03, 0x06, 0x01});

        assertThat(known.of(BOB, broken)).isEqualTo(KnownRecipient.unknown(broken));
    }

    private void learn(byte[] signature) throws Exception {
        byte[] message = SignedMessages.multipartSigned(BOB, signature);
        HeaderSection headers = HeaderSection.read(new ByteArrayInputStream(message), 1 << 20);
        Envelope envelope = new Envelope("m1", clock.instant(), BOB, "127.0.0.1", false, List.of(Envelope.Recipient.pending("erin@partner.test", clock.instant())));
        known.learnFrom(envelope, headers, () -> new ByteArrayInputStream(message));
    }

    private List<String> audited() throws Exception {
        for (int i = 0; i < 100; i++) {
            List<String> details = platform.auditLog().read(0, 1000).stream().map(AuditRecord::event)
                    .filter(e -> e.action().equals("gateway.smime-capabilities")).map(AuditEvent::detail).toList();
            if (!details.isEmpty()) {
                return details;
            }
            Thread.sleep(100);
        }
        return List.of();
    }

    /** A certificate for {@code subject}, issued by {@code issuer}: a CA when {@code mailbox} is null, else for that mailbox, with an SMIMECapabilities extension if given. */
    private static X509Certificate certificate(String subject, KeyPair keys, String issuer, KeyPair issuerKeys, String mailbox, byte[] capabilities) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(System.nanoTime()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), new X500Name(subject), keys.getPublic());
        if (mailbox == null) {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
        } else {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, mailbox)));
        }
        if (capabilities != null) {
            builder.addExtension(SmimeCapabilities.OID, false, capabilities);
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(TestRequests.BC)
                .build(issuerKeys.getPrivate())));
    }
}
