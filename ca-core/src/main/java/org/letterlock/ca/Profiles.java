package org.letterlock.ca;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.letterlock.ca.CertificateProfile.Names;

/**
 * The profiles Letterlock issues under. The strict mailbox profiles follow the S/MIME Baseline Requirements'
 * strict mailbox-validated profile: emailProtection only, the address as rfc822Name, critical keyUsage, signing and
 * key management kept apart.
 */
public final class Profiles {
    /** SBR 7.1.6.1: mailbox-validated, strict and multipurpose generations. */
    static final String SBR_MAILBOX_STRICT = "2.23.140.1.5.1.3";
    static final String SBR_MAILBOX_MULTIPURPOSE = "2.23.140.1.5.1.2";

    public static final CertificateProfile MAILBOX_SIGNING = new CertificateProfile("mailbox-signing", 1,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.DIGITAL_SIGNATURE), KeyFamily.EC, Set.of(KeyUse.DIGITAL_SIGNATURE),
                    KeyFamily.ED25519, Set.of(KeyUse.DIGITAL_SIGNATURE)),
            Set.of(KeyUse.NON_REPUDIATION), List.of(KeyPurposeId.id_kp_emailProtection), Names.MAILBOXES, false, 825, Optional.of(SBR_MAILBOX_STRICT));

    public static final CertificateProfile MAILBOX_ENCRYPTION = new CertificateProfile("mailbox-encryption", 1,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.KEY_ENCIPHERMENT), KeyFamily.EC, Set.of(KeyUse.KEY_AGREEMENT)),
            Set.of(), List.of(KeyPurposeId.id_kp_emailProtection), Names.MAILBOXES, false, 825, Optional.of(SBR_MAILBOX_STRICT));

    public static final CertificateProfile MAILBOX_MULTIPURPOSE = new CertificateProfile("mailbox-multipurpose", 1,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.DIGITAL_SIGNATURE, KeyUse.KEY_ENCIPHERMENT),
                    KeyFamily.EC, Set.of(KeyUse.DIGITAL_SIGNATURE, KeyUse.KEY_AGREEMENT)),
            Set.of(KeyUse.NON_REPUDIATION), List.of(KeyPurposeId.id_kp_emailProtection), Names.MAILBOXES, false, 825, Optional.of(SBR_MAILBOX_MULTIPURPOSE));

    /** Version 2 names address literals as iPAddress: Letterlock's own listeners are often reached at 127.0.0.1. */
    public static final CertificateProfile TLS_SERVER = new CertificateProfile("tls-server", 2,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.DIGITAL_SIGNATURE, KeyUse.KEY_ENCIPHERMENT), KeyFamily.EC, Set.of(KeyUse.DIGITAL_SIGNATURE)),
            Set.of(), List.of(KeyPurposeId.id_kp_serverAuth), Names.HOSTS, false, 398, Optional.empty());

    public static final CertificateProfile OCSP_SIGNING = new CertificateProfile("ocsp-signing", 1,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.DIGITAL_SIGNATURE), KeyFamily.EC, Set.of(KeyUse.DIGITAL_SIGNATURE)),
            Set.of(), List.of(KeyPurposeId.id_kp_OCSPSigning), Names.NONE, true, 90, Optional.empty());

    public static final CertificateProfile KRA_TRANSPORT = new CertificateProfile("kra-transport", 1,
            Map.of(KeyFamily.RSA, Set.of(KeyUse.KEY_ENCIPHERMENT)),
            Set.of(), List.of(), Names.NONE, false, 825, Optional.empty());

    public static final List<CertificateProfile> ALL = List.of(MAILBOX_SIGNING, MAILBOX_ENCRYPTION, MAILBOX_MULTIPURPOSE, TLS_SERVER, OCSP_SIGNING, KRA_TRANSPORT);

    private Profiles() {
    }

    public static Optional<CertificateProfile> byName(String name) {
        return ALL.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
