package org.letterlock.mail.keys;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.jcajce.JcaCertificateID;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.letterlock.platform.error.LetterlockException;

/**
 * The OCSP responses or CRLs the JDK's {@link PKIXRevocationChecker} needs to decide on a certification path, fetched
 * here through {@link PeerHttp} (its resolver, TLS and limits) so that the JDK itself never goes to the network with
 * its own (it fetches CRLs only with {@code com.sun.security.enableCRLDP=true}, not the default, and OCSP only for a
 * certificate it has no response for, which the options below rule out). First an OCSP response for every certificate from the responder its AIA names (the request's CertID hashed
 * with SHA-1, as the JDK's checker matches it); if any certificate has none, the CRLs of every certificate's
 * distribution points (http and https only). Checking the signatures, freshness and status is left to the JDK.
 */
final class RevocationEvidence {
    private static final String OCSP_REQUEST = "application/ocsp-request";
    private static final String OCSP_RESPONSE = "application/ocsp-response";

    /** How to check: the checker's options, the OCSP responses by certificate, the CRLs for its CertStore. */
    record Gathered(Set<PKIXRevocationChecker.Option> options, Map<X509Certificate, byte[]> ocspResponses, List<X509CRL> crls) {
    }

    private final PeerHttp http;

    RevocationEvidence(PeerHttp http) {
        this.http = http;
    }

    /**
     * Evidence for each certificate of {@code path} (leaf first; the trust anchor's certificate ends it and is not
     * checked); empty, with {@code missing} saying why, when some certificate has neither an OCSP response nor a CRL.
     */
    Optional<Gathered> gather(List<X509Certificate> path, List<String> missing) {
        Map<X509Certificate, byte[]> responses = new LinkedHashMap<>();
        List<String> ocspFailures = new ArrayList<>();
        for (int i = 0; i < path.size() - 1; i++) {
            X509Certificate certificate = path.get(i);
            ocspResponse(certificate, path.get(i + 1), ocspFailures).ifPresent(response -> responses.put(certificate, response));
        }
        if (responses.size() == path.size() - 1) {
            // NO_FALLBACK: with a response for every certificate there is nothing a CRL could add.
            return Optional.of(new Gathered(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK), responses, List.of()));
        }
        List<X509CRL> crls = new ArrayList<>();
        List<String> crlFailures = new ArrayList<>();
        for (int i = 0; i < path.size() - 1; i++) {
            List<X509CRL> found = crls(path.get(i), crlFailures);
            if (found.isEmpty()) {
                missing.add("no revocation status for " + name(path.get(i)) + ": " + String.join("; ", ocspFailures) + "; " + String.join("; ", crlFailures));
                return Optional.empty();
            }
            crls.addAll(found);
        }
        // CRLs for every certificate: the JDK reads them from the CertStore and, with NO_FALLBACK, never asks OCSP itself.
        return Optional.of(new Gathered(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK), Map.of(), crls));
    }

    private Optional<byte[]> ocspResponse(X509Certificate certificate, X509Certificate issuer, List<String> failures) {
        List<URI> responders = uris(accessLocations(certificate));
        if (responders.isEmpty()) {
            failures.add(name(certificate) + " names no OCSP responder");
            return Optional.empty();
        }
        byte[] request;
        try {
            CertificateID id = new JcaCertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1), issuer, certificate.getSerialNumber());
            request = new OCSPReqBuilder().addRequest(id).build().getEncoded();
        } catch (OperatorCreationException | CertificateException | OCSPException | IOException e) {
            throw new IllegalStateException("cannot make an OCSP request for a parsed certificate", e);
        }
        for (URI responder : responders) {
            try {
                PeerHttp.Answer answer = http.post(responder, OCSP_RESPONSE, OCSP_REQUEST, request);
                if (answer.status() != 200) {
                    failures.add("OCSP " + responder + ": HTTP " + answer.status());
                    continue;
                }
                OCSPResp response = new OCSPResp(answer.body());
                if (response.getStatus() != OCSPResp.SUCCESSFUL) {
                    failures.add("OCSP " + responder + ": response status " + response.getStatus());
                    continue;
                }
                return Optional.of(answer.body());
            } catch (LetterlockException | IOException e) {
                failures.add("OCSP " + responder + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    private List<X509CRL> crls(X509Certificate certificate, List<String> failures) {
        List<X509CRL> crls = new ArrayList<>();
        List<URI> points = uris(distributionPoints(certificate));
        if (points.isEmpty()) {
            failures.add(name(certificate) + " names no http CRL distribution point");
        }
        for (URI point : points) {
            try {
                PeerHttp.Answer answer = http.get(point, "application/pkix-crl");
                if (answer.status() != 200) {
                    failures.add("CRL " + point + ": HTTP " + answer.status());
                    continue;
                }
                crls.add((X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(answer.body())));
            } catch (LetterlockException | GeneralSecurityException e) {
                failures.add("CRL " + point + ": " + e.getMessage());
            }
        }
        return crls;
    }

    private static List<GeneralName> accessLocations(X509Certificate certificate) {
        AuthorityInformationAccess access = extensions(certificate).map(AuthorityInformationAccess::fromExtensions).orElse(null);
        if (access == null) {
            return List.of();
        }
        List<GeneralName> locations = new ArrayList<>();
        for (AccessDescription description : access.getAccessDescriptions()) {
            if (description.getAccessMethod().equals(AccessDescription.id_ad_ocsp)) {
                locations.add(description.getAccessLocation());
            }
        }
        return locations;
    }

    private static List<GeneralName> distributionPoints(X509Certificate certificate) {
        CRLDistPoint points = extensions(certificate).map(CRLDistPoint::fromExtensions).orElse(null);
        if (points == null) {
            return List.of();
        }
        List<GeneralName> names = new ArrayList<>();
        for (DistributionPoint point : points.getDistributionPoints()) {
            DistributionPointName name = point.getDistributionPoint();
            if (name != null && name.getType() == DistributionPointName.FULL_NAME) {
                names.addAll(List.of(GeneralNames.getInstance(name.getName()).getNames()));
            }
        }
        return names;
    }

    /** The http and https URIs among {@code names} (ldap: distribution points are not fetched). */
    private static List<URI> uris(List<GeneralName> names) {
        List<URI> uris = new ArrayList<>();
        for (GeneralName name : names) {
            if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                String text = name.getName().toString();
                String lower = text.toLowerCase(Locale.ROOT);
                if (lower.startsWith("http://") || lower.startsWith("https://")) {
                    try {
                        uris.add(URI.create(text));
                    } catch (IllegalArgumentException e) {
                        // a malformed location is as good as none
                    }
                }
            }
        }
        return uris;
    }

    /** Empty for a version 1 certificate, which has none. */
    private static Optional<Extensions> extensions(X509Certificate certificate) {
        try {
            return Optional.ofNullable(new JcaX509CertificateHolder(certificate).getExtensions());
        } catch (CertificateException e) {
            throw new IllegalStateException("a parsed certificate does not encode", e);
        }
    }

    static String name(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName() + " (serial " + certificate.getSerialNumber().toString(16) + ")";
    }
}
