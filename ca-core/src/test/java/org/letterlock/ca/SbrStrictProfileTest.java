package org.letterlock.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * The strict mailbox-validated certificates against the rules an S/MIME Baseline Requirements linter (pkilint's
 * cabf.smime findings of severity error and warning) applies to them, one assertion per rule. No SBR linter can be
 * installed on this machine's registries (pkilint is on PyPI, zlint needs the Go module proxy), so the rules are
 * checked here from SBR sections 6.1.5-6.1.6, 6.3.2, 7.1.2.3, 7.1.3 and 7.1.4.2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SbrStrictProfileTest {
    private static final Set<ASN1ObjectIdentifier> ALLOWED_EXTENSIONS = Set.of(Extension.keyUsage, Extension.extendedKeyUsage, Extension.subjectAlternativeName,
            Extension.subjectKeyIdentifier, Extension.authorityKeyIdentifier, Extension.cRLDistributionPoints, Extension.authorityInfoAccess,
            Extension.certificatePolicies);

    private Issuer issuer;

    @BeforeAll
    void hierarchy() {
        KeyVault vault = KeyVaults.open(VaultSettings.memory("letterlock"));
        IssuerHierarchy hierarchy = new IssuerHierarchy(vault, Clock.systemUTC());
        KeyUri rootKey = KeyUri.of("letterlock", "root");
        X509CertificateHolder root = hierarchy.createRoot(rootKey, KeySpec.EC_P384, new X500Name("CN=Root,O=Example"), Duration.ofDays(3650));
        KeyUri issuingKey = KeyUri.of("letterlock", "issuing");
        CaUrls urls = new CaUrls(URI.create("http://ca.example.org"));
        X509CertificateHolder issuing = hierarchy.createIssuing(IssuerRecord.Kind.ISSUING, rootKey, root, "root", urls, issuingKey, KeySpec.EC_P256, new X500Name("CN=Issuing,O=Example"),
                Duration.ofDays(1825));
        issuer = new Issuer(vault, issuingKey, issuing, new IssuancePolicy(urls.crl("issuing-1"), urls.ocsp(), urls.caCertificate("issuing-1"),
                List.of(IssuancePolicy.LETTERLOCK_POLICY), true), Clock.systemUTC());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "mailbox-signing,    ec-p256,  digitalSignature",
            "mailbox-signing,    rsa-2048, digitalSignature",
            "mailbox-encryption, ec-p256,  keyAgreement",
            "mailbox-encryption, rsa-3072, keyEncipherment",
    })
    void strictMailboxCertificatesMeetTheBaselineRequirements(String profileName, String keySpec, String usage) throws Exception {
        KeyPair keys = keySpec.startsWith("ec") ? TestRequests.ec("secp256r1") : TestRequests.rsa(Integer.parseInt(keySpec.substring(4)));
        CertificationRequest request = CertificationRequest.read(TestRequests.csr(keys, "CN=ignored", List.of("erika@example.org")).getEncoded());
        CertificateProfile profile = Profiles.byName(profileName).orElseThrow();
        X509CertificateHolder certificate = issuer.issue(profile, request.publicKey(), new X500Name("CN=erika@example.org"), request.mailboxes(), Set.of(),
                Duration.ofDays(365));

        assertThat(certificate.getVersionNumber()).as("pkix.certificate_version_is_not_v3").isEqualTo(3);
        assertThat(certificate.getSerialNumber().signum()).isPositive();
        assertThat(certificate.getSerialNumber().bitLength()).as("at least 64 random bits, at most 20 octets").isBetween(64, 159);
        long days = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()).toDays();
        assertThat(days).as("cabf.smime.certificate_validity_period_at_maximum").isLessThan(825);
        assertThat(certificate.getSignatureAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA256);
        assertThat(certificate.getSignatureAlgorithm().getParameters()).as("cabf.smime.prohibited_signature_algorithm_encoding").isNull();

        RDN[] subject = certificate.getSubject().getRDNs();
        assertThat(subject).as("strict mailbox-validated subject: commonName (the mailbox) only").hasSize(1);
        assertThat(subject[0].getFirst().getType()).isEqualTo(BCStyle.CN);
        assertThat(subject[0].getFirst().getValue().toString()).isEqualTo("erika@example.org");

        assertThat(Arrays.stream(certificate.getExtensions().getExtensionOIDs()).toList()).as("no other extensions (strict)").allMatch(ALLOWED_EXTENSIONS::contains);
        Extension san = certificate.getExtension(Extension.subjectAlternativeName);
        assertThat(san.isCritical()).as("pkix.san_extension_is_critical").isFalse();
        GeneralName[] names = GeneralNames.getInstance(san.getParsedValue()).getNames();
        assertThat(names).as("cabf.smime.san_does_not_contain_email_address / prohibited_generalname_type_present")
                .allMatch(n -> n.getTagNo() == GeneralName.rfc822Name).extracting(n -> n.getName().toString()).containsExactly("erika@example.org");

        Extension keyUsage = certificate.getExtension(Extension.keyUsage);
        assertThat(keyUsage.isCritical()).as("cabf.smime.ku_extension_not_critical").isTrue();
        int expected = switch (usage) {
            case "digitalSignature" -> KeyUsage.digitalSignature;
            case "keyAgreement" -> KeyUsage.keyAgreement;
            default -> KeyUsage.keyEncipherment;
        };
        assertThat(KeyUsage.getInstance(keyUsage.getParsedValue()).getBytes()[0] & 0xff).as("cabf.smime.prohibited_ku_present").isEqualTo(expected);

        assertThat(ExtendedKeyUsage.fromExtensions(certificate.getExtensions()).getUsages()).as("cabf.smime.prohibited_eku_present")
                .containsExactly(KeyPurposeId.id_kp_emailProtection);

        Extension policies = certificate.getExtension(Extension.certificatePolicies);
        assertThat(policies.isCritical()).as("cabf.critical_certificate_policies_extension").isFalse();
        List<String> oids = Arrays.stream(CertificatePolicies.getInstance(policies.getParsedValue()).getPolicyInformation())
                .map(PolicyInformation::getPolicyIdentifier).map(ASN1ObjectIdentifier::getId).toList();
        assertThat(oids.stream().filter(o -> o.startsWith("2.23.140.1.5."))).as("cabf.smime.no_required_reserved_policy_oid / multiple_reserved_policy_oids")
                .containsExactly("2.23.140.1.5.1.3");
        assertThat(oids).as("cabf.smime.anypolicy_present").doesNotContain("2.5.29.32.0").doesNotHaveDuplicates();

        Extension crl = certificate.getExtension(Extension.cRLDistributionPoints);
        assertThat(crl.isCritical()).as("cabf.smime.critical_crldp_extension").isFalse();
        for (DistributionPoint point : CRLDistPoint.getInstance(crl.getParsedValue()).getDistributionPoints()) {
            assertThat(GeneralNames.getInstance(point.getDistributionPoint().getName()).getNames())
                    .as("cabf.smime.crldp_fullname_prohibited_uri_scheme").allMatch(n -> n.getName().toString().startsWith("http://"));
        }
        AccessDescription[] access = AuthorityInformationAccess.getInstance(certificate.getExtension(Extension.authorityInfoAccess).getParsedValue())
                .getAccessDescriptions();
        assertThat(access).as("cabf.aia_ca_issuers_missing").anyMatch(a -> a.getAccessMethod().equals(AccessDescription.id_ad_caIssuers));
        assertThat(access).as("cabf.smime.aia_prohibited_uri_scheme").allMatch(a -> a.getAccessLocation().getName().toString().startsWith("http://"));

        AuthorityKeyIdentifier aki = AuthorityKeyIdentifier.fromExtensions(certificate.getExtensions());
        assertThat(aki.getKeyIdentifier()).as("pkix.authority_key_identifier_keyid_missing").isNotNull();
        assertThat(aki.getAuthorityCertIssuer()).as("cabf.authority_key_identifier_has_issuer_cert").isNull();
        assertThat(certificate.getExtension(Extension.subjectKeyIdentifier)).as("pkix.certificate_skid_end_entity_missing").isNotNull();
        assertThat(certificate.getExtension(Extension.basicConstraints)).as("cabf.smime.is_ca_certificate").isNull();
    }
}
