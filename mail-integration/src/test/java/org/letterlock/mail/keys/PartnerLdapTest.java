package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.ca.IssuedCertificate;

/**
 * A partner's directory as a real OpenLDAP slapd (LDAPS and StartTLS, its TLS certificate from a test CA for
 * {@code ldap.partner.example}), its people's certificates issued by Letterlock's CA standing in for the partner's
 * (trusted: its root is the anchor) or by another CA (not trusted), revocation answered by that CA's OCSP responder.
 */
class PartnerLdapTest {
    private static final String BASE = "dc=partner,dc=example";

    @TempDir
    static Path caData;
    @TempDir
    static Path ldapDir;

    private static LetterlockCaPeer peer;
    private static PrivateSlapd slapd;
    private static TestPki tlsPki;
    private static final LoopbackNames NAMES = new LoopbackNames();
    private static X509Certificate bob;
    private static X509Certificate dan;
    private static X509Certificate star;

    @BeforeAll
    static void startDirectory() throws Exception {
        peer = new LetterlockCaPeer(caData);
        tlsPki = new TestPki("Partner TLS CA");
        bob = cert(peer.issue("mailbox-encryption", "bob@partner.example", 0));
        dan = cert(peer.issue("mailbox-encryption", "dan@partner.example", 0));
        star = cert(peer.issue("mailbox-encryption", "star*@partner.example", 0));
        IssuedCertificate erin = peer.issue("mailbox-encryption", "erin@partner.example", 0);
        peer.revoke(erin);
        X509Certificate carol = new TestPki("Not A Partner CA").mailbox("carol@partner.example");

        String ldif = entry(BASE, "objectClass: dcObject\nobjectClass: organization\no: Partner\ndc: partner\n")
                + entry("ou=People," + BASE, "objectClass: organizationalUnit\nou: People\n")
                + person("bob", "bob@partner.example", Map.of("userCertificate;binary", bob.getEncoded()))
                + person("dan", "dan@partner.example", Map.of("userSMIMECertificate", certsOnly(dan, peer.issuing())))
                + person("star", "star*@partner.example", Map.of("userCertificate;binary", star.getEncoded()))
                + person("erin", "erin@partner.example", Map.of("userCertificate;binary", cert(erin).getEncoded()))
                + person("carol", "carol@partner.example", Map.of("userCertificate;binary", carol.getEncoded()));
        Path[] tls = tlsPki.server("ldap.partner.example").writePem(ldapDir, "ldap");
        slapd = PrivateSlapd.start(ldapDir, BASE, tls[0], tls[1], ldif);
        NAMES.loopback(LetterlockCaPeer.HOST).loopback("ldap.partner.example").loopback("ldap.elsewhere.example");
    }

