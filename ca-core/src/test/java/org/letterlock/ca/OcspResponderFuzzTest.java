package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.Test;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * Random and mutated DER against the OCSP parser: every answer is an OCSP response (successful, malformedRequest or
 * unauthorized), never an exception, whatever the bytes.
 */
class OcspResponderFuzzTest {

    @Test
    void randomAndMutatedRequestsAlwaysGetAnOcspResponse() throws Exception {
        KeyVault vault = KeyVaults.open(VaultSettings.memory("letterlock"));
        IssuerHierarchy hierarchy = new IssuerHierarchy(vault, Clock.systemUTC());
        KeyUri rootKey = KeyUri.of("letterlock", "root");
        X509CertificateHolder root = hierarchy.createRoot(rootKey, KeySpec.EC_P256, new X500Name("CN=Fuzz Root"), Duration.ofDays(30));
        KeyUri responderKey = KeyUri.of("letterlock", "responder");
        SubjectPublicKeyInfo responderPublic = SubjectPublicKeyInfo.getInstance(vault.createKey(responderKey, KeySpec.EC_P256).getEncoded());
        Issuer issuer = new Issuer(vault, rootKey, root, new IssuancePolicy(URI.create("http://x/crl"), URI.create("http://x/ocsp"), URI.create("http://x/ca"),
                List.of(IssuancePolicy.LETTERLOCK_POLICY), false), Clock.systemUTC());
        X509CertificateHolder responder = issuer.issue(Profiles.OCSP_SIGNING, responderPublic, new X500Name("CN=Responder"), List.of(), Set.of(), Duration.ofDays(30));
        IssuerRecord record = new IssuerRecord("root", IssuerRecord.Kind.ROOT, IssuerRecord.State.ACTIVE, Optional.of(rootKey), "CN=Fuzz Root", Optional.of(root),
                Optional.empty(), Instant.now(), Optional.of(responderKey), Optional.of(responder));
        BigInteger known = BigInteger.valueOf(1234);
        IssuedCertificate certificate = new IssuedCertificate(known, "root", "mailbox-signing", Optional.empty(), "CN=x", Instant.now(), Instant.now().plusSeconds(60),
                new byte[0], Optional.empty(), "test", Instant.now(), Optional.empty());
        OcspResponder ocsp = new OcspResponder(vault, serial -> serial.equals(known) ? Optional.of(certificate) : Optional.empty(), Duration.ofHours(1),
                Clock.systemUTC(), Runnable::run);
        ocsp.useIssuers(List.of(record));

        byte[] plain = new OCSPReqBuilder().addRequest(OcspResponder.certificateId(root, known)).build().getEncoded();
        OCSPReqBuilder withNonce = new OCSPReqBuilder().addRequest(OcspResponder.certificateId(root, known));
        withNonce.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(new DEROctetString(new byte[16])))));
        byte[] nonce = withNonce.build().getEncoded();
        assertThat(new OCSPResp(ocsp.respond(plain).der()).getStatus()).isZero();
        assertThat(new OCSPResp(ocsp.respond(nonce).der()).getStatus()).isZero();

        Random random = new Random(20261128);
        int successful = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] input;
            if (i % 4 == 0) {
                input = new byte[random.nextInt(200)];
                random.nextBytes(input);
            } else {
                input = (i % 2 == 0 ? plain : nonce).clone();
                int mutations = 1 + random.nextInt(3);
                for (int m = 0; m < mutations; m++) {
                    int at = random.nextInt(input.length);
                    switch (random.nextInt(3)) {
                        case 0 -> input[at] ^= (byte) (1 << random.nextInt(8));
                        case 1 -> input[at] = (byte) random.nextInt(256);
                        default -> input = java.util.Arrays.copyOf(input, Math.max(1, at));
                    }
                }
            }
            OCSPResp response = new OCSPResp(ocsp.respond(input).der());
            assertThat(response.getStatus()).as("status for case " + i).isIn(0, 1, 6);
            if (response.getStatus() == 0) {
                successful++;
            }
        }
        // Mutations in the serial or in padding still parse: some answers are real ones, as they should be.
        assertThat(successful).isPositive();

        // With no signing capacity left, what needs a signature gets tryLater; what is pre-signed is still answered.
        OcspResponder saturated = new OcspResponder(vault, serial -> serial.equals(known) ? Optional.of(certificate) : Optional.empty(), Duration.ofHours(1),
                Clock.systemUTC(), Runnable::run, 0);
        saturated.useIssuers(List.of(record));
        assertThat(new OCSPResp(saturated.respond(nonce).der()).getStatus()).isEqualTo(3);
        assertThat(new OCSPResp(saturated.respond(plain).der()).getStatus()).isEqualTo(3);
        saturated.presign(record, certificate);
        assertThat(new OCSPResp(saturated.respond(plain).der()).getStatus()).isZero();
        vault.close();
    }
}
