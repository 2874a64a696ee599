package org.letterlock.mail.smime;

/** How the content key reaches an RSA recipient (RFC 8551 2.3); EC recipients always get ECDH. */
public enum RsaKeyTransport {
    /** RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055): what we send unless the recipient's client says it cannot read it. */
    RSAES_OAEP,
    /** RSAES-PKCS1-v1_5: every receiver must read it (RFC 8551 2.3), gpgsm 2.2 reads nothing else. */
    PKCS1_V15;

    public String label() {
        return this == RSAES_OAEP ? "oaep" : "pkcs1v15";
    }
}
