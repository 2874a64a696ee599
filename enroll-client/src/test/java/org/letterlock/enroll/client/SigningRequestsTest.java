package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What letterlock-enroll accepts as the certificate of the key it made: that key, for that address alone. */
class SigningRequestsTest {
    private static final String ADDRESS = "ann@example.org";

    private static X509Certificate certificate(KeyPair subject, String... mailboxes) throws Exception {
        KeyPair issuer = KeyType.EC_P256.generate();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=Test CA"), BigInteger.valueOf(System.nanoTime()), new Date(),
                new Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=" + ADDRESS), subject.getPublic());
        if (mailboxes.length > 0) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(Arrays.stream(mailboxes).map(m -> new GeneralName(GeneralName.rfc822Name, m)).toArray(GeneralName[]::new)));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "the key made here, for the address           | true  | ann@example.org                  | ",
        "the address in another case                  | true  | Ann@Example.org                  | ",
        "another key                                  | false | ann@example.org                  | the server certified another key",
        "another address                              | true  | bob@example.org                  | the server certified [bob@example.org] instead of ann@example.org",
        "a second address besides                     | true  | ann@example.org,bob@example.org  | the server certified [ann@example.org, bob@example.org] instead",
        "no address                                   | true  |                                  | the server certified [] instead of ann@example.org",
    })
    void acceptsOnlyTheKeyMadeHereForTheAddress(String name, boolean sameKey, String mailboxes, String refusal) throws Exception {
        KeyPair made = KeyType.EC_P256.generate();
        X509Certificate issued = certificate(sameKey ? made : KeyType.EC_P256.generate(), mailboxes == null ? new String[0] : mailboxes.split(","));

        if (refusal == null) {
            assertThatCode(() -> SigningRequests.checkIssued(issued, made.getPublic(), ADDRESS)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> SigningRequests.checkIssued(issued, made.getPublic(), ADDRESS)).isInstanceOf(IOException.class).hasMessageContaining(refusal);
        }
    }
}
