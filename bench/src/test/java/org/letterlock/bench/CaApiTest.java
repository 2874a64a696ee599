package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class CaApiTest {

    @Test
    void writesTheIssuanceBody() {
        String body = CaApi.issueBody("user1@example.org", "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n");
        assertThat(body).isEqualTo("{\"profile\":\"mailbox-signing\",\"mailbox\":\"user1@example.org\",\"csr\":"
                + "\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END CERTIFICATE REQUEST-----\\n\"}");
        assertThat(Json.object(body)).containsEntry("mailbox", "user1@example.org");
    }

    @Test
    void readsAnIssuanceAndChecksTheSerialAgainstTheCertificate() throws Exception {
        X509CertificateHolder certificate = certificate(new BigInteger("00f1e2d3c4b5a6978812", 16));
        String pem = Ocsp.pem(certificate);
        CaApi.Issued issued = CaApi.issued("{\"serial\":\"f1e2d3c4b5a6978812\",\"issuer\":\"issuing-1\",\"certificate\":" + Json.quote(pem) + ",\"profile\":\"x\"}");
        assertThat(issued.serial()).isEqualTo(new BigInteger("f1e2d3c4b5a6978812", 16));
        assertThat(issued.serialHex()).isEqualTo("f1e2d3c4b5a6978812");
        assertThat(issued.issuerId()).isEqualTo("issuing-1");
        assertThat(issued.certificate()).isEqualTo(certificate);
        assertThatThrownBy(() -> CaApi.issued("{\"serial\":\"01\",\"issuer\":\"i\",\"certificate\":" + Json.quote(pem) + "}"))
                .hasMessageContaining("the certificate's serial is f1e2d3c4b5a6978812");
        assertThatThrownBy(() -> CaApi.issued("{\"serial\":\"01\"}")).hasMessageContaining("\"certificate\"");
    }

    @Test
    void readsTheIssuersThatHaveACertificate() throws Exception {
        X509CertificateHolder certificate = certificate(BigInteger.TWO);
        String json = "[{\"id\":\"root\",\"active\":true,\"certificate\":" + Json.quote(Ocsp.pem(certificate)) + "},"
                + "{\"id\":\"issuing-2\",\"active\":false,\"certificate\":null}]";
        assertThat(CaApi.issuers(json)).containsOnlyKeys("root").containsEntry("root", certificate);
        assertThatThrownBy(() -> CaApi.issuers("{}")).hasMessageContaining("no JSON array");
    }

    private static X509CertificateHolder certificate(BigInteger serial) throws Exception {
        KeyPair key = Ocsp.ecP256();
        X500Name name = new X500Name("CN=x");
        Date now = new Date();
        return new JcaX509v3CertificateBuilder(name, serial, now, new Date(now.getTime() + 60_000), name, key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Ocsp.PROVIDER).build(key.getPrivate()));
    }
}
