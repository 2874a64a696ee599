package org.letterlock.mail.smime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMEAttributes;
import org.bouncycastle.asn1.smime.SMIMECapabilities;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.ca.Profiles;
import org.letterlock.ca.TestRequests;
import org.letterlock.ca.Tools;
import org.letterlock.mail.smime.TestCertificates.Holder;
import org.letterlock.mail.smime.TestCertificates.Organisation;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;

/**
 * S/MIME signing with the organisation's key in the vault, checked by OpenSSL 3.0 as a recipient's client would:
 * the signature verifies to the CA's root for S/MIME signing and gives back the entity byte for byte; a changed
 * entity fails; signed then encrypted, the message decrypts and verifies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmimeSignatureTest {
    private static final Pattern MULTIPART = Pattern.compile("""
            Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r
            \tmicalg=(sha-\\d+); boundary="(=_[0-9a-f]{32})"\r
            \r
            """);

    @TempDir
    Path dir;

    private TestCertificates certificates;
    private Tools tools;
    private final Map<KeySpec, Organisation> organisations = new EnumMap<>(KeySpec.class);

    @BeforeAll
    void organisationKeys() {
        certificates = new TestCertificates();
        for (KeySpec spec : List.of(KeySpec.EC_P256, KeySpec.EC_P384, KeySpec.RSA_3072, KeySpec.ED25519)) {
            organisations.put(spec, certificates.organisation(spec, "postmaster@example.org"));
        }
    }

    @BeforeEach
    void toolsInThisTestsFolder() {
        tools = new Tools(dir);
    }

    @AfterAll
    void closeVault() {
        certificates.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"EC_P256, sha-256", "EC_P384, sha-384", "RSA_3072, sha-256"})
    void opensslVerifiesTheSignatureToTheRootAndGivesBackTheEntity(KeySpec spec, String micalg) throws Exception {
        byte[] signed = sign(signature(spec), SmimeEncryptionTest.ENTITY);

        assertThat(multipartHeader(signed).group(1)).isEqualTo(micalg);
        Path content = dir.resolve("content-" + spec);
        Tools.Run run = verify(Files.write(dir.resolve("signed-" + spec + ".eml"), signed), content);
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("Verification successful");
        assertThat(content).hasBinaryContent(SmimeEncryptionTest.ENTITY);
    }

    @Test
    void aChangedEntityFailsVerification() throws Exception {
        String signed = new String(sign(signature(KeySpec.EC_P256), SmimeEncryptionTest.ENTITY), StandardCharsets.UTF_8);
        Path changed = Files.writeString(dir.resolve("changed.eml"), signed.replace("Grüße aus Köln", "Grüße aus Bonn"));

        Tools.Run run = verify(changed, dir.resolve("changed.out"));
        assertThat(run.exit()).isNotZero();
        assertThat(run.output()).contains("CMS Verification failure", "content verify error");
    }

    @Test
    void theOutputIsMultipartSignedWithTheEntityUnchangedShortSignatureLinesAndTheStreamStaysOpen() throws Exception {
        SmimeEncryptionTest.CloseRecordingStream out = new SmimeEncryptionTest.CloseRecordingStream();
        try (OutputStream entity = signature(KeySpec.EC_P256).open(out)) {
            entity.write(SmimeEncryptionTest.ENTITY);
        }
        byte[] signed = out.toByteArray();
        Matcher header = multipartHeader(signed);
        String boundary = header.group(2);
        String text = new String(signed, StandardCharsets.UTF_8);
        String firstPart = "--" + boundary + "\r\n" + new String(SmimeEncryptionTest.ENTITY, StandardCharsets.UTF_8) + "\r\n--" + boundary + "\r\n";
        String signatureHeader = "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n";

        assertThat(out.closed).isFalse();
        assertThat(text.substring(header.end())).startsWith(firstPart + signatureHeader).endsWith("\r\n--" + boundary + "--\r\n");
        String signatureBody = text.substring(header.end() + firstPart.length() + signatureHeader.length(), text.length() - boundary.length() - 6);
        assertThat(signatureBody).endsWith("\r\n");
        assertThat(signatureBody.split("\r\n")).allSatisfy(line -> assertThat(line).hasSizeBetween(1, 76).matches("[A-Za-z0-9+/=]+"));
        assertThat(multipartHeader(sign(signature(KeySpec.EC_P256), SmimeEncryptionTest.ENTITY)).group(2)).isNotEqualTo(boundary);
    }

    @Test
    void theSignatureCarriesTheChainAndSmimeCapabilitiesStrongestFirst() throws Exception {
        Organisation organisation = organisations.get(KeySpec.EC_P256);
        CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(SmimeEncryptionTest.ENTITY), signatureDer(sign(signature(KeySpec.EC_P256), SmimeEncryptionTest.ENTITY)));
        SignerInformation signer = cms.getSignerInfos().getSigners().iterator().next();

        assertThat(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(TestRequests.BC).build(organisation.certificate()))).isTrue();
        assertThat(cms.getCertificates().getMatches(null)).extracting(X509CertificateHolder::getSubject).map(Object::toString)
                .containsExactlyInAnyOrder("CN=postmaster@example.org", "CN=Letterlock Test Issuing CA,O=Example");
        Attribute attribute = signer.getSignedAttributes().get(SMIMEAttributes.smimeCapabilities);
        List<ASN1ObjectIdentifier> capabilities = SMIMECapabilities.getInstance(attribute.getAttrValues().getObjectAt(0)).getCapabilities(null).stream()
                .map(c -> ((SMIMECapability) c).getCapabilityID()).toList();
        assertThat(capabilities).containsExactly(NISTObjectIdentifiers.id_aes256_GCM, NISTObjectIdentifiers.id_aes128_GCM,
                NISTObjectIdentifiers.id_aes256_CBC, NISTObjectIdentifiers.id_aes128_CBC);
    }

    @Test
    void signedThenEncryptedTheMessageDecryptsAndVerifies() throws Exception {
        Holder bob = certificates.mailbox(Profiles.MAILBOX_ENCRYPTION, TestRequests.rsa(2048), "bob@example.org");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypted = SmimeEncryption.toCertificates(List.of(bob.certificate()), ContentCipher.AES256_GCM).open(out);
             OutputStream signed = signature(KeySpec.EC_P256).open(encrypted)) {
            signed.write(SmimeEncryptionTest.ENTITY);
        }
        Path message = Files.write(dir.resolve("signed-encrypted.eml"), out.toByteArray());

        Path inner = dir.resolve("inner.eml");
        Tools.Run decrypted = tools.openssl("cms", "-decrypt", "-in", message.toString(), "-recip", TestCertificates.pem(dir, "bob-cert", bob.certificate()).toString(),
                "-inkey", TestCertificates.pem(dir, "bob-key", bob.key()).toString(), "-out", inner.toString());
        assertThat(decrypted.exit()).as(decrypted.output()).isZero();
        Path content = dir.resolve("content.out");
        Tools.Run verified = verify(inner, content);
        assertThat(verified.exit()).as(verified.output()).isZero();
        assertThat(content).hasBinaryContent(SmimeEncryptionTest.ENTITY);
    }

    @Test
    void anEd25519SignerASignerWithoutASha2DigestAndAnEmptyChainAreRefused() throws Exception {
        Organisation ed25519 = organisations.get(KeySpec.ED25519);
        assertThatThrownBy(() -> SmimeSignature.by(ed25519.signers(), List.of(ed25519.certificate())))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                .hasMessage("S/MIME signing takes RSA or ECDSA keys; Ed25519 signatures are not widely verifiable");

        Holder legacy = TestCertificates.selfSigned(TestRequests.ec("secp256r1"), "SHA256withECDSA", "CN=legacy@example.org", 0);
        JcaContentSignerBuilder sha1 = new JcaContentSignerBuilder("SHA1withECDSA").setProvider(TestRequests.BC);

        assertThatThrownBy(() -> SmimeSignature.by(() -> SmimeEncryptionTest.quietly(() -> sha1.build(legacy.key())), List.of(legacy.certificate())))
                .isInstanceOfSatisfying(LetterlockException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST))
                .hasMessage("the signer's digest 1.3.14.3.2.26 is not SHA-256, SHA-384 or SHA-512");
        assertThatThrownBy(() -> SmimeSignature.by(organisations.get(KeySpec.EC_P256).signers(), List.of()))
                .isInstanceOf(LetterlockException.class).hasMessage("S/MIME signing needs the signer's certificate");
    }

    private SmimeSignature signature(KeySpec spec) {
        Organisation organisation = organisations.get(spec);
        return SmimeSignature.by(organisation.signers(), List.of(organisation.certificate(), certificates.issuing()));
    }

    static byte[] sign(SmimeSignature signature, byte[] entity) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream signed = signature.open(out)) {
            signed.write(entity);
        }
        return out.toByteArray();
    }

    private Tools.Run verify(Path message, Path content) throws Exception {
        return tools.openssl("cms", "-verify", "-in", message.toString(), "-CAfile", TestCertificates.pem(dir, "root", certificates.root()).toString(),
                "-purpose", "smimesign", "-out", content.toString());
    }

    private static Matcher multipartHeader(byte[] signed) {
        Matcher header = MULTIPART.matcher(new String(signed, StandardCharsets.UTF_8));
        assertThat(header.lookingAt()).as("multipart/signed header").isTrue();
        return header;
    }

    /** The DER of the signature part. */
    static byte[] signatureDer(byte[] signed) {
        String text = new String(signed, StandardCharsets.UTF_8);
        String body = text.substring(text.indexOf("\r\n\r\n", text.indexOf("application/pkcs7-signature; name=")) + 4);
        return Base64.getMimeDecoder().decode(body.substring(0, body.indexOf("\r\n--")));
    }
}
