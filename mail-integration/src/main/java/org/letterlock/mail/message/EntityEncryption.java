package org.letterlock.mail.message;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Encrypts one MIME entity (the cryptographic payload: its header fields, a blank line, its body) into the MIME
 * entity that replaces it in the mail sent: S/MIME {@code application/pkcs7-mime}, PGP/MIME
 * {@code multipart/encrypted}. The recipients (keys, certificates or a passphrase) are bound when the encryption is
 * made, so one payload is encrypted once for all of them. Nothing is held whole in memory: the cleartext streams in,
 * the encrypted part streams out.
 */
public interface EntityEncryption {

    /**
     * Writes the encrypted entity's header fields (each ending in CRLF: Content-Type, Content-Transfer-Encoding and
     * what the format needs) and the blank line to {@code out}, and returns the stream that takes the cleartext
     * entity. Closing the returned stream writes the rest of the encrypted entity to {@code out}, with CRLF line ends
     * and no line longer than 76 characters, and leaves {@code out} open.
     */
    OutputStream open(OutputStream out) throws IOException;
}