    @AfterAll
    static void stop() throws Exception {
        if (slapd != null) {
            slapd.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private static X509Certificate cert(IssuedCertificate issued) throws Exception {
        return LetterlockCaPeer.x509(issued.holder());
    }

    private static byte[] certsOnly(X509Certificate... certificates) throws Exception {
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addCertificates(new JcaCertStore(List.of(certificates)));
        return generator.generate(new CMSAbsentContent()).getEncoded();
    }

    private static String entry(String dn, String attributes) {
        return "dn: " + dn + "\n" + attributes + "\n";
    }

    private static String person(String uid, String mail, Map<String, byte[]> binary) {
        StringBuilder attributes = new StringBuilder("objectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + mail + "\n");
        binary.forEach((name, value) -> attributes.append(name).append(":: ").append(Base64.getEncoder().encodeToString(value)).append('\n'));
        return entry("uid=" + uid + ",ou=People," + BASE, attributes.toString());
    }

    /** The partner's directory at {@code url}, trusting {@code tls} for its TLS, Letterlock's root and issuing CA for S/MIME. */
    private static PartnerLdap directory(String url, SSLContext tls, List<X509Certificate> intermediates) throws Exception {
        PartnerCertificateCheck check = new PartnerCertificateCheck(List.of(peer.root()), intermediates,
                new PeerHttp(SSLContext.getDefault(), NAMES, PeerLimits.DEFAULT), peer.clock);
        return new PartnerLdap(List.of(new PartnerLdap.Directory("partner.example", URI.create(url), BASE)), tls, NAMES, PeerLimits.DEFAULT, check, peer.clock);
    }

    private static String ldaps() {
        return "ldaps://ldap.partner.example:" + slapd.ldapsPort;
    }

    static Stream<Arguments> addresses() {
        return Stream.of(
                Arguments.of("found/user-certificate", "bob@partner.example", Outcome.FOUND, "1 certificate"),
                Arguments.of("found/smime-certificate-pkcs7-bundle", "dan@partner.example", Outcome.FOUND, "1 certificate"),
                Arguments.of("found/literal-star-in-the-address", "star*@partner.example", Outcome.FOUND, "1 certificate"),
                Arguments.of("no-key/another-ca", "carol@partner.example", Outcome.NO_KEY, "no path to a trusted partner CA"),
                Arguments.of("no-key/revoked", "erin@partner.example", Outcome.NO_KEY, "refused: revoked"),
                Arguments.of("no-key/no-entry", "nobody@partner.example", Outcome.NO_KEY, "no entry for (mail=nobody@partner.example)"),
                // Each would find entries if spliced into the filter text: all of them, star*'s, star*'s again, or a broken filter.
                Arguments.of("escaped/star-alone", "*@partner.example", Outcome.NO_KEY, "no entry for (mail=\\2a@partner.example)"),
                Arguments.of("escaped/star-as-substring", "st*@partner.example", Outcome.NO_KEY, "no entry for (mail=st\\2a@partner.example)"),
                Arguments.of("escaped/backslash", "star\\2a@partner.example", Outcome.NO_KEY, "no entry for (mail=star\\5c2a@partner.example)"),
                Arguments.of("escaped/parentheses", "x)(mail=*)(mail=y@partner.example", Outcome.NO_KEY,
                        "no entry for (mail=x\\29\\28mail=\\2a\\29\\28mail=y@partner.example)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("addresses")
    void findsTrustedCertificatesAndMatchesTheAddressLiterally(String name, String address, Outcome outcome, String detail) throws Exception {
        Lookup lookup = directory(ldaps(), tlsPki.trustingOnlyThis(), List.of(peer.issuing())).lookup(address);

        assertThat(lookup.outcome()).as(lookup.detail()).isEqualTo(outcome);
        assertThat(lookup.detail()).contains(detail);
        assertThat(lookup.source()).isEqualTo(Source.PARTNER_LDAP);
        assertThat(lookup.location()).startsWith(ldaps() + "/" + BASE + "?");
        assertThat(lookup.openPgpKeys()).isEmpty();
        if (outcome == Outcome.FOUND) {
            X509Certificate expected = Map.of("bob@partner.example", bob, "dan@partner.example", dan, "star*@partner.example", star).get(address);
            assertThat(lookup.certificates()).containsExactly(expected);
        } else {
            assertThat(lookup.certificates()).isEmpty();
        }
    }

    /** A directory that publishes the chain in userSMIMECertificate needs no intermediates configured; one that does not, does. */
    @Test
    void caCertificatesInTheEntryCompleteThePath() throws Exception {
        PartnerLdap withoutIntermediates = directory(ldaps(), tlsPki.trustingOnlyThis(), List.of());

        assertThat(withoutIntermediates.lookup("dan@partner.example").certificates()).containsExactly(dan);
        Lookup bobs = withoutIntermediates.lookup("bob@partner.example");
        assertThat(bobs.outcome()).isEqualTo(Outcome.NO_KEY);
        assertThat(bobs.detail()).contains("no path to a trusted partner CA");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "found/ldaps, ldaps://ldap.partner.example, ldaps, partner-tls-ca, FOUND, 1 certificate",
            "found/starttls, ldap://ldap.partner.example, ldap, partner-tls-ca, FOUND, 1 certificate",
            "temporary/ldaps-certificate-untrusted, ldaps://ldap.partner.example, ldaps, other-ca, TEMPORARY_FAILURE, PKIX path building failed",
            "temporary/starttls-certificate-untrusted, ldap://ldap.partner.example, ldap, other-ca, TEMPORARY_FAILURE, PKIX path building failed",
            "temporary/ldaps-certificate-for-another-name, ldaps://ldap.elsewhere.example, ldaps, partner-tls-ca, TEMPORARY_FAILURE, ldap.elsewhere.example",
            "temporary/starttls-certificate-for-another-name, ldap://ldap.elsewhere.example, ldap, partner-tls-ca, TEMPORARY_FAILURE, ldap.elsewhere.example",
            "temporary/plain-ldap-where-ldaps-is-said, ldaps://ldap.partner.example, ldap, partner-tls-ca, TEMPORARY_FAILURE, connect error",
            "temporary/directory-down, ldaps://ldap.partner.example, closed, partner-tls-ca, TEMPORARY_FAILURE, connect error",
            "temporary/unknown-host, ldaps://nowhere.partner.example, ldaps, partner-tls-ca, TEMPORARY_FAILURE, no address for nowhere.partner.example"})
    void speaksOnlyVerifiedTls(String name, String host, String port, String trust, Outcome outcome, String detail) throws Exception {
        int number = switch (port) {
            case "ldaps" -> slapd.ldapsPort;
            case "ldap" -> slapd.ldapPort;
            default -> LoopbackNames.freePort();
        };
        SSLContext tls = trust.equals("partner-tls-ca") ? tlsPki.trustingOnlyThis() : new TestPki("Some Other CA").trustingOnlyThis();

        Lookup lookup = directory(host + ":" + number, tls, List.of(peer.issuing())).lookup("bob@partner.example");

        assertThat(lookup.outcome()).as(lookup.detail()).isEqualTo(outcome);
        assertThat(lookup.detail()).contains(detail);
        assertThat(lookup.certificates()).hasSize(outcome == Outcome.FOUND ? 1 : 0);
    }
}
