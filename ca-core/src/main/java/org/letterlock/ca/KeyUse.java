package org.letterlock.ca;

import org.bouncycastle.asn1.x509.KeyUsage;

/** The keyUsage bits Letterlock's profiles speak of. */
public enum KeyUse {
    DIGITAL_SIGNATURE(KeyUsage.digitalSignature),
    NON_REPUDIATION(KeyUsage.nonRepudiation),
    KEY_ENCIPHERMENT(KeyUsage.keyEncipherment),
    KEY_AGREEMENT(KeyUsage.keyAgreement),
    KEY_CERT_SIGN(KeyUsage.keyCertSign),
    CRL_SIGN(KeyUsage.cRLSign);

    private final int bit;

    KeyUse(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }
}
