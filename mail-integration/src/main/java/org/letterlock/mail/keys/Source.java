package org.letterlock.mail.keys;

/** Where a recipient's key can be found outside Letterlock's own store; the policy says which a recipient may use. */
public enum Source {
    /** The LDAP directory of a configured partner organisation: S/MIME certificates under its own CA. */
    PARTNER_LDAP,
    /** The recipient domain's Web Key Directory over HTTPS: OpenPGP keys the domain vouches for. */
    WKD,
    /** Configured HKP(S) keyservers: OpenPGP keys, trusted only as far as those keyservers check addresses. */
    HKP
}
