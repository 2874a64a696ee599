package org.letterlock.mail.smime;

/**
 * How the message content is encrypted; the caller chooses from what the recipients' clients announce (their
 * SMIMECapabilities, or what their software is known to read).
 */
public enum ContentCipher {
    /** AES-256-GCM in CMS AuthEnvelopedData (RFC 5083, 5084): authenticated, what RFC 8551 prefers; OpenSSL 3.0 reads it, gpgsm 2.2 does not. */
    AES256_GCM("authEnveloped-data"),
    /** AES-256-CBC in CMS EnvelopedData: unauthenticated, for clients that do not read AuthEnvelopedData. */
    AES256_CBC("enveloped-data");

    private final String smimeType;

    ContentCipher(String smimeType) {
        this.smimeType = smimeType;
    }

    /** The {@code smime-type} parameter of the {@code application/pkcs7-mime} entity (RFC 8551 3.2.2). */
    public String smimeType() {
        return smimeType;
    }
}
