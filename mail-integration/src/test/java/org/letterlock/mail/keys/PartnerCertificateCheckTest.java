package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.IssuedCertificate;

/**
 * The checks a partner's S/MIME certificate must pass, on certificates Letterlock's CA issued (its root the trust
 * anchor, its issuing CA the intermediate) with its OCSP responder and CRLs answering over HTTP. Revocation is proven
 * by OCSP while the CRLs are unreachable, and by CRL while OCSP is down; a status nobody can give is undetermined,
 * never good.
 */
class PartnerCertificateCheckTest {
    @TempDir
    static Path dataDir;

    private static LetterlockCaPeer peer;
    private static int counter;

    @BeforeAll
    static void startCa() throws Exception {
        peer = new LetterlockCaPeer(dataDir);
    }

    @AfterAll
    static void stopCa() {
        if (peer != null) {
            peer.close();
        }
    }

    @AfterEach
    void respondersBackUp() {
        peer.ocspAnswers = true;
        peer.crlsAnswer = true;
    }

    /** What a case does before the check: issues, revokes, takes responders down; it returns the certificates the directory gave. */
    @FunctionalInterface
    interface Scenario {
        List<X509Certificate> prepare(String address) throws Exception;
    }

    enum Verdict { ACCEPTED, REFUSED, UNDETERMINED, NOTHING_TO_CHECK }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("accepted/good-by-ocsp", 0, (Scenario) PartnerCertificateCheckTest::encryptionCertificates, Verdict.ACCEPTED, ""),
                Arguments.of("accepted/good-by-crl-when-ocsp-is-down", 0, (Scenario) address -> {
                    peer.ocspAnswers = false;
                    return encryptionCertificates(address);
                }, Verdict.ACCEPTED, ""),
                Arguments.of("refused/revoked-by-ocsp", 0, (Scenario) address -> {
                    IssuedCertificate issued = peer.issue("mailbox-encryption", address, 0);
                    peer.revoke(issued);
                    peer.crlsAnswer = false;
                    return List.of(LetterlockCaPeer.x509(issued.holder()));
                }, Verdict.REFUSED, "authority: CN=OCSP responder of Letterlock Issuing CA"),
                Arguments.of("refused/revoked-by-crl-when-ocsp-is-down", 0, (Scenario) address -> {
                    IssuedCertificate issued = peer.issue("mailbox-encryption", address, 0);
                    peer.revoke(issued);
                    peer.ocspAnswers = false;
                    return List.of(LetterlockCaPeer.x509(issued.holder()));
                }, Verdict.REFUSED, "authority: O=Letterlock, CN=Letterlock Issuing CA"),
                Arguments.of("undetermined/ocsp-and-crls-down", 0, (Scenario) address -> {
                    List<X509Certificate> certificates = encryptionCertificates(address);
                    peer.ocspAnswers = false;
                    peer.crlsAnswer = false;
                    return certificates;
                }, Verdict.UNDETERMINED, "HTTP 503"),
                Arguments.of("refused/another-ca", 0, (Scenario) address -> List.of(new TestPki("Not A Partner CA").mailbox(address)), Verdict.REFUSED,
                        "no path to a trusted partner CA"),
                Arguments.of("refused/names-another-address", 0, (Scenario) address -> encryptionCertificates("other-" + address), Verdict.REFUSED,
                        "does not name"),
                Arguments.of("refused/expired", 3, (Scenario) address -> List.of(LetterlockCaPeer.x509(peer.issue("mailbox-encryption", address, 1).holder())),
                        Verdict.REFUSED, "not valid now"),
                Arguments.of("refused/signing-certificate", 0, (Scenario) address -> List.of(LetterlockCaPeer.x509(peer.issue("mailbox-signing", address, 0).holder())),
                        Verdict.REFUSED, "keyAgreement"),
                Arguments.of("path-material/ca-certificate-alone-is-no-recipient", 0, (Scenario) address -> List.of(peer.issuing()), Verdict.NOTHING_TO_CHECK, ""));
    }

    private static List<X509Certificate> encryptionCertificates(String address) throws Exception {
        return List.of(LetterlockCaPeer.x509(peer.issue("mailbox-encryption", address, 0).holder()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void checksValidityAddressKeyPathAndRevocation(String name, int daysAhead, Scenario scenario, Verdict verdict, String detail)
            throws Exception {
        String address = "partner" + (++counter) + "@partner.example";
        List<X509Certificate> fromDirectory = scenario.prepare(address);
        Clock clock = Clock.offset(peer.clock, Duration.ofDays(daysAhead));
        PartnerCertificateCheck check = new PartnerCertificateCheck(List.of(peer.root()), List.of(peer.issuing()),
                new PeerHttp(SSLContext.getDefault(), new LoopbackNames().map(LetterlockCaPeer.HOST, peer.port()), PeerLimits.DEFAULT), clock);

        PartnerCertificateCheck.Checked checked = check.check(address, fromDirectory);

        String all = String.join("; ", checked.refusals()) + String.join("; ", checked.undetermined());
        switch (verdict) {
            case ACCEPTED -> assertThat(checked.accepted()).as(all).containsExactlyElementsOf(fromDirectory);
            case REFUSED -> {
                assertThat(checked.accepted()).isEmpty();
                assertThat(checked.undetermined()).isEmpty();
                assertThat(checked.refusals()).singleElement().asString().contains(detail);
            }
            case UNDETERMINED -> {
                assertThat(checked.accepted()).isEmpty();
                assertThat(checked.refusals()).isEmpty();
                assertThat(checked.undetermined()).singleElement().asString().contains(detail);
            }
            case NOTHING_TO_CHECK -> assertThat(checked).isEqualTo(new PartnerCertificateCheck.Checked(List.of(), List.of(), List.of()));
        }
    }
}
