package org.letterlock.platform.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.letterlock.vault.KeySpec;

/**
 * The certificate authority's settings (read and validated with the rest of the configuration).
 *
 * @param url               base URL of the CRL, OCSP and CA-certificate endpoints written into certificates
 * @param externalRoot      first start makes the issuing CAs' CSRs for an external root instead of creating a root
 * @param tlsIssuingSubject subject of the issuing CA of TLS server certificates, apart from the mailbox one
 * @param permittedMailDomains domains whose mailboxes new issuing CAs are limited to (nameConstraints); empty: no limit
 * @param sbrPolicyOids     mailbox certificates also carry their CA/B Forum S/MIME reserved policy OID
 * @param ocspPort          port of the dedicated OCSP listener, 0 for none
 * @param ocspSignOnNetworkThreads whether that listener signs nonce answers on its network threads when nothing waits
 * @param expiryNoticeDays  days before expiry at which owners are mailed, largest first
 */
public record CaSettings(
        URI url,
        boolean externalRoot,
        String rootSubject,
        KeySpec rootKeySpec,
        String issuingSubject,
        String tlsIssuingSubject,
        KeySpec issuingKeySpec,
        List<String> permittedMailDomains,
        int validityDays,
        int maxValidityDays,
        List<String> policyOids,
        boolean sbrPolicyOids,
        Duration crlInterval,
        Duration crlValidity,
        Duration ocspValidity,
        int ocspPort,
        String ocspAddress,
        boolean ocspSignOnNetworkThreads,
        List<Integer> expiryNoticeDays) {

    public CaSettings {
        permittedMailDomains = List.copyOf(permittedMailDomains);
        policyOids = List.copyOf(policyOids);
        expiryNoticeDays = List.copyOf(expiryNoticeDays);
    }
}
