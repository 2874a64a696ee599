package org.letterlock.enroll.cmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.PBMParameter;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.PKMACValuesCalculator;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.MacCalculator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The server's PasswordBasedMac values against Bouncy Castle's own, for each one-way function and MAC a client may name. */
class CmpMacTest {
    @ParameterizedTest(name = "owf {0}, mac {1}, {2} iterations")
    @CsvSource({
        "2.16.840.1.101.3.4.2.1, 1.3.6.1.5.5.8.1.2,   1000, SUN", // SHA-256, HMAC-SHA1 (openssl cmp's default)
        "2.16.840.1.101.3.4.2.1, 1.2.840.113549.2.9,  1000, SUN", // SHA-256, hmacWithSHA256
        "1.3.14.3.2.26,          1.3.6.1.5.5.8.1.2,   500,  SUN", // SHA-1, HMAC-SHA1 (RFC 4210's own example)
        "2.16.840.1.101.3.4.2.3, 1.2.840.113549.2.11, 100,  SUN", // SHA-512, hmacWithSHA512
        "1.2.643.7.1.1.2.2,      1.2.840.113549.2.9,  100,  BC",  // GOST R 34.11-2012 (256): a digest only Bouncy Castle has
    })
    void theJdkDigestGivesBouncyCastlesMac(String owf, String mac, int iterations, String iteratedBy) throws Exception {
        PBMParameter parameters = new PBMParameter("a salt of 16 b.".getBytes(StandardCharsets.US_ASCII),
                new AlgorithmIdentifier(new ASN1ObjectIdentifier(owf)), iterations, new AlgorithmIdentifier(new ASN1ObjectIdentifier(mac), DERNull.INSTANCE));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(CMPObjectIdentifiers.passwordBasedMac, parameters);
        char[] secret = "an enrollment secret".toCharArray();
        byte[] message = "the protected part of a PKIMessage".getBytes(StandardCharsets.US_ASCII);

        byte[] expected = mac(new JcePKMACValuesCalculator().setProvider(new BouncyCastleProvider()), algorithm, secret, message);
        CmpMac.JdkDigestPkmacValues values = new CmpMac.JdkDigestPkmacValues();
        assertThat(mac(values, algorithm, secret, message)).isEqualTo(expected);
        assertThat(values.digestProvider()).isEqualTo(iteratedBy);
        assertThat(mac(new CmpMac.JdkDigestPkmacValues(), algorithm, "another secret".toCharArray(), message)).isNotEqualTo(expected);
    }

    private static byte[] mac(PKMACValuesCalculator values, AlgorithmIdentifier algorithm, char[] secret, byte[] message) throws Exception {
        MacCalculator calculator = new PKMACBuilder(values, CmpMac.MAX_ITERATIONS).get(algorithm, secret);
        try (OutputStream out = calculator.getOutputStream()) {
            out.write(message);
        }
        return calculator.getMac();
    }
}
