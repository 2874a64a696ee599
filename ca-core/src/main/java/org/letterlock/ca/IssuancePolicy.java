package org.letterlock.ca;

import java.net.URI;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * Where relying parties find revocation and the issuer, and the policies certificates assert: the configuration that
 * every end-entity certificate carries.
 *
 * @param crlUrl        CRL distribution point
 * @param ocspUrl       OCSP responder
 * @param caIssuersUrl  where the issuing CA's certificate is served
 * @param policies      certificatePolicies OIDs of the operator's own arc
 * @param sbrPolicies   also write each profile's CA/B Forum reserved OID (the operator opted in)
 */
public record IssuancePolicy(URI crlUrl, URI ocspUrl, URI caIssuersUrl, List<ASN1ObjectIdentifier> policies, boolean sbrPolicies) {
    /** A placeholder arc for Letterlock's own policy until an operator configures theirs. */
    public static final ASN1ObjectIdentifier LETTERLOCK_POLICY = new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1.1");

    public IssuancePolicy {
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("at least one certificate policy OID is needed");
        }
        policies = List.copyOf(policies);
    }
}
