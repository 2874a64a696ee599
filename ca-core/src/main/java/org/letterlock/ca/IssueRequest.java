package org.letterlock.ca;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * What a requester asks the CA to certify.
 *
 * @param profile        profile name (mailbox-signing, mailbox-encryption, mailbox-multipurpose, tls-server)
 * @param csr            PKCS#10 request, DER or PEM; proof of possession is checked
 * @param publicKey      instead of a CSR: a key handed over inside the server (escrow's server-made keys)
 * @param mailbox        the mailbox of a mailbox profile
 * @param hosts          the host names of a TLS server certificate (else taken from the CSR)
 * @param pairId         the pair this certificate joins (the signing certificate's pair, for the encryption one)
 * @param validityDays   shorter or longer than the default, up to the configured and the profile's maximum
 * @param nonRepudiation ask for nonRepudiation on a signing certificate
 */
public record IssueRequest(
        String profile,
        Optional<byte[]> csr,
        Optional<SubjectPublicKeyInfo> publicKey,
        Optional<String> mailbox,
        List<String> hosts,
        Optional<String> pairId,
        OptionalInt validityDays,
        boolean nonRepudiation) {

    public IssueRequest {
        hosts = hosts == null ? List.of() : hosts.stream().filter(java.util.Objects::nonNull).toList();
    }

    public static IssueRequest mailbox(String profile, byte[] csr, String mailbox) {
        return new IssueRequest(profile, Optional.of(csr), Optional.empty(), Optional.of(mailbox), List.of(), Optional.empty(), OptionalInt.empty(), false);
    }

    public IssueRequest inPair(String pair) {
        return new IssueRequest(profile, csr, publicKey, mailbox, hosts, Optional.of(pair), validityDays, nonRepudiation);
    }
}
